"""POST /api/v1/images/{id}/upscale, through the in-process app (immediate queue)."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.api.v1.test_publishing import OFFLINE_TEMPLATE, create_template
from tests.conftest import upload_design


def _upscale(client: FlaskClient, headers: dict[str, str], image_id: str, body: object):
    return client.post(f"/api/v1/images/{image_id}/upscale", json=body, headers=headers)


@pytest.mark.parametrize("factor", [2, 4])
def test_upscale_makes_one_pending_child_image_factor_times_larger(client, admin_headers, factor):
    source_id = upload_design(client, admin_headers, 200, 120)
    response = _upscale(client, admin_headers, source_id, {"factor": factor})
    assert response.status_code == 202
    job = client.get(f"/api/v1/jobs/{response.get_json()['job_id']}", headers=admin_headers)
    job = job.get_json()
    assert (job["status"], job["mode"], job["source_image_id"]) == (
        "completed",
        "upscale",
        source_id,
    )
    assert len(job["image_ids"]) == 1
    child = client.get(f"/api/v1/images/{job['image_ids'][0]}", headers=admin_headers).get_json()
    assert child["parent_id"] == source_id
    assert (child["width"], child["height"]) == (200 * factor, 120 * factor)
    assert (child["status"], child["source"], child["backend"]) == ("pending", "upscale", "local")
    assert child["params"]["upscale_factor"] == factor


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"factor": 3}, "factor"),
        ({"factor": 8}, "factor"),
        ({"factor": "2"}, "factor"),
        ({"factor": 2.0}, "factor"),
        ({"factor": True}, "factor"),
        ({}, "factor"),
        ({"factor": 2, "backend": "dalle"}, "backend"),
        ({"factor": 2, "backend": "runpod"}, "backend"),
        ({"factor": 2, "scale": 2}, "scale"),
    ],
)
def test_a_bad_factor_or_backend_is_a_400_naming_the_field(client, admin_headers, body, field):
    source_id = upload_design(client, admin_headers, 64, 64)
    response = _upscale(client, admin_headers, source_id, body)
    assert response.status_code == 400
    error = response.get_json()
    assert error["code"] == "VALIDATION_ERROR"
    assert field in error["details"]["fields"]


def test_upscale_of_an_unknown_image_is_404(client, admin_headers):
    response = _upscale(client, admin_headers, "img_nope", {"factor": 2})
    assert response.status_code == 404
    assert response.get_json()["code"] == "NOT_FOUND"


def test_an_upscale_past_max_image_dimension_is_refused_before_any_job(client, admin_headers):
    source_id = upload_design(client, admin_headers, 2560, 64)
    response = _upscale(client, admin_headers, source_id, {"factor": 4})
    assert response.status_code == 400
    error = response.get_json()
    assert "10240x256" in error["error"] and "8192" in error["error"]
    assert "factor" in error["details"]["fields"]
    assert client.get("/api/v1/jobs", headers=admin_headers).get_json()["items"] == []
    assert _upscale(client, admin_headers, source_id, {"factor": 2}).status_code == 202


def test_the_same_idempotency_key_replays_the_first_upscale(client, admin_headers):
    source_id = upload_design(client, admin_headers, 64, 64)
    headers = {**admin_headers, "Idempotency-Key": "upscale-once"}
    first = _upscale(client, headers, source_id, {"factor": 2})
    again = _upscale(client, headers, source_id, {"factor": 2})
    assert first.status_code == again.status_code == 202
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(client.get("/api/v1/jobs", headers=admin_headers).get_json()["items"]) == 1
    other = _upscale(client, headers, source_id, {"factor": 4})
    assert other.status_code == 422


def test_upscale_needs_the_generate_scope(client, admin_headers, viewer_headers):
    source_id = upload_design(client, admin_headers, 64, 64)
    response = _upscale(client, viewer_headers, source_id, {"factor": 2})
    assert response.status_code == 403
    assert response.get_json()["code"] == "FORBIDDEN"


@pytest.mark.parametrize(
    ("source_width", "needed", "factor", "reachable"),
    [
        (720, False, None, True),
        (360, True, 2, True),
        (359, True, 4, True),
        (179, True, None, False),
    ],
)
def test_readiness_at_a_template_names_the_factor_that_reaches_the_print_dpi(
    client, admin_headers, source_width, needed, factor, reachable
):
    """The tee's design is 720 px wide (0.8 of 900): a 720 px source prints at 300 DPI."""
    template = create_template(client, admin_headers, OFFLINE_TEMPLATE)
    image_id = upload_design(client, admin_headers, source_width, source_width)
    report = client.get(
        f"/api/v1/templates/{template['id']}/readiness/{image_id}", headers=admin_headers
    ).get_json()

    assert report["upscale_for_print"] == {
        "needed": needed,
        "factor": factor,
        "reachable": reachable,
        "allowed": [2, 4],
    }
    if factor:
        job = _upscale(client, admin_headers, image_id, {"factor": factor}).get_json()
        child_id = client.get(f"/api/v1/jobs/{job['job_id']}", headers=admin_headers).get_json()[
            "image_ids"
        ][0]
        after = client.get(
            f"/api/v1/templates/{template['id']}/readiness/{child_id}", headers=admin_headers
        ).get_json()
        assert after["effective_dpi"] >= 300
        assert after["upscale_for_print"]["needed"] is False


def test_the_child_starts_with_its_sources_listing(client, admin_headers):
    source_id = upload_design(
        client,
        admin_headers,
        80,
        60,
        title="Sunset surf club",
        description="warm tones",
        tags="retro, surf",
    )
    job = _upscale(client, admin_headers, source_id, {"factor": 2}).get_json()
    child_id = client.get(f"/api/v1/jobs/{job['job_id']}", headers=admin_headers).get_json()[
        "image_ids"
    ][0]
    child = client.get(f"/api/v1/images/{child_id}", headers=admin_headers).get_json()

    assert (child["title"], child["description"], child["tags"]) == (
        "Sunset surf club",
        "warm tones",
        ["retro", "surf"],
    )
    assert child["prompt"] == "Sunset surf club"
