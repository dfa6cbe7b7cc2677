"""/api/v1/batch/*: a per-item outcome for every id, never all-or-nothing."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import update

from gateway.app.extensions import db
from gateway.app.images.models import Image
from tests.conftest import artwork


@pytest.fixture
def images(app, client, admin_headers):
    """One image in each of pending, approved, rejected and published, by status."""
    made = {}
    for seed, status in enumerate(("pending", "approved", "rejected", "published"), start=1):
        response = client.post(
            "/api/v1/images",
            data={"file": (io.BytesIO(artwork(96, 96, seed=seed)), "d.png")},
            headers=admin_headers,
            content_type="multipart/form-data",
        )
        assert response.status_code == 201
        made[status] = response.get_json()["id"]
    with app.app_context():
        for status, image_id in made.items():
            db.session.execute(update(Image).where(Image.id == image_id).values(status=status))
        db.session.commit()
    return made


def status_of(client, headers, image_id):
    response = client.get(f"/api/v1/images/{image_id}", headers=headers)
    return response.get_json()["status"] if response.status_code == 200 else None


def errors_by_id(body):
    return {item["image_id"]: item["error"]["code"] for item in body["failed"]}


def test_batch_approve_reports_each_outcome(client, reviewer_headers, admin_headers, images):
    ids = [images["pending"], images["approved"], "img_unknown", images["rejected"]]
    response = client.post(
        "/api/v1/batch/approve", json={"image_ids": ids}, headers=reviewer_headers
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["successful"] == [images["pending"]]
    assert body["skipped"] == [images["approved"]]
    assert errors_by_id(body) == {
        "img_unknown": "NOT_FOUND",
        images["rejected"]: "INVALID_TRANSITION",
    }
    assert all(item["error"]["message"] for item in body["failed"])
    assert body["counts"] == {"successful": 1, "failed": 2, "skipped": 1, "total": 4}
    assert status_of(client, admin_headers, images["pending"]) == "approved"
    assert status_of(client, admin_headers, images["rejected"]) == "rejected"
    history = client.get(f"/api/v1/images/{images['pending']}", headers=admin_headers).get_json()[
        "history"
    ]
    assert history[-1]["action"] == "approved"
    assert history[-1]["actor"]["name"] == "reviewer"


def test_batch_reject_reports_each_outcome(client, admin_headers, images):
    ids = [images["pending"], images["rejected"], "img_unknown", images["approved"]]
    response = client.post(
        "/api/v1/batch/reject",
        json={"image_ids": ids, "reason": "duplicate", "note": "same as last week"},
        headers=admin_headers,
    )
    body = response.get_json()
    assert body["successful"] == [images["pending"]]
    assert body["skipped"] == [images["rejected"]]
    assert errors_by_id(body) == {
        "img_unknown": "NOT_FOUND",
        images["approved"]: "INVALID_TRANSITION",
    }
    assert body["counts"] == {"successful": 1, "failed": 2, "skipped": 1, "total": 4}
    rejected = client.get(f"/api/v1/images/{images['pending']}", headers=admin_headers).get_json()
    assert rejected["reject_reason"] == "duplicate"
    assert rejected["review_note"] == "same as last week"


@pytest.mark.parametrize("reason", [None, "ugly", 3])
def test_batch_reject_needs_a_known_reason_and_changes_nothing(
    client, admin_headers, images, reason
):
    body = {"image_ids": [images["pending"]]}
    if reason is not None:
        body["reason"] = reason
    response = client.post("/api/v1/batch/reject", json=body, headers=admin_headers)
    assert response.status_code == 400
    assert "reason" in response.get_json()["details"]["fields"]
    assert status_of(client, admin_headers, images["pending"]) == "pending"


def test_batch_delete_needs_force_for_published_images(client, admin_headers, images):
    ids = [images["pending"], images["published"], "img_unknown"]
    body = client.post(
        "/api/v1/batch/delete", json={"image_ids": ids}, headers=admin_headers
    ).get_json()
    assert body["successful"] == [images["pending"]]
    assert errors_by_id(body) == {
        images["published"]: "INVALID_TRANSITION",
        "img_unknown": "NOT_FOUND",
    }
    assert body["counts"] == {"successful": 1, "failed": 2, "skipped": 0, "total": 3}
    assert status_of(client, admin_headers, images["pending"]) is None
    assert status_of(client, admin_headers, images["published"]) == "published"
    forced = client.post(
        "/api/v1/batch/delete",
        json={"image_ids": [images["published"], images["rejected"]], "force": True},
        headers=admin_headers,
    ).get_json()
    assert forced["successful"] == [images["published"], images["rejected"]]
    assert status_of(client, admin_headers, images["published"]) is None
    assert client.get("/api/v1/images", headers=admin_headers).get_json()["total"] == 1


def test_batch_delete_refuses_a_non_boolean_force(client, admin_headers, images):
    response = client.post(
        "/api/v1/batch/delete",
        json={"image_ids": [images["published"]], "force": "yes"},
        headers=admin_headers,
    )
    assert response.status_code == 400
    assert status_of(client, admin_headers, images["published"]) == "published"


def test_duplicate_ids_are_handled_once(client, admin_headers, images):
    pending = images["pending"]
    body = client.post(
        "/api/v1/batch/approve",
        json={"image_ids": [pending, pending, "img_x", pending, "img_x"]},
        headers=admin_headers,
    ).get_json()
    assert body["successful"] == [pending]
    assert [item["image_id"] for item in body["failed"]] == ["img_x"]
    assert body["counts"]["total"] == 2
    history = client.get(f"/api/v1/images/{pending}", headers=admin_headers).get_json()["history"]
    assert [entry["action"] for entry in history] == ["created", "approved"]


def test_a_retried_batch_skips_what_it_already_did(client, admin_headers, images):
    ids = [images["pending"]]
    first = client.post("/api/v1/batch/approve", json={"image_ids": ids}, headers=admin_headers)
    second = client.post("/api/v1/batch/approve", json={"image_ids": ids}, headers=admin_headers)
    assert first.get_json()["counts"]["successful"] == 1
    assert second.get_json()["skipped"] == ids
    assert second.get_json()["counts"]["successful"] == 0


@pytest.mark.parametrize("action", ["approve", "reject", "delete"])
@pytest.mark.parametrize(
    "image_ids",
    [
        [],
        None,
        "img_a",
        [1, 2],
        [""],
        ["x" * 65],
        ["img_\x00nul"],
        [f"img_{i}" for i in range(10_001)],
    ],
    ids=["empty", "missing", "string", "numbers", "blank", "too-long", "nul", "10001"],
)
def test_invalid_id_lists_are_refused(client, admin_headers, action, image_ids):
    body = {"reason": "other"} if action == "reject" else {}
    if image_ids is not None:
        body["image_ids"] = image_ids
    response = client.post(f"/api/v1/batch/{action}", json=body, headers=admin_headers)
    assert response.status_code == 400
    error = response.get_json()
    assert error["code"] == "VALIDATION_ERROR"
    # A NUL is refused with the whole body, before any handler reads it.
    field = "body" if image_ids == ["img_\x00nul"] else "image_ids"
    assert field in error["details"]["fields"]


def test_ten_thousand_ids_are_accepted_and_each_answered(client, admin_headers):
    ids = [f"img_missing_{i:05d}" for i in range(10_000)]
    response = client.post("/api/v1/batch/approve", json={"image_ids": ids}, headers=admin_headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["counts"] == {"successful": 0, "failed": 10_000, "skipped": 0, "total": 10_000}
    assert [item["image_id"] for item in body["failed"]] == ids
    assert {item["error"]["code"] for item in body["failed"]} == {"NOT_FOUND"}


def test_a_non_object_body_is_refused(client, admin_headers):
    response = client.post("/api/v1/batch/approve", json=["img_a"], headers=admin_headers)
    assert response.status_code == 400


def test_batch_needs_the_review_scope(client, viewer_headers, admin_headers, images):
    for action in ("approve", "reject", "delete"):
        response = client.post(
            f"/api/v1/batch/{action}",
            json={"image_ids": [images["pending"]], "reason": "other"},
            headers=viewer_headers,
        )
        assert response.status_code == 403
        assert client.post(f"/api/v1/batch/{action}", json={"image_ids": ["x"]}).status_code == 401
    assert status_of(client, admin_headers, images["pending"]) == "pending"


@pytest.mark.parametrize("action", ["approve", "reject", "delete"])
def test_unknown_fields_are_refused(client, admin_headers, action):
    body = {"image_ids": ["img_a"], "reason": "other", "forse": True}
    if action != "reject":
        del body["reason"]
    response = client.post(f"/api/v1/batch/{action}", json=body, headers=admin_headers)
    assert response.status_code == 400
    assert response.get_json()["details"]["fields"] == {"forse": "is not a known field"}


def test_a_bad_note_is_refused_before_any_image_is_looked_up(client, admin_headers):
    body = {"image_ids": ["img_missing"], "reason": "other", "note": "\x84"}
    response = client.post("/api/v1/batch/reject", json=body, headers=admin_headers)
    assert response.status_code == 400
    assert response.get_json()["details"]["fields"] == {"note": "contains control characters"}
