"""v2 answers errors as RFC 9457 problem+json; v1 keeps its envelope and announces its sunset."""

from __future__ import annotations

from email.utils import parsedate_to_datetime

import pytest

PROBLEM_FIELDS = {"type", "title", "status", "detail", "instance", "code", "request_id"}


def test_unknown_resource_is_a_problem_document(client, admin_headers):
    response = client.get("/api/v2/images/img_missing", headers=admin_headers)
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert set(body) >= PROBLEM_FIELDS
    assert body["status"] == 404 and body["code"] == "NOT_FOUND"
    assert body["instance"] == "/api/v2/images/img_missing"
    assert body["request_id"] == response.headers["X-Request-ID"]


def test_invalid_fields_are_listed_one_by_one(client, admin_headers):
    response = client.post(
        "/api/v2/generate",
        headers={**admin_headers, "Idempotency-Key": "fields-1"},
        json={"prompt": "", "width": "wide", "steps": 9999},
    )
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["code"] == "VALIDATION_ERROR" and body["title"]
    fields = {error["field"] for error in body["errors"]}
    assert {"prompt", "width", "steps"} <= fields
    assert all(error["message"] for error in body["errors"])


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [({}, 401, "UNAUTHORIZED"), ({"X-API-Key": "pod_wrong"}, 401, "UNAUTHORIZED")],
)
def test_authentication_failures_are_problems(client, headers, status, code):
    response = client.get("/api/v2/jobs", headers=headers)
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == code


def test_missing_scope_is_a_forbidden_problem(client, viewer_headers):
    response = client.post(
        "/api/v2/batch/approve",
        headers={**viewer_headers, "Idempotency-Key": "scope-1"},
        json={"image_ids": ["img_1"]},
    )
    assert response.status_code == 403
    assert response.get_json()["code"] == "FORBIDDEN"


def test_malformed_json_body_is_a_problem(client, admin_headers):
    response = client.post(
        "/api/v2/generate",
        headers={**admin_headers, "Idempotency-Key": "json-1", "Content-Type": "application/json"},
        data=b"{not json",
    )
    assert response.status_code == 400
    assert response.get_json()["errors"] == [{"field": "body", "message": "is not valid JSON"}]


def test_v2_answers_carry_no_deprecation(client, admin_headers):
    response = client.get("/api/v2/images", headers=admin_headers)
    assert response.status_code == 200
    assert "Deprecation" not in response.headers and "Sunset" not in response.headers


def test_v1_answers_announce_deprecation_sunset_and_the_v2_successor(client, admin_headers):
    for response in (
        client.get("/api/v1/images", headers=admin_headers),
        client.get("/api/v1/images/img_missing", headers=admin_headers),
    ):
        assert response.headers["Deprecation"].startswith("@")
        sunset = parsedate_to_datetime(response.headers["Sunset"])
        assert (sunset.year, sunset.month, sunset.day) == (2027, 12, 1)
        assert int(response.headers["Deprecation"][1:]) < sunset.timestamp()
        assert 'rel="successor-version"' in response.headers["Link"]
    assert response.headers["Link"].startswith("</api/v2/images/img_missing>")
    assert response.get_json()["code"] == "NOT_FOUND" and "error" in response.get_json()


def test_the_successor_link_percent_encodes_what_a_header_cannot_carry(client, admin_headers):
    response = client.get("/api/v1/images/img%0A%C3%A9%20x", headers=admin_headers)
    assert response.status_code == 404
    assert response.headers["Link"].startswith("</api/v2/images/img%0A%C3%A9%20x>")


def test_non_api_pages_carry_no_deprecation(client):
    assert "Deprecation" not in client.get("/health").headers
    assert "Deprecation" not in client.get("/api/version").headers
