"""/api/v1/webhooks: subscribe (also Zapier's REST-hook form), manage, test, deliveries, samples;
ownership and scopes; validation errors in the v1 envelope."""

from __future__ import annotations

import json

import pytest
from standardwebhooks import Webhook

from gateway.app.webhooks import delivery
from tests.webhooks.helpers import emit, subscribe
from tests.webhooks.local_receiver import Answer

SUBSCRIPTION_FIELDS = {
    "id",
    "url",
    "events",
    "description",
    "enabled",
    "state",
    "disabled_reason",
    "failing_since",
    "last_success_at",
    "created_at",
}


def key_headers(make_key, scopes=("read", "webhooks"), name="zapier"):
    return {"X-API-Key": make_key(scopes=list(scopes), name=name)}


def test_subscribe_returns_201_with_the_secret_shown_once(
    client, admin_headers, webhooks, receiver
):
    response = client.post(
        "/api/v1/webhooks",
        json={"url": receiver.url, "events": ["image.approved"], "description": "n8n flow"},
        headers=admin_headers,
    )
    assert response.status_code == 201
    created = response.get_json()
    assert set(created) >= SUBSCRIPTION_FIELDS
    assert created["secret"].startswith("whsec_")
    assert created["id"].startswith("wh_")
    assert (created["url"], created["events"], created["state"]) == (
        receiver.url,
        ["image.approved"],
        "active",
    )
    shown = client.get(f"/api/v1/webhooks/{created['id']}", headers=admin_headers).get_json()
    assert "secret" not in shown
    listed = client.get("/api/v1/webhooks", headers=admin_headers).get_json()["items"]
    assert [item["id"] for item in listed] == [created["id"]]
    assert all("secret" not in item for item in listed)


def test_zapier_subscribe_and_unsubscribe(client, make_key, webhooks, receiver):
    headers = key_headers(make_key)
    response = client.post(
        "/api/v1/webhooks",
        json={"target_url": receiver.url, "event": "image.approved"},
        headers=headers,
    )
    assert response.status_code == 201
    created = response.get_json()
    assert created["id"]
    assert created["events"] == ["image.approved"]
    assert created["source"] == "zapier"
    gone = client.delete(f"/api/v1/webhooks/{created['id']}", headers=headers)
    assert gone.status_code == 204
    assert gone.data == b""
    again = client.delete(f"/api/v1/webhooks/{created['id']}", headers=headers)
    assert again.status_code == 404


def test_star_stands_for_every_event(client, admin_headers, webhooks, receiver):
    created = subscribe(client, admin_headers, receiver.url, ["image.approved", "*"])
    assert created["events"] == ["*"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"events": ["*"]}, "url"),
        ({"url": "http://127.0.0.1:1/x"}, "events"),
        ({"url": "http://127.0.0.1:1/x", "events": []}, "events"),
        ({"url": "http://127.0.0.1:1/x", "events": ["image.exploded"]}, "events"),
        ({"url": "http://127.0.0.1:1/x", "events": "image.approved,x"}, "events"),
        ({"url": "ftp://127.0.0.1/x", "events": ["*"]}, "url"),
        ({"url": "http://10.0.0.1/x", "events": ["*"]}, "url"),
        ({"url": 42, "events": ["*"]}, "url"),
        ({"url": "http://127.0.0.1:1/x", "events": ["*"], "description": "x" * 501}, "description"),
        ({"target_url": "http://127.0.0.1:1/x"}, "event"),
        ({"target_url": "http://127.0.0.1:1/x", "event": "*", "url": "http://x"}, "target_url"),
    ],
)
def test_invalid_subscriptions_are_400_in_the_v1_envelope(
    client, admin_headers, webhooks, body, field
):
    response = client.post("/api/v1/webhooks", json=body, headers=admin_headers)
    assert response.status_code == 400
    error = response.get_json()
    assert set(error) == {"error", "code", "details", "request_id"}
    assert error["code"] == "VALIDATION_ERROR"
    assert field in error["details"]["fields"]


