"""v2 requires Idempotency-Key on generate and batch calls, and replays it like v1."""

from __future__ import annotations

import pytest

from tests.api.v2.conftest import upload, with_key


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v2/generate", {"prompt": "a fox"}),
        ("/api/v2/batch/approve", {"image_ids": ["img_1"]}),
        ("/api/v2/batch/reject", {"image_ids": ["img_1"], "reason": "other"}),
        ("/api/v2/batch/delete", {"image_ids": ["img_1"]}),
        ("/api/v2/batch/publish", {"image_ids": ["img_1"], "template_id": "tpl_1"}),
    ],
)
def test_generate_and_batch_calls_without_a_key_are_refused_and_do_nothing(
    client, admin_headers, path, body
):
    before = client.get("/api/v2/jobs", headers=admin_headers).get_json()["items"]
    response = client.post(path, headers=admin_headers, json=body)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["errors"] == [{"field": "Idempotency-Key", "message": "is required"}]
    assert client.get("/api/v2/jobs", headers=admin_headers).get_json()["items"] == before


def test_the_same_key_replays_the_first_job_instead_of_queueing_another(client, admin_headers):
    headers = with_key(admin_headers)
    first = client.post("/api/v2/generate", headers=headers, json={"prompt": "a fox"})
    again = client.post("/api/v2/generate", headers=headers, json={"prompt": "a fox"})
    assert first.status_code == again.status_code == 202
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert first.get_json()["status_url"].endswith(f"/api/v2/jobs/{first.get_json()['job_id']}")
    jobs = client.get("/api/v2/jobs", headers=admin_headers).get_json()["items"]
    assert [job["job_id"] for job in jobs] == [first.get_json()["job_id"]]


def test_a_key_reused_with_another_body_is_a_problem(client, admin_headers):
    headers = with_key(admin_headers)
    client.post("/api/v2/generate", headers=headers, json={"prompt": "a fox"})
    response = client.post("/api/v2/generate", headers=headers, json={"prompt": "an owl"})
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "IDEMPOTENCY_KEY_REUSED"


def test_a_replayed_failure_is_still_a_problem_document(client, admin_headers):
    headers = with_key(admin_headers)
    body = {"image_ids": ["img_missing"], "template_id": "tpl_missing"}
    first = client.post("/api/v2/batch/publish", headers=headers, json=body)
    again = client.post("/api/v2/batch/publish", headers=headers, json=body)
    assert first.status_code == again.status_code == 404
    assert again.mimetype == "application/problem+json"
    assert again.get_json() == first.get_json()


def test_batch_approve_with_a_key_reports_each_image(client, admin_headers):
    image = upload(client, admin_headers)
    response = client.post(
        "/api/v2/batch/approve",
        headers=with_key(admin_headers),
        json={"image_ids": [image["id"], "img_missing"]},
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["successful"] == [image["id"]]
    assert [item["image_id"] for item in body["failed"]] == ["img_missing"]


def test_calls_v2_does_not_require_a_key_for_still_take_one(client, admin_headers):
    image = upload(client, admin_headers)
    response = client.post(f"/api/v2/images/{image['id']}/approve", headers=admin_headers, json={})
    assert response.status_code == 200
