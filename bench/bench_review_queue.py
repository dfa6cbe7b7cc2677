"""Server time and page weight of the review queue at 100,000 images, against a plain Flask page.

Run `python -m bench.bench_review_queue [--images N] [--runs N] [--database-url URL]`. It fills a
fresh database with N image rows (default 100,000: 60% pending, prompts, titles, tags, quality
reports, created over 90 days), logs a reviewer in through the real login form, and times in the
same process, interleaved, through Flask's test client:

- ours: `GET /review`, the first page of the pending queue, and its 1,000th page (reached by the
  `after` cursor, encoded as the queue encodes it), 50 cards each, status tab counts included;
- baseline: a plain Flask app (no login, no ORM) over the same database, with one connection kept
  open: `SELECT id, title, prompt, status FROM images ORDER BY created_at LIMIT 50 OFFSET ?`
  rendered by a minimal Jinja page, one <div> with an <img src> per row, at offset 0 and at the
  deep page's offset. OFFSET walks every earlier row: its deep page shows what keyset saves.

Times are medians after warm-up requests; bytes are the response bodies of 50 cards, raw and
gzipped (level 6, as a compressing proxy would send them). Ratios are ours / baseline.
SQLite by default; with `--database-url` (or BENCH_DATABASE_URL) naming a PostgreSQL server, a
throwaway database there instead, vacuumed and analysed after the load as autovacuum would, and
dropped at the end. The last line is JSON for machines.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import json
import os
import random
import re
import secrets
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from flask import Flask, render_template
from flask.testing import FlaskClient
from flask_migrate import upgrade
from jinja2 import DictLoader
from sqlalchemy import insert, make_url, select

from gateway.app import create_app
from gateway.app.accounts import service as accounts
from gateway.app.audit.service import SYSTEM
from gateway.app.extensions import db
from gateway.app.images.models import Image
from gateway.app.imaging.quality import assess_quality
from gateway.app.imaging.storage import original_key, thumbnail_key
from gateway.app.pagination import Cursor
from gateway.app.review.queries import PAGE_SIZE, QUEUE_ORDER
from gateway.app.settings import Settings

WARMUP_RUNS = 3
BATCH = 5_000
GZIP_LEVEL = 6
PASSWORD = "benchmark password"
CARD = re.compile(r'<article class="card[^"]*" id="card-[^"]+" data-image-id="([^"]+)"')
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')

STATUSES = {"pending": 60, "approved": 18, "rejected": 12, "published": 7, "publish_failed": 3}
SIZES = {(1024, 1024): 35, (2048, 2048): 25, (3600, 3600): 15, (4500, 5400): 15, (400, 400): 10}
BACKENDS = ("local", "runpod", "comfyui")
SUBJECTS = ["retro surf club badge", "fox in a spacesuit", "neon city skyline", "koi pond"]
STYLES = ["flat vector illustration", "watercolour", "70s poster", "linocut print", "art deco"]
EXTRAS = ["bold outlines", "limited palette of four colours", "distressed texture", "pastel tones"]
PROMPT_TAIL = "centered on a transparent background, print-ready"
TAGS = ["retro", "vintage", "surf", "animals", "space", "nature", "funny", "minimal", "summer"]
BASELINE_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Images</title></head><body>
{%- for id, title, prompt, status in rows %}
<div class="card {{ status }}"><img src="/api/v1/images/{{ id }}/file?variant=thumbnail" \
alt="{{ title or prompt }}"> {{ title or prompt }} <span>{{ status }}</span></div>
{%- endfor %}
</body></html>
"""


@functools.cache
def quality_report(width: int, height: int, declared_dpi: int | None) -> dict[str, Any]:
    """The quality report the pipeline stores for an image of this size (computed once a size)."""
    return assess_quality(width, height, declared_dpi=declared_dpi).to_dict()


def prompt(rng: random.Random) -> str:
    """A generation prompt of the usual length (about 130 characters)."""
    extras = ", ".join(rng.sample(EXTRAS, 2))
    return f"{rng.choice(SUBJECTS)}, {rng.choice(STYLES)}, {extras}, {PROMPT_TAIL}"