def test_a_non_json_body_is_a_400(client, admin_headers):
    response = client.post("/api/v1/webhooks", data="url=x", headers=admin_headers)
    assert response.status_code == 400
    assert response.get_json()["code"] == "VALIDATION_ERROR"


def test_keys_see_only_their_own_subscriptions_and_admins_see_all(
    client, make_key, admin_headers, webhooks, receiver
):
    mine = key_headers(make_key, name="mine")
    theirs = key_headers(make_key, name="theirs")
    own = subscribe(client, mine, receiver.url)
    other = subscribe(client, theirs, receiver.url)
    assert [s["id"] for s in client.get("/api/v1/webhooks", headers=mine).get_json()["items"]] == [
        own["id"]
    ]
    for method, path in [
        ("get", ""),
        ("patch", ""),
        ("delete", ""),
        ("post", "/rotate-secret"),
        ("post", "/test"),
        ("get", "/deliveries"),
    ]:
        response = client.open(
            f"/api/v1/webhooks/{other['id']}{path}",
            method=method.upper(),
            json={"description": "mine now"} if method == "patch" else None,
            headers=mine,
        )
        assert response.status_code == 404, (method, path)
    everything = client.get("/api/v1/webhooks", headers=admin_headers).get_json()["items"]
    assert {s["id"] for s in everything} == {own["id"], other["id"]}


@pytest.mark.parametrize("scopes", [("generate",), ("read",), ("read", "generate", "review")])
def test_managing_subscriptions_needs_the_webhooks_scope(
    client, make_key, webhooks, receiver, scopes
):
    headers = key_headers(make_key, scopes=scopes)
    response = client.post(
        "/api/v1/webhooks", json={"url": receiver.url, "events": ["*"]}, headers=headers
    )
    assert response.status_code == 403
    assert response.get_json()["details"]["required_scope"] == "webhooks"
    assert client.get("/api/v1/webhooks", headers=headers).status_code == 403
    assert client.get("/api/v1/webhooks").status_code == 401
    samples = client.get("/api/v1/webhooks/samples/image.approved", headers=headers)
    assert samples.status_code == (200 if "read" in scopes else 403)


def test_patch_changes_fields_and_disabling_then_enabling_works(
    client, admin_headers, webhooks, receiver
):
    created = subscribe(client, admin_headers, receiver.url)
    url = f"/api/v1/webhooks/{created['id']}"
    changed = client.patch(
        url,
        json={"events": ["batch.completed"], "description": "batches", "enabled": False},
        headers=admin_headers,
    ).get_json()
    assert (changed["events"], changed["description"], changed["state"]) == (
        ["batch.completed"],
        "batches",
        "disabled",
    )
    assert changed["disabled_reason"]
    assert client.post(f"{url}/test", headers=admin_headers).status_code == 409
    enabled = client.patch(url, json={"enabled": True}, headers=admin_headers).get_json()
    assert (enabled["state"], enabled["disabled_reason"]) == ("active", None)
    for bad in ({"enabled": "yes"}, {"url": "http://192.168.0.1/"}, {"secret": "whsec_x"}):
        response = client.patch(url, json=bad, headers=admin_headers)
        assert response.status_code == 400, bad


def test_the_test_endpoint_sends_a_signed_webhook_test_to_that_subscription_only(
    client, admin_headers, webhooks, receiver
):
    created = subscribe(client, admin_headers, receiver.url.replace("/hook", "/one"))
    subscribe(client, admin_headers, receiver.url.replace("/hook", "/two"))
    response = client.post(f"/api/v1/webhooks/{created['id']}/test", headers=admin_headers)
    assert response.status_code == 202
    queued = response.get_json()
    assert (queued["event_type"], queued["status"]) == ("webhook.test", "pending")
    (got,) = receiver.received
    assert got.path == "/one"
    body = Webhook(created["secret"]).verify(got.body, got.headers)
    assert body["event_type"] == "webhook.test"
    assert body["event_id"] == queued["event_id"]
    assert body["data"]["id"] == created["id"]
    assert "secret" not in body["data"]


