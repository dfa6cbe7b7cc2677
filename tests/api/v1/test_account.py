"""GET /api/v1/me and how a key is presented."""

from __future__ import annotations

import pytest

from gateway.app.accounts import service as accounts
from gateway.app.audit.service import SYSTEM
from gateway.app.extensions import db


def test_me_describes_the_key_and_counts_its_use(client, make_key):
    key = make_key(plan="pro", scopes=["read", "generate"], name="zapier")
    first = client.get("/api/v1/me", headers={"X-API-Key": key})
    assert first.status_code == 200
    body = first.get_json()
    assert body["name"] == "zapier"
    assert body["type"] == "api_key"
    assert body["plan"] == "pro"
    assert body["scopes"] == ["generate", "read"]
    assert body["usage"]["requests"] == 1
    assert body["usage"]["last_used_at"].endswith("Z")
    assert body["usage"]["created_at"].endswith("Z")
    second = client.get("/api/v1/me", headers={"X-API-Key": key}).get_json()
    assert second["usage"]["requests"] == 2


def test_a_bearer_header_works_like_x_api_key(client, make_key):
    key = make_key(name="n8n")
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    assert response.get_json()["name"] == "n8n"
    lower = client.get("/api/v1/me", headers={"Authorization": f"bearer  {key} "})
    assert lower.status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"X-API-Key": "pod_00000000_notarealkeynotarealkey"},
        {"X-API-Key": "wrong"},
        {"X-API-Key": "x" * 500},
        {"Authorization": "Bearer pod_00000000_notarealkeynotarealkey"},
    ],
    ids=["unknown", "short", "huge", "bearer"],
)
def test_a_wrong_key_is_401_in_the_error_envelope(client, headers):
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    body = response.get_json()
    assert set(body) == {"error", "code", "details", "request_id"}
    assert body["code"] == "UNAUTHORIZED"
    assert body["request_id"] == response.headers["X-Request-ID"]


def test_no_key_is_401_with_a_challenge(client):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.get_json()["code"] == "UNAUTHORIZED"
    assert "Bearer" in response.headers["WWW-Authenticate"]
    basic = client.get("/api/v1/me", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert basic.status_code == 401


def test_a_revoked_key_is_401(app, client, make_key):
    key = make_key(name="old")
    assert client.get("/api/v1/me", headers={"X-API-Key": key}).status_code == 200
    with app.app_context():
        accounts.revoke_key(db.session, key.split("_")[1], SYSTEM)
    response = client.get("/api/v1/me", headers={"X-API-Key": key})
    assert response.status_code == 401
    assert response.get_json()["code"] == "UNAUTHORIZED"
    bearer = client.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"})
    assert bearer.status_code == 401


def test_a_wrong_x_api_key_is_not_rescued_by_a_good_bearer(client, make_key):
    key = make_key()
    response = client.get(
        "/api/v1/me", headers={"X-API-Key": "wrong", "Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 401
