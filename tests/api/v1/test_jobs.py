"""/api/v1/jobs: status, list, cancel."""

from __future__ import annotations

import pytest

from gateway.app.audit.service import SYSTEM
from gateway.app.extensions import db
from gateway.app.generation import service
from gateway.app.generation.params import parse_generate
from gateway.app.generation.service import Requester

JOB_FIELDS = {
    "job_id",
    "status",
    "progress",
    "backend",
    "params",
    "image_ids",
    "error",
    "created_at",
    "started_at",
    "completed_at",
}


@pytest.fixture
def pending_job(app):
    """A job recorded as pending whose queue message never arrives."""

    def make(prompt="waiting in line"):
        with app.app_context():
            context = app.extensions["generation"]
            params = parse_generate({"prompt": prompt, "width": 64, "height": 64}, context.settings)
            job = service.submit_generation(
                db.session, context.registry, lambda job_id: None, params, Requester(SYSTEM)
            )
            return job.id

    return make


def generate(client, headers, prompt="tiny badge", **extra):
    response = client.post(
        "/api/v1/generate",
        json={"prompt": prompt, "width": 64, "height": 64, "seed": 1, **extra},
        headers=headers,
    )
    assert response.status_code == 202, response.get_json()
    return response.get_json()["job_id"]


def test_a_finished_job_has_the_contract_shape(client, admin_headers):
    job_id = generate(client, admin_headers, batch_size=2)
    response = client.get(f"/api/v1/jobs/{job_id}", headers=admin_headers)
    assert response.status_code == 200
    job = response.get_json()
    assert set(job) >= JOB_FIELDS
    assert job["job_id"] == job_id
    assert job["status"] == "completed"
    assert job["progress"] == 1.0
    assert job["backend"] == "local"
    assert job["params"]["prompt"] == "tiny badge"
    assert job["params"]["batch_size"] == 2
    assert len(job["image_ids"]) == 2
    assert job["error"] is None
    assert job["attempts"] == 1
    for stamp in ("created_at", "started_at", "completed_at"):
        assert job[stamp].endswith("Z")
    assert job["created_at"] <= job["started_at"] <= job["completed_at"]


def test_a_pending_job_has_no_start_or_images_yet(client, admin_headers, pending_job):
    job = client.get(f"/api/v1/jobs/{pending_job()}", headers=admin_headers).get_json()
    assert job["status"] == "pending"
    assert job["image_ids"] == []
    assert job["started_at"] is None and job["completed_at"] is None
    assert job["progress"] == 0


def test_list_filters_by_status_and_limits(client, admin_headers, pending_job):
    done = [generate(client, admin_headers, seed=seed) for seed in (1, 2)]
    waiting = pending_job()
    everything = client.get("/api/v1/jobs", headers=admin_headers).get_json()["items"]
    assert {job["job_id"] for job in everything} == {*done, waiting}
    assert all(set(job) >= JOB_FIELDS for job in everything)
    pending = client.get("/api/v1/jobs?status=pending", headers=admin_headers).get_json()
    assert [job["job_id"] for job in pending["items"]] == [waiting]
    completed = client.get("/api/v1/jobs?status=completed", headers=admin_headers).get_json()
    assert {job["job_id"] for job in completed["items"]} == set(done)
    assert all(len(job["image_ids"]) == 1 for job in completed["items"])
    limited = client.get("/api/v1/jobs?limit=1", headers=admin_headers).get_json()
    assert len(limited["items"]) == 1
    assert client.get("/api/v1/jobs?status=failed", headers=admin_headers).get_json() == {
        "items": []
    }


@pytest.mark.parametrize(
    "query", ["status=done", "status=", "limit=0", "limit=201", "limit=lots", "limit="]
)
def test_list_refuses_bad_query_parameters(client, admin_headers, query):
    response = client.get(f"/api/v1/jobs?{query}", headers=admin_headers)
    assert response.status_code == 400
    assert response.get_json()["code"] == "VALIDATION_ERROR"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/jobs/job_doesnotexist",
        "/api/v1/jobs/job_x%00y",
        "/api/v1/jobs/job_x%00y/cancel",
        "/api/v1/jobs/" + "j" * 300,
        "/api/v1/jobs/job_doesnotexist/cancel",
    ],
)
def test_unknown_jobs_are_404(client, admin_headers, path):
    method = client.post if path.endswith("/cancel") else client.get
    response = method(path, headers=admin_headers)
    assert response.status_code == 404
    assert response.get_json()["code"] == "NOT_FOUND"


def test_cancelling_a_completed_job_is_409(client, admin_headers):
    job_id = generate(client, admin_headers)
    response = client.post(f"/api/v1/jobs/{job_id}/cancel", headers=admin_headers)
    assert response.status_code == 409
    error = response.get_json()
    assert error["code"] == "CONFLICT"
    assert error["details"]["status"] == "completed"
    job = client.get(f"/api/v1/jobs/{job_id}", headers=admin_headers).get_json()
    assert job["status"] == "completed"


def test_cancelling_a_pending_job_makes_it_cancelled_once(client, admin_headers, pending_job):
    job_id = pending_job()
    response = client.post(f"/api/v1/jobs/{job_id}/cancel", headers=admin_headers)
    assert response.status_code == 200, response.get_json()
    job = response.get_json()
    assert job["status"] == "cancelled"
    assert job["error"]["code"] == "CANCELLED"
    assert job["completed_at"].endswith("Z")
    assert job["image_ids"] == []
    again = client.post(f"/api/v1/jobs/{job_id}/cancel", headers=admin_headers)
    assert again.status_code == 409


def test_cancel_needs_the_generate_scope(client, viewer_headers, admin_headers, pending_job):
    job_id = pending_job()
    assert client.get(f"/api/v1/jobs/{job_id}", headers=viewer_headers).status_code == 200
    response = client.post(f"/api/v1/jobs/{job_id}/cancel", headers=viewer_headers)
    assert response.status_code == 403
    assert client.post(f"/api/v1/jobs/{job_id}/cancel").status_code == 401
    assert client.get("/api/v1/jobs").status_code == 401
    job = client.get(f"/api/v1/jobs/{job_id}", headers=admin_headers).get_json()
    assert job["status"] == "pending"


def test_an_api_read_does_not_leave_its_thread_declared_read_only(client, viewer_headers):
    """A GET's shared-read SQLite transactions end with the request: the next work on the thread
    (a test's setup, a worker thread reused by the server) begins IMMEDIATE and may write."""
    from gateway.app import database

    assert client.get("/api/v1/jobs", headers=viewer_headers).status_code == 200
    assert database._reads_only.get() is False
