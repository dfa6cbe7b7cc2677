"""Idempotency-Key (contract section 7) on the v1 POST endpoints."""

from __future__ import annotations

import io
from datetime import timedelta

from sqlalchemy import delete, update

from gateway.app.database import utcnow
from gateway.app.extensions import db
from gateway.app.generation.models import GenerationJob
from gateway.app.idempotency import IdempotencyRecord

BODY = {"prompt": "idempotent poster", "width": 64, "height": 64, "seed": 1}


def _jobs(app) -> int:
    with app.app_context():
        return db.session.query(GenerationJob).count()


def test_same_key_and_body_replays_the_first_response_without_new_work(app, client, admin_headers):
    headers = {**admin_headers, "Idempotency-Key": "order-1"}
    first = client.post("/api/v1/generate", json=BODY, headers=headers)
    second = client.post("/api/v1/generate", json=BODY, headers=headers)
    assert first.status_code == second.status_code == 202
    assert first.get_json() == second.get_json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert _jobs(app) == 1


def test_the_same_json_in_other_whitespace_and_key_order_replays(app, client, admin_headers):
    headers = {
        **admin_headers,
        "Idempotency-Key": "order-canonical",
        "Content-Type": "application/json",
    }
    compact = '{"prompt":"idempotent poster","width":64,"height":64,"seed":1}'
    spaced = '{ "seed" : 1,\n  "height": 64, "width":64,  "prompt": "idempotent poster" }'
    first = client.post("/api/v1/generate", data=compact, headers=headers)
    second = client.post("/api/v1/generate", data=spaced, headers=headers)
    assert first.status_code == second.status_code == 202
    assert second.headers["Idempotent-Replayed"] == "true"
    assert first.get_json() == second.get_json()
    assert _jobs(app) == 1


def test_the_same_upload_replays_and_another_file_is_reused(
    app, client, admin_headers, make_artwork
):
    headers = {**admin_headers, "Idempotency-Key": "upload-1"}

    def upload(seed: int):
        form = {"file": (io.BytesIO(make_artwork(64, 64, seed=seed)), "a.png"), "title": "Mine"}
        return client.post("/api/v1/images", data=form, headers=headers)

    first, again, other = upload(1), upload(1), upload(2)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert other.status_code == 422


def test_same_key_with_another_body_is_422_idempotency_key_reused(app, client, admin_headers):
    headers = {**admin_headers, "Idempotency-Key": "order-2"}
    client.post("/api/v1/generate", json=BODY, headers=headers)
    response = client.post("/api/v1/generate", json={**BODY, "seed": 2}, headers=headers)
    assert response.status_code == 422
    assert response.get_json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert _jobs(app) == 1


def test_a_key_still_in_progress_is_409_idempotency_key_in_use(
    app, client, admin_headers, make_key
):
    headers = {**admin_headers, "Idempotency-Key": "order-3"}
    client.post("/api/v1/generate", json=BODY, headers=headers)
    with app.app_context():
        db.session.execute(
            update(IdempotencyRecord).values(status="in_progress", response_body=None)
        )
        db.session.commit()
    response = client.post("/api/v1/generate", json=BODY, headers=headers)
    assert response.status_code == 409
    assert response.get_json()["code"] == "IDEMPOTENCY_KEY_IN_USE"
    assert response.headers["Retry-After"] == "1"


def test_a_key_abandoned_in_progress_by_a_killed_process_is_taken_over_by_its_retry(
    app, client, admin_headers
):
    headers = {**admin_headers, "Idempotency-Key": "order-killed"}
    client.post("/api/v1/generate", json=BODY, headers=headers)
    with app.app_context():
        # As a process killed mid-request leaves it: in progress, no job committed.
        db.session.execute(delete(GenerationJob))
        db.session.execute(
            update(IdempotencyRecord).values(
                status="in_progress", response_body=None, created_at=utcnow() - timedelta(minutes=3)
            )
        )
        db.session.commit()
    retried = client.post("/api/v1/generate", json=BODY, headers=headers)
    assert retried.status_code == 202
    assert "Idempotent-Replayed" not in retried.headers
    assert _jobs(app) == 1
    other = client.post("/api/v1/generate", json={**BODY, "seed": 9}, headers=headers)
    assert other.status_code == 422


def test_a_key_in_progress_for_less_than_the_abandon_time_is_left_alone(app, client, admin_headers):
    headers = {**admin_headers, "Idempotency-Key": "order-slow"}
    client.post("/api/v1/generate", json=BODY, headers=headers)
    with app.app_context():
        db.session.execute(
            update(IdempotencyRecord).values(
                status="in_progress",
                response_body=None,
                created_at=utcnow() - timedelta(seconds=60),
            )
        )
        db.session.commit()
    assert client.post("/api/v1/generate", json=BODY, headers=headers).status_code == 409


def test_keys_are_scoped_to_the_api_key(app, client, admin_headers, make_key):
    other = {"X-API-Key": make_key(name="other"), "Idempotency-Key": "shared"}
    client.post(
        "/api/v1/generate", json=BODY, headers={**admin_headers, "Idempotency-Key": "shared"}
    )
    response = client.post("/api/v1/generate", json={**BODY, "seed": 9}, headers=other)
    assert response.status_code == 202
    assert _jobs(app) == 2


def test_a_validation_error_is_replayed_too(app, client, admin_headers):
    headers = {**admin_headers, "Idempotency-Key": "bad-1"}
    first = client.post("/api/v1/generate", json={"prompt": ""}, headers=headers)
    second = client.post("/api/v1/generate", json={"prompt": ""}, headers=headers)
    assert first.status_code == second.status_code == 400
    assert second.get_json()["code"] == "VALIDATION_ERROR"
    assert second.headers["Idempotent-Replayed"] == "true"


def test_a_record_older_than_24_hours_no_longer_replays(app, client, admin_headers):
    headers = {**admin_headers, "Idempotency-Key": "old"}
    client.post("/api/v1/generate", json=BODY, headers=headers)
    with app.app_context():
        db.session.execute(
            update(IdempotencyRecord).values(created_at=utcnow() - timedelta(hours=25))
        )
        db.session.commit()
    response = client.post("/api/v1/generate", json=BODY, headers=headers)
    assert "Idempotent-Replayed" not in response.headers
    assert _jobs(app) == 2


def test_an_overlong_key_is_a_validation_error(client, admin_headers):
    headers = {**admin_headers, "Idempotency-Key": "k" * 256}
    response = client.post("/api/v1/generate", json=BODY, headers=headers)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.get_json()["details"]["fields"]