def image_rows(count: int, seed: int = 7) -> Iterator[dict[str, Any]]:
    """`count` realistic image rows, created at random moments over the last 90 days."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    statuses = rng.choices(list(STATUSES), weights=list(STATUSES.values()), k=count)
    sizes = rng.choices(list(SIZES), weights=list(SIZES.values()), k=count)
    for status, (width, height) in zip(statuses, sizes, strict=True):
        quality = quality_report(width, height, rng.choice([None, 72, 300]))
        uploaded = rng.random() < 0.15
        sha256 = f"{rng.getrandbits(256):064x}"
        created_at = now - timedelta(seconds=rng.uniform(0, 90 * 86_400))
        reviewed = status != "pending"
        yield {
            "id": f"img_{rng.getrandbits(96):024x}",
            "status": status,
            "source": "upload" if uploaded else "generated",
            "prompt": None if uploaded else prompt(rng),
            "params": {} if uploaded else {"width": width, "height": height, "steps": 30},
            "seed": None if uploaded else rng.getrandbits(32),
            "backend": None if uploaded else rng.choice(BACKENDS),
            "parent_id": f"img_{rng.getrandbits(96):024x}" if rng.random() < 0.05 else None,
            "title": rng.choice(SUBJECTS).title() if reviewed or rng.random() < 0.2 else "",
            "description": "A design for shirts and mugs." if reviewed else "",
            "tags": rng.sample(TAGS, rng.randint(0, 5)),
            "width": width,
            "height": height,
            "mime": "image/png",
            "file_size": rng.randint(200_000, 9_000_000),
            "sha256": sha256,
            "original_key": original_key(sha256, "png"),
            "thumbnail_key": thumbnail_key(sha256),
            "phash": rng.getrandbits(63),
            "quality": quality,
            "has_quality_warnings": bool(quality["warnings"]),
            "duplicate_count": rng.choice([1, 2, 3]) if rng.random() < 0.1 else 0,
            "reject_reason": "low_quality" if status == "rejected" else None,
            "reviewed_by": "reviewer-op" if reviewed else None,
            "reviewed_at": created_at + timedelta(hours=6) if reviewed else None,
            "created_at": created_at,
            "updated_at": created_at,
        }


def load_images(app: Flask, count: int) -> None:
    """Insert `count` image rows in batches with SQLAlchemy Core; on PostgreSQL, VACUUM ANALYZE."""
    rows = image_rows(count)
    with app.app_context():
        while batch := [row for _, row in zip(range(BATCH), rows, strict=False)]:
            db.session.execute(insert(Image), batch)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE images")


def deep_cursor(app: Flask, page_number: int) -> tuple[str, str]:
    """The `after` token of pending page `page_number` and the id its first card must have."""
    with app.app_context():
        ordered = (
            select(Image.created_at, Image.id)
            .where(Image.status == "pending")
            .order_by(Image.created_at, Image.id)
        )
        start = (page_number - 1) * PAGE_SIZE - 1
        rows = db.session.execute(ordered.offset(start).limit(2)).all()
    if len(rows) < 2:
        raise SystemExit(f"the pending queue has no page {page_number}: raise --images")
    (created_at, image_id), (_, first_id) = rows
    return QUEUE_ORDER.encode(Cursor(created_at, image_id)), first_id


def logged_in(app: Flask) -> FlaskClient:
    """A test client with a reviewer's session, logged in through the form with its CSRF token."""
    with app.app_context():
        accounts.create_operator(db.session, "reviewer-op", PASSWORD, role="reviewer", actor=SYSTEM)
    client = app.test_client()
    match = TOKEN.search(client.get("/login").get_data(as_text=True))
    assert match, "the login form carries no CSRF token"
    response = client.post(
        "/login", data={"username": "reviewer-op", "password": PASSWORD, "csrf_token": match[1]}
    )
    assert response.status_code == 302, response.status_code
    return client


def baseline_app(connect: Callable[[], Any], placeholder: str) -> Flask:
    """A plain Flask page: one SQL query, one Jinja loop, one connection kept for the app's life."""
    app = Flask("baseline")
    app.jinja_loader = DictLoader({"images.html": BASELINE_PAGE})
    connection = connect()
    sql = (
        "SELECT id, title, prompt, status FROM images ORDER BY created_at "
        f"LIMIT {PAGE_SIZE} OFFSET {placeholder}"
    )

    @app.get("/images/<int:offset>")
    def images(offset: int) -> str:
        rows = connection.execute(sql, (offset,)).fetchall()
        return render_template("images.html", rows=rows)

    return app


@contextmanager
def database(workdir: Path, url: str | None) -> Iterator[tuple[str, Callable[[], Any], str]]:
    """(SQLAlchemy URL, DB-API connect, placeholder) of a fresh database, dropped at the end."""
    if not url:
        path = workdir / "bench.db"
        yield f"sqlite:///{path}", lambda: sqlite3.connect(path, check_same_thread=False), "?"
        return
    server = make_url(url)
    admin = server.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"pod_bench_{secrets.token_hex(4)}"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        target = server.set(database=name)
        dsn = target.set(drivername="postgresql").render_as_string(hide_password=False)
        yield (
            target.render_as_string(hide_password=False),
            lambda: psycopg.connect(dsn, autocommit=True),
            "%s",
        )
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def fetch(client: FlaskClient, url: str) -> Callable[[], bytes]:
    def get() -> bytes:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response.get_data()

    return get


