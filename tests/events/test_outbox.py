"""Domain events land in the outbox in the same transaction as the change that causes them."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from gateway.app.audit.service import SYSTEM
from gateway.app.events import service as events
from gateway.app.events.models import OutboxEvent
from gateway.app.extensions import db
from gateway.app.generation import runner
from gateway.app.generation import service as jobs
from gateway.app.generation.params import parse_generate
from gateway.app.generation.service import Requester


def outbox(app) -> list[OutboxEvent]:
    with app.app_context():
        rows = list(db.session.scalars(select(OutboxEvent).order_by(OutboxEvent.sequence)))
        db.session.expunge_all()
        return rows


def _generate(client, headers, **params) -> dict:
    body = {"prompt": "outbox poster", "width": 64, "height": 64, **params}
    job_id = client.post("/api/v1/generate", json=body, headers=headers).get_json()["job_id"]
    return client.get(f"/api/v1/jobs/{job_id}", headers=headers).get_json()


def test_a_generation_announces_started_then_completed_with_the_job_as_the_api_shows_it(
    app, client, admin_headers
):
    job = _generate(client, admin_headers, batch_size=2)
    rows = outbox(app)
    assert [row.event_type for row in rows] == ["generation.started", "generation.completed"]
    assert rows[0].data["job_id"] == job["job_id"]
    assert rows[1].data == job


def test_an_approval_announces_the_image_exactly_as_the_api_returns_it(app, client, admin_headers):
    image_id = _generate(client, admin_headers)["image_ids"][0]
    client.post(f"/api/v1/images/{image_id}/approve", json={}, headers=admin_headers)
    approved = [row for row in outbox(app) if row.event_type == "image.approved"]
    assert len(approved) == 1
    listed = client.get(f"/api/v2/images/{image_id}", headers=admin_headers).get_json()
    assert approved[0].data == {
        k: v for k, v in listed.items() if k not in ("duplicates", "history")
    }


def test_a_refused_move_announces_nothing(app, client, admin_headers):
    image_id = _generate(client, admin_headers)["image_ids"][0]
    client.post(f"/api/v1/images/{image_id}/approve", json={}, headers=admin_headers)
    again = client.post(f"/api/v1/images/{image_id}/approve", json={}, headers=admin_headers)
    assert again.status_code == 409
    assert [row.event_type for row in outbox(app)].count("image.approved") == 1


def test_an_event_rolled_back_with_its_change_is_never_written(app):
    with app.app_context():
        events.emit(db.session, "webhook.test", {"probe": True})
        db.session.rollback()
    assert outbox(app) == []


def test_a_batch_announces_each_image_and_then_the_batch(app, client, admin_headers):
    ids = _generate(client, admin_headers, batch_size=3)["image_ids"]
    response = client.post(
        "/api/v1/batch/reject",
        json={"image_ids": [*ids, "img_missing"], "reason": "off_prompt"},
        headers=admin_headers,
    )
    assert response.status_code == 200
    types = [row.event_type for row in outbox(app)]
    assert types.count("image.rejected") == 3
    announced = [row for row in outbox(app) if row.event_type == "image.rejected"]
    assert [row.data["id"] for row in announced] == ids  # in the order the ids were given
    assert all(re.fullmatch(r"evt_[0-9a-f]{24}", row.id) for row in announced)
    assert len({row.id for row in announced}) == 3
    assert types[-1] == "batch.completed"
    batch = outbox(app)[-1].data
    assert batch["action"] == "reject"
    assert batch["counts"] == {"successful": 3, "failed": 1, "skipped": 0, "total": 4}


def test_a_failed_job_announces_generation_failed_once(app):
    with app.app_context():
        context = app.extensions["generation"]
        params = parse_generate({"prompt": "doomed", "width": 64, "height": 64}, context.settings)
        job = jobs.submit_generation(
            db.session, context.registry, lambda job_id: None, params, Requester(SYSTEM)
        )
        job_id = job.id
        db.session.commit()  # end that read: on SQLite the worker-side engine must be free to write
        assert runner.claim(context.engine, job_id, "worker-a", 30)
        assert runner._finish_failed(context.engine, job_id, "worker-a", "GENERATION_FAILED", "no")
        assert not runner._finish_failed(
            context.engine, job_id, "worker-a", "GENERATION_FAILED", "no"
        )
    failed = [row for row in outbox(app) if row.event_type == "generation.failed"]
    assert len(failed) == 1
    assert failed[0].data["error"] == {"code": "GENERATION_FAILED", "message": "no"}


def test_unknown_event_types_are_a_programming_error(app):
    with app.app_context(), pytest.raises(ValueError):
        events.emit(db.session, "image.teleported", {})
    with app.app_context(), pytest.raises(ValueError):
        events.emit_each(db.session, "image.teleported", select(OutboxEvent.data))
