"""Test support: the one way a test builds an app and clears it, and factories for the main rows.

Why rows are cleared rather than rolled back per test: an in-process request commits through more
than one engine and thread (the job runner's own engine, the keyring's usage flusher, Huey's
immediate mode), which a transaction wrapped around the test cannot hold; one DELETE per table
after the test is what both SQLite and PostgreSQL allow for all of them.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import insert
from sqlalchemy.orm import Session

from gateway.app import create_app
from gateway.app.database import utcnow
from gateway.app.extensions import db
from gateway.app.images.models import Image
from gateway.app.publishing import print_targets
from gateway.app.settings import Settings


def build_app(settings: Settings, *, queue_immediate: bool = True, **config: Any) -> Flask:
    """An app on `settings`, its database migrated to head; tasks run at enqueue by default."""
    app = create_app({"SETTINGS": settings, "QUEUE_IMMEDIATE": queue_immediate, **config})
    with app.app_context():
        upgrade()
    return app


def close_app(app: Flask) -> None:
    """Flush the keyring's usage while the database is there, then let go of every connection."""
    app.extensions["keyring"].close()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    app.extensions["generation"].engine.dispose()


@contextmanager
def running_app(settings: Settings, **options: Any) -> Iterator[Flask]:
    """`build_app`, closed at the end: the body of every app fixture."""
    app = build_app(settings, **options)
    try:
        yield app
    finally:
        close_app(app)


def clear_app(app: Flask) -> None:
    """Every row gone (children first), rate-limit counters and process-kept answers reset."""
    with app.app_context():
        db.session.remove()
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()
    app.extensions["rate_limiter"].reset()
    print_targets.forget()  # the rows went by a bulk DELETE, which its cache does not see


def image_row(**overrides: Any) -> dict[str, Any]:
    """An images row as the pipeline stores it (a pending 1024 px generated PNG), overridable."""
    sha256 = overrides.pop("sha256", None) or secrets.token_hex(32)
    now = utcnow()
    row: dict[str, Any] = {
        "id": f"img_{secrets.token_hex(12)}",
        "status": "pending",
        "source": "generated",
        "prompt": "a retro sunset sticker",
        "params": {"width": 1024, "height": 1024, "steps": 30},
        "seed": 7,
        "backend": "local",
        "title": "",
        "description": "",
        "tags": [],
        "width": 1024,
        "height": 1024,
        "mime": "image/png",
        "file_size": 123_456,
        "sha256": sha256,
        "original_key": f"originals/{sha256}.png",
        "thumbnail_key": f"thumbnails/{sha256}.webp",
        "phash": 0,
        "quality": {"valid": True, "errors": [], "warnings": [], "info": {}},
        "created_at": now,
        "updated_at": now,
    }
    row.update(overrides)
    return row


def insert_images(session: Session, *rows: dict[str, Any], count: int = 0) -> list[str]:
    """Store `rows` (each over `image_row`'s defaults) and `count` default ones; their ids."""
    stored = [image_row(**row) for row in rows] + [image_row() for _ in range(count)]
    session.execute(insert(Image), stored)
    session.commit()
    return [row["id"] for row in stored]