def test_deliveries_list_every_attempt_and_redeliver_sends_the_same_event(
    app, client, admin_headers, webhooks, receiver
):
    created = subscribe(client, admin_headers, receiver.url)
    receiver.script(Answer(500, b"boom"))
    emit(app, "image.approved")
    delivery.sweep(webhooks)
    url = f"/api/v1/webhooks/{created['id']}/deliveries"
    (pending,) = client.get(url, headers=admin_headers).get_json()["items"]
    assert pending["status"] == "pending"
    assert pending["attempt_count"] == 1
    assert pending["next_attempt_at"]
    (attempt,) = pending["attempts"]
    assert (attempt["result"], attempt["status_code"], attempt["response_excerpt"]) == (
        "http_error",
        500,
        "boom",
    )
    assert attempt["duration_ms"] >= 0
    busy = client.post(f"{url}/{pending['id']}/redeliver", headers=admin_headers)
    assert busy.status_code == 409
    unknown = client.post(f"{url}/whd_nope/redeliver", headers=admin_headers)
    assert unknown.status_code == 404
    failed = client.get(f"{url}?status=failed", headers=admin_headers).get_json()["items"]
    assert failed == []
    assert client.get(f"{url}?status=weird", headers=admin_headers).status_code == 400
    empty = client.get(f"{url}?status=", headers=admin_headers)  # present but empty: not "any"
    assert empty.status_code == 400 and "status" in empty.get_json()["details"]["fields"]


def test_redeliver_after_success(app, client, admin_headers, webhooks, receiver):
    created = subscribe(client, admin_headers, receiver.url)
    emit(app, "image.approved")
    delivery.sweep(webhooks)
    url = f"/api/v1/webhooks/{created['id']}/deliveries"
    (done,) = client.get(url, headers=admin_headers).get_json()["items"]
    response = client.post(f"{url}/{done['id']}/redeliver", headers=admin_headers)
    assert response.status_code == 202
    again = response.get_json()
    assert (again["event_id"], again["redelivery_of"]) == (done["event_id"], done["id"])
    first, second = receiver.received
    assert first.body == second.body
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    items = client.get(url, headers=admin_headers).get_json()["items"]
    assert [item["status"] for item in items] == ["succeeded", "succeeded"]


def test_rotate_secret_returns_the_new_secret_and_when_the_old_one_stops(
    client, admin_headers, webhooks, receiver
):
    created = subscribe(client, admin_headers, receiver.url)
    response = client.post(f"/api/v1/webhooks/{created['id']}/rotate-secret", headers=admin_headers)
    assert response.status_code == 200
    rotated = response.get_json()
    assert rotated["secret"] != created["secret"]
    assert rotated["previous_secret_expires_at"]


def test_subscribe_honours_idempotency_key(client, admin_headers, webhooks, receiver):
    headers = {**admin_headers, "Idempotency-Key": "zap-1"}
    body = {"url": receiver.url, "events": ["*"]}
    first = client.post("/api/v1/webhooks", json=body, headers=headers)
    second = client.post("/api/v1/webhooks", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert json.loads(first.data) == json.loads(second.data)
    assert len(client.get("/api/v1/webhooks", headers=admin_headers).get_json()["items"]) == 1


def test_the_spec_documents_every_webhook_operation(client):
    spec = client.get("/api/v1/swagger.json").get_json()
    expected = {
        "/webhooks": {"get", "post"},
        "/webhooks/{webhook_id}": {"get", "patch", "delete"},
        "/webhooks/{webhook_id}/rotate-secret": {"post"},
        "/webhooks/{webhook_id}/test": {"post"},
        "/webhooks/{webhook_id}/deliveries": {"get"},
        "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver": {"post"},
        "/webhooks/samples/{event_type}": {"get"},
    }
    for path, methods in expected.items():
        assert methods <= set(spec["paths"][path]), path
        for method in methods:
            responses = spec["paths"][path][method]["responses"]
            for code, response in responses.items():
                if code.startswith(("4", "5")):
                    assert response["schema"]["$ref"] == "#/definitions/Error", (path, code)
