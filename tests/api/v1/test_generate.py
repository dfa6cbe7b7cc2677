"""POST /api/v1/generate and /edit, through the in-process app (immediate queue)."""

from __future__ import annotations

import pytest


def test_generate_queues_a_job_that_yields_pending_images(client, admin_headers):
    response = client.post(
        "/api/v1/generate",
        json={
            "prompt": "retro sunset surf club",
            "width": 256,
            "height": 256,
            "batch_size": 2,
            "seed": 7,
        },
        headers=admin_headers,
    )
    assert response.status_code == 202
    body = response.get_json()
    assert body["status"] == "pending"
    assert body["status_url"].endswith(f"/api/v1/jobs/{body['job_id']}")
    assert body["websocket_url"].startswith("ws://") and body["websocket_url"].endswith(
        body["job_id"]
    )
    job = client.get(f"/api/v1/jobs/{body['job_id']}", headers=admin_headers).get_json()
    assert job["status"] == "completed"
    assert len(job["image_ids"]) == 2
    for image_id in job["image_ids"]:
        image = client.get(f"/api/v1/images/{image_id}", headers=admin_headers).get_json()
        assert image["status"] == "pending"
        assert image["backend"] == "local"
        assert image["prompt"] == "retro sunset surf club"
    seeds = [
        client.get(f"/api/v1/images/{i}", headers=admin_headers).get_json()["seed"]
        for i in job["image_ids"]
    ]
    assert seeds == [7, 8]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "prompt"),
        ({"prompt": ""}, "prompt"),
        ({"prompt": "x" * 501}, "prompt"),
        ({"prompt": "<script>alert(1)</script>"}, "prompt"),
        ({"prompt": "bell\x07"}, "prompt"),
        ({"prompt": "ok", "width": "wide"}, "width"),
        ({"prompt": "ok", "width": 100}, "width"),
        ({"prompt": "ok", "height": 100000}, "height"),
        ({"prompt": "ok", "steps": 0}, "steps"),
        ({"prompt": "ok", "guidance": 99}, "guidance"),
        ({"prompt": "ok", "sampler": "magic"}, "sampler"),
        ({"prompt": "ok", "seed": -1}, "seed"),
        ({"prompt": "ok", "batch_size": 26}, "batch_size"),
        ({"prompt": "ok", "batch_size": True}, "batch_size"),
        ({"prompt": "ok", "backend": "dalle"}, "backend"),
        ({"prompt": "ok", "surprise": 1}, "surprise"),
    ],
)
def test_invalid_generate_parameters_are_refused_with_field_errors(
    client, admin_headers, body, field
):
    response = client.post("/api/v1/generate", json=body, headers=admin_headers)
    assert response.status_code == 400
    error = response.get_json()
    assert error["code"] == "VALIDATION_ERROR"
    assert field in error["details"]["fields"]
    assert error["request_id"]


def test_malformed_json_is_a_validation_error(client, admin_headers):
    response = client.post(
        "/api/v1/generate", data="{not json", content_type="application/json", headers=admin_headers
    )
    assert response.status_code == 400
    assert response.get_json()["code"] == "VALIDATION_ERROR"


def test_a_json_array_body_is_refused(client, admin_headers):
    response = client.post("/api/v1/generate", json=["prompt"], headers=admin_headers)
    assert response.status_code == 400


@pytest.mark.parametrize("path", ["/api/v1/generate", "/api/v1/edit"])
@pytest.mark.parametrize("backend", ["runpod", None, "nonsense"])
def test_a_backend_this_deployment_has_not_configured_is_a_400_naming_backend(
    client, admin_headers, path, backend
):
    body = {"prompt": "x", "image_id": "img_x", "instruction": "x", "backend": backend}
    if path.endswith("generate"):
        del body["image_id"], body["instruction"]
    else:
        del body["prompt"]
    response = client.post(path, json=body, headers=admin_headers)
    assert response.status_code == 400
    error = response.get_json()
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"]["fields"] == {"backend": "must be one of: local"}


def test_the_documented_backends_are_the_configured_ones(client):
    document = client.get("/api/v1/swagger.json").get_json()
    for model in ("GenerateRequest", "EditRequest"):
        backend = document["definitions"][model]["properties"]["backend"]
        assert backend["enum"] == ["local"] and "x-nullable" not in backend
    for path in ("/generate", "/edit"):
        unavailable = document["paths"][path]["post"]["responses"]["503"]
        assert "circuit" in unavailable["description"]
        assert unavailable["headers"]["Retry-After"]["x-required"] is True


def test_generate_without_a_key_is_401_and_with_a_read_key_403(client, viewer_headers):
    assert client.post("/api/v1/generate", json={"prompt": "x"}).status_code == 401
    response = client.post("/api/v1/generate", json={"prompt": "x"}, headers=viewer_headers)
    assert response.status_code == 403
    assert response.get_json()["code"] == "FORBIDDEN"


def test_edit_makes_child_images_of_the_source(client, admin_headers):
    job = client.post(
        "/api/v1/generate",
        json={"prompt": "neon tiger", "width": 256, "height": 256, "seed": 3},
        headers=admin_headers,
    ).get_json()
    source_id = client.get(f"/api/v1/jobs/{job['job_id']}", headers=admin_headers).get_json()[
        "image_ids"
    ][0]
    edit = client.post(
        "/api/v1/edit",
        json={"image_id": source_id, "instruction": "invert colours"},
        headers=admin_headers,
    )
    assert edit.status_code == 202
    done = client.get(f"/api/v1/jobs/{edit.get_json()['job_id']}", headers=admin_headers).get_json()
    assert done["status"] == "completed", done
    child = client.get(f"/api/v1/images/{done['image_ids'][0]}", headers=admin_headers).get_json()
    assert child["parent_id"] == source_id
    assert child["width"] == 256


def test_edit_of_an_unknown_image_is_404(client, admin_headers):
    response = client.post(
        "/api/v1/edit",
        json={"image_id": "img_nope", "instruction": "invert"},
        headers=admin_headers,
    )
    assert response.status_code == 404
    assert response.get_json()["code"] == "NOT_FOUND"