def measure(cases: dict[str, Callable[[], bytes]], runs: int) -> dict[str, list[float]]:
    """Milliseconds per request of each case, interleaved so drift hits every case alike."""
    for case in cases.values():
        for _ in range(WARMUP_RUNS):
            case()
    timings: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, case in cases.items():
            start = time.perf_counter()
            case()
            timings[name].append((time.perf_counter() - start) * 1000)
    return timings


def run(args: argparse.Namespace) -> tuple[dict[str, list[float]], dict[str, bytes], float]:
    """(timings, response bodies, load seconds) of the four cases, in table order."""
    deep_offset = (args.deep_page - 1) * PAGE_SIZE
    with (
        tempfile.TemporaryDirectory(prefix="bench-review-") as tmp,
        database(Path(tmp), args.database_url) as (url, connect, placeholder),
    ):
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            GATEWAY_STATE_DIR=tmp,
            GATEWAY_SECRET_KEY="bench-secret-key",
            GATEWAY_BASE_URL="http://gateway.bench",
            DATABASE_URL=url,
            LOG_LEVEL="WARNING",
        )
        app = create_app({"SETTINGS": settings, "QUEUE_IMMEDIATE": True})
        with app.app_context():
            upgrade()
        started = time.perf_counter()
        load_images(app, args.images)
        load_seconds = time.perf_counter() - started
        after, deep_first_id = deep_cursor(app, args.deep_page)
        client = logged_in(app)
        plain = baseline_app(connect, placeholder).test_client()
        cases = {
            "baseline: first page": fetch(plain, "/images/0"),
            "ours: GET /review": fetch(client, "/review"),
            f"baseline: OFFSET {deep_offset}": fetch(plain, f"/images/{deep_offset}"),
            f"ours: page {args.deep_page} (after cursor)": fetch(client, f"/review?after={after}"),
        }
        bodies = {name: case() for name, case in cases.items()}
        timings = measure(cases, args.runs)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    baseline_first, ours_first, _, ours_deep = bodies.values()
    assert baseline_first.count(b'<div class="card') == PAGE_SIZE
    assert len(CARD.findall(ours_first.decode())) == PAGE_SIZE, "first page is not 50 cards"
    assert CARD.findall(ours_deep.decode())[0] == deep_first_id, "deep page starts elsewhere"
    return timings, bodies, load_seconds


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table and JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--deep-page", type=int, default=1_000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    args = parser.parse_args(argv)
    timings, bodies, load_seconds = run(args)
    names = list(timings)
    medians = [statistics.median(timings[name]) for name in names]
    raw = [len(bodies[name]) for name in names]
    packed = [len(gzip.compress(bodies[name], GZIP_LEVEL)) for name in names]
    ratios = {
        "first_ratio": medians[1] / medians[0],
        "deep_ratio": medians[3] / medians[2],
        "bytes_ratio": raw[1] / raw[0],
        "gzip_bytes_ratio": packed[1] / packed[0],
    }
    engine = "postgresql" if args.database_url else "sqlite"

    print(
        f"{args.images:,} images on {engine} (loaded in {load_seconds:.1f} s); "
        f"{args.runs} runs after {WARMUP_RUNS} warm-up requests"
    )
    print(f"{'case':<36}{'median ms':>11}{'p90 ms':>9}{'bytes':>9}{'gzip':>8}")
    for index, name in enumerate(names):
        p90 = statistics.quantiles(timings[name], n=10)[-1]
        print(f"{name:<36}{medians[index]:>11.2f}{p90:>9.2f}{raw[index]:>9}{packed[index]:>8}")
    print(
        "ratios (ours / baseline): first page {first_ratio:.2f}, deep page {deep_ratio:.2f}, "
        "bytes {bytes_ratio:.2f} raw, {gzip_bytes_ratio:.2f} gzipped".format(**ratios)
    )
    print(
        json.dumps(
            {
                "benchmark": "review_queue",
                "database": engine,
                "images": args.images,
                "runs": args.runs,
                "deep_page": args.deep_page,
                "baseline_first_ms": round(medians[0], 3),
                "ours_first_ms": round(medians[1], 3),
                "baseline_deep_ms": round(medians[2], 3),
                "ours_deep_ms": round(medians[3], 3),
                "baseline_bytes": raw[0],
                "ours_bytes": raw[1],
                "baseline_gzip_bytes": packed[0],
                "ours_gzip_bytes": packed[1],
                **{name: round(value, 2) for name, value in ratios.items()},
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
