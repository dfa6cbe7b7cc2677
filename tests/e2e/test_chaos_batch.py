"""Chaos: the web processes SIGKILLed in the middle of a 10,000-id batch approve. The batch is one
transaction, so it is all or nothing; the client's retry with the same Idempotency-Key takes over
the abandoned key and approves every image exactly once: one audit row and one `image.approved`
event per image, one `batch.completed`, and status counts that match the images."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator

import psutil
import pytest
import requests
from flask import Flask
from sqlalchemy import func, select, text

from bench.bench_batch import load_pending
from gateway.app import create_app
from gateway.app.audit.models import AuditEntry
from gateway.app.events.models import OutboxEvent
from gateway.app.extensions import db
from gateway.app.idempotency import IdempotencyRecord
from gateway.app.images.models import Image, ImageStatusCount
from tests.conftest import make_settings
from tests.e2e.harness import Gateway, wait_for

IDS = 10_000


@pytest.fixture
def gateway_and_app(start_gateway, mode_env) -> Iterator[tuple[Gateway, Flask]]:
    gateway = start_gateway({**mode_env, "IDEMPOTENCY_ABANDONED_SECONDS": "5"}, workers=0)
    overrides = {"DATABASE_URL": mode_env["DATABASE_URL"]} if "DATABASE_URL" in mode_env else {}
    app = create_app({"SETTINGS": make_settings(gateway.state_dir, **overrides)})
    yield gateway, app
    app.extensions["keyring"].close()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def count(app: Flask, statement: object) -> int:
    with app.app_context():
        value = db.session.scalar(statement)
        db.session.remove()
        return int(value or 0)


def test_a_web_process_killed_mid_batch_approve_loses_and_doubles_nothing(gateway_and_app):
    gateway, app = gateway_and_app
    ids = load_pending(app, IDS)
    key = secrets.token_hex(8)
    headers = {"X-API-Key": gateway.api_key, "Idempotency-Key": key}
    url = f"{gateway.url}/api/v2/batch/approve"
    answers: list[object] = []

    def send() -> None:
        try:
            answers.append(
                requests.post(url, json={"image_ids": ids}, headers=headers, timeout=120)
            )
        except requests.ConnectionError as error:
            answers.append(error)

    sender = threading.Thread(target=send)
    sender.start()
    in_progress = select(func.count()).where(
        IdempotencyRecord.key == key, IdempotencyRecord.status == "in_progress"
    )
    claimed = wait_for(lambda: count(app, in_progress), timeout=60, interval=0.02, what="a claim")
    assert claimed == 1
    master = psutil.Process(gateway.server.pid)
    for web_worker in master.children():
        web_worker.kill()
    sender.join(timeout=120)

    def retried() -> requests.Response | None:
        answer = requests.post(url, json={"image_ids": ids}, headers=headers, timeout=120)
        return answer if answer.status_code == 200 else None

    final = wait_for(retried, timeout=120, interval=1, what="the retry to be served")
    assert final.json()["counts"]["total"] == IDS
    # Either the killed request never committed (all successful now) or it had (all skipped).
    assert final.json()["counts"]["failed"] == 0

    approved = select(func.count()).select_from(Image).where(Image.status == "approved")
    assert count(app, approved) == IDS
    events = select(func.count()).select_from(OutboxEvent)
    assert count(app, events.where(OutboxEvent.event_type == "image.approved")) == IDS
    assert count(app, events.where(OutboxEvent.event_type == "batch.completed")) == 1
    audits = select(func.count()).select_from(AuditEntry).where(AuditEntry.to_status == "approved")
    assert count(app, audits) == IDS
    with app.app_context():
        kept = dict(
            db.session.execute(select(ImageStatusCount.status, ImageStatusCount.total)).all()
        )
        actual = dict(
            db.session.execute(text("SELECT status, count(*) FROM images GROUP BY status")).all()
        )
        db.session.remove()
    assert {status: total for status, total in kept.items() if total} == actual
