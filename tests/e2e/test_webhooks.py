"""Outbound webhooks over real HTTP (GATEWAY_API.md section 8): a gateway with its worker delivers
to a receiver process that verifies every signature with the `standardwebhooks` package.

Here: subscribing (also Zapier's form), samples, signatures and rotation, domain events with their
data and order, and the SSRF refusals at subscribe time. Retries, disabling, redirects and crashes
are in test_webhooks_delivery.py. The module's gateway allows 127.0.0.0/8 (the receiver) and
retries fast; a second gateway without the allowlist checks the refusals. Each test subscribes its
own paths on the shared receiver and unsubscribes them afterwards.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from tests.e2e.conftest import GatewayFactory
from tests.e2e.harness import Gateway, wait_for
from tests.e2e.webhooks import (
    WEBHOOK_ENV,
    accepted,
    body_of,
    delivered_record,
    send_test,
    subscribe,
    subscription,
    upload_pending,
)

pytestmark = pytest.mark.e2e
EVENT_TYPES = [
    "generation.started",
    "generation.completed",
    "generation.failed",
    "image.approved",
    "image.rejected",
    "product.published",
    "product.failed",
    "batch.completed",
    "webhook.test",
]


@pytest.fixture(scope="module")
def gateway(module_gateways: GatewayFactory) -> Gateway:
    return module_gateways(WEBHOOK_ENV)


# ---- subscribing ----------------------------------------------------------------------------


def test_subscribe_answers_201_with_a_whsec_secret_shown_once(gateway, receiver):
    url = f"{receiver.url}/shape/hook"
    response = gateway.post(
        "/api/v1/webhooks",
        json={"url": url, "events": ["image.approved", "image.rejected"], "description": "shop"},
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["url"] == url
    assert created["events"] == ["image.approved", "image.rejected"]
    assert created["id"] and created["created_at"]
    datetime.fromisoformat(created["created_at"].replace("Z", "+00:00"))
    assert created["secret"].startswith("whsec_")
    assert 24 <= len(base64.b64decode(created["secret"].removeprefix("whsec_"))) <= 64

    shown = subscription(gateway, created["id"])
    assert "secret" not in shown
    assert shown["enabled"] is True
    listed = gateway.get("/api/v1/webhooks").json()["items"]
    assert created["id"] in {item["id"] for item in listed}
    assert all("secret" not in item for item in listed)

    assert gateway.request("DELETE", f"/api/v1/webhooks/{created['id']}").status_code == 204
    assert gateway.get(f"/api/v1/webhooks/{created['id']}").status_code == 404


def test_zapier_rest_hook_form_subscribes_and_unsubscribes(gateway, receiver):
    response = gateway.post(
        "/api/v1/webhooks",
        json={"target_url": f"{receiver.url}/zapier/hook", "event": "image.approved"},
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["events"] == ["image.approved"]
    assert created["url"] == f"{receiver.url}/zapier/hook"
    assert created["secret"].startswith("whsec_")
    assert gateway.request("DELETE", f"/api/v1/webhooks/{created['id']}").status_code == 204
    assert gateway.request("DELETE", f"/api/v1/webhooks/{created['id']}").status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"events": ["*"]},
        {"url": "RECEIVER", "events": ["image.exploded"]},
        {"url": "RECEIVER", "events": []},
        {"url": "RECEIVER"},
        {"target_url": "RECEIVER"},
        {"url": "not a url", "events": ["*"]},
    ],
    ids=["no-url", "unknown-event", "no-events", "events-missing", "zapier-no-event", "bad-url"],
)
def test_invalid_subscriptions_are_400_validation_error(gateway, receiver, body):
    body = {k: f"{receiver.url}/x" if v == "RECEIVER" else v for k, v in body.items()}
    response = gateway.post("/api/v1/webhooks", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "VALIDATION_ERROR"


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_samples_are_delivery_bodies_of_each_event_type(gateway, event_type):
    response = gateway.get(f"/api/v1/webhooks/samples/{event_type}")
    assert response.status_code == 200, response.text
    samples = response.json()
    assert samples
    for sample in samples:
        assert set(sample) == {"event_type", "event_id", "timestamp", "data"}
        assert sample["event_type"] == event_type
        assert isinstance(sample["data"], dict)


def test_samples_of_an_unknown_event_type_are_404(gateway):
    response = gateway.get("/api/v1/webhooks/samples/image.exploded")
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"


# ---- signatures -----------------------------------------------------------------------------


def test_a_delivery_verifies_with_standardwebhooks_and_tampering_does_not(hooks):
    sub = hooks.subscribe()
    queued = send_test(hooks.gateway, sub["id"])
    record = delivered_record(hooks, sub, queued["event_id"])
    assert record["verified"] is True and record["simple_verified"] is True

    headers, body = record["headers"], record["body"].encode()
    secret = sub["secret"]
    payload = Webhook(secret).verify(body, headers)
    assert set(payload) == {"event_type", "event_id", "timestamp", "data"}
    assert payload["event_type"] == "webhook.test" == headers["x-webhook-event"]
    assert payload["event_id"] == queued["event_id"]
    assert headers["webhook-id"] == headers["x-webhook-id"] == payload["event_id"]
    assert payload["data"]["id"] == sub["id"]
    assert headers["content-type"].startswith("application/json")
    datetime.fromisoformat(payload["timestamp"].replace("Z", "+00:00"))
    assert abs(int(headers["webhook-timestamp"]) - record["at"]) < 60
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
    assert headers["x-webhook-signature"] == expected

    tampered = body.replace(b'"webhook.test"', b'"image.approved"', 1)
    assert tampered != body
    stamp = int(headers["webhook-timestamp"])
    stale = datetime.fromtimestamp(stamp - 600, tz=UTC)
    rejected = {
        "tampered body": (secret, tampered, headers),
        "wrong secret": ("whsec_" + base64.b64encode(os.urandom(32)).decode(), body, headers),
        "other webhook-id": (secret, body, {**headers, "webhook-id": "evt_other"}),
        "stale timestamp": (secret, body, {**headers, "webhook-timestamp": str(stamp - 600)}),
        "stale but correctly signed": (
            secret,
            body,
            {
                **headers,
                "webhook-timestamp": str(stamp - 600),
                "webhook-signature": Webhook(secret).sign(
                    payload["event_id"], stale, body.decode()
                ),
            },
        ),
    }
    for case, (key_used, data, sent) in rejected.items():
        with pytest.raises(WebhookVerificationError):
            Webhook(key_used).verify(data, sent)
            pytest.fail(f"{case} verified")


def test_after_rotation_both_secrets_sign_until_the_overlap_ends(hooks):
    sub = hooks.subscribe()
    response = hooks.gateway.post(f"/api/v1/webhooks/{sub['id']}/rotate-secret")
    assert response.status_code == 200, response.text
    rotated = response.json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != sub["secret"]
    overlap_ends = datetime.fromisoformat(rotated["previous_secret_expires_at"])
    assert overlap_ends > datetime.now(UTC) + timedelta(hours=23)
    hooks.receiver.configure(secrets=[sub["secret"], rotated["secret"]])

    record = delivered_record(hooks, sub, send_test(hooks.gateway, sub["id"])["event_id"])
    assert record["verified_with"] == [0, 1]
    assert record["simple_verified"] is True
    for secret in (sub["secret"], rotated["secret"]):
        Webhook(secret).verify(record["body"], record["headers"])


# ---- domain events --------------------------------------------------------------------------


def test_domain_events_reach_matching_subscriptions_with_the_resource_as_the_api_shows_it(hooks):
    gateway = hooks.gateway
    approvals = hooks.subscribe("/approvals", ["image.approved"])
    everything = hooks.subscribe("/everything", ["*"])

    job_id = gateway.generate(prompt="webhook poster", width=256, height=256, seed=11)
    job = gateway.wait_job(job_id)
    assert job["status"] == "completed", job
    [generated] = job["image_ids"]
    batch = gateway.post("/api/v1/batch/approve", json={"image_ids": [generated]})
    assert batch.status_code == 200 and batch.json()["successful"] == [generated]
    uploaded = upload_pending(gateway, seed=21)
    rejected = gateway.post(f"/api/v1/images/{uploaded}/reject", json={"reason": "low_quality"})
    assert rejected.status_code == 200, rejected.text

    wanted = {
        "generation.started",
        "generation.completed",
        "image.approved",
        "batch.completed",
        "image.rejected",
    }

    def everything_arrived() -> list[dict]:
        records = [r for r in hooks.received(everything) if accepted(r)]
        return wanted <= {r["event_type"] for r in records} and records

    records = wait_for(everything_arrived, timeout=30, what="every domain event")
    for record in records:
        assert record["verified"] is True and record["simple_verified"] is True
        assert body_of(record)["event_type"] == record["event_type"]
    order = [r["event_type"] for r in records]
    assert order.index("generation.started") < order.index("generation.completed")

    events = {r["event_type"]: body_of(r)["data"] for r in records}
    api_job = gateway.job(job_id)
    assert {k: v for k, v in events["generation.completed"].items() if k in api_job} == api_job
    assert events["generation.completed"]["job_id"] == job_id
    assert events["generation.completed"]["status"] == "completed"
    assert events["generation.completed"]["image_ids"] == [generated]
    assert events["generation.started"]["job_id"] == job_id
    assert events["batch.completed"]["successful"] == [generated]
    approved = events["image.approved"]
    api_image = gateway.get(f"/api/v2/images/{generated}").json()
    assert approved["status"] == "approved"
    for field in ("id", "sha256", "urls", "prompt", "seed", "width", "height", "status"):
        assert approved[field] == api_image[field], field
    listed = gateway.get("/api/v2/images", params={"status": "approved", "limit": 100}).json()
    assert approved == next(item for item in listed["items"] if item["id"] == generated)
    assert events["image.rejected"]["id"] == uploaded
    assert events["image.rejected"]["status"] == "rejected"

    approved_id = next(r["webhook_id"] for r in records if r["event_type"] == "image.approved")
    hooks.wait_delivered(approvals, {approved_id})
    assert {r["event_type"] for r in hooks.received(approvals)} == {"image.approved"}


def _batch_event(gateway: Gateway, tag: str) -> None:
    """One cheap `batch.completed` event: a batch approval of an image that does not exist."""
    response = gateway.post("/api/v1/batch/approve", json={"image_ids": [tag]})
    assert response.status_code == 200, response.text


def _tag(record: dict) -> str:
    return body_of(record)["data"]["failed"][0]["image_id"]


def test_one_subscriptions_events_arrive_in_event_order_through_failures(hooks):
    sub = hooks.subscribe("/ordered", ["batch.completed"])
    hooks.receiver.configure(status_next_n={"503": 3}, fail_ratio=0.3, random_seed=5)
    tags = [f"img_order_{n:02d}" for n in range(20)]
    for tag in tags:
        _batch_event(hooks.gateway, tag)

    def all_accepted() -> list[dict] | None:
        found = hooks.received(sub)
        return found if {_tag(r) for r in found if accepted(r)} == set(tags) else None

    records = wait_for(all_accepted, timeout=60, what="all 20 events")
    seen = [tags.index(_tag(record)) for record in records]
    assert seen == sorted(seen), "a later event reached the receiver before an earlier one"
    assert len(records) > len(tags)


def test_test_events_do_not_wait_behind_a_retrying_event(hooks):
    sub = hooks.subscribe("/line", ["batch.completed"])
    hooks.receiver.configure(status_next_n={"429": 1}, retry_after=3)
    _batch_event(hooks.gateway, "img_line_blocker")
    wait_for(lambda: hooks.received(sub), timeout=20, what="the first attempt (answered 429)")
    test_id = send_test(hooks.gateway, sub["id"])["event_id"]

    records = wait_for(
        lambda: len(found := [r for r in hooks.received(sub) if accepted(r)]) == 2 and found,
        timeout=20,
        what="both events",
    )
    assert [r["event_type"] for r in records] == ["webhook.test", "batch.completed"]
    assert records[0]["webhook_id"] == test_id


# ---- SSRF -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def strict_gateway(module_gateways: GatewayFactory) -> Gateway:
    """A gateway with the default (empty) allowlist: every private address is refused."""
    return module_gateways({}, workers=0)


REFUSED_TARGETS = {
    "loopback-receiver": "RECEIVER",
    "rfc1918": "http://10.0.0.1/",
    "rfc1918-192": "http://192.168.1.10/hook",
    "rfc1918-172": "http://172.16.0.1/hook",
    "cloud-metadata": "http://169.254.169.254/latest/meta-data",
    "ipv4-mapped-ipv6": "http://[::ffff:127.0.0.1]/",
    "ipv6-loopback": "http://[::1]/",
    "unspecified": "http://0.0.0.0/",
    "cgnat": "http://100.64.0.1/",
    "decimal-loopback": "http://2130706433/",
    "short-loopback": "http://127.1/",
    "userinfo-trick": "http://example.com@127.0.0.1/",
    "localhost-name": "http://localhost/",
    "ftp-scheme": "ftp://example.com/hook",
    "file-scheme": "file:///etc/passwd",
    "no-host": "http:///hook",
    "credentials": "http://user:pass@93.184.215.14/hook",
    "ipv6-link-local": "http://[fe80::1]/",
    "ipv6-unique-local": "http://[fd00::1]/",
    "nat64-loopback": "http://[64:ff9b::7f00:1]/",
    "6to4-loopback": "http://[2002:7f00:1::]/",
    "octal-loopback": "http://0177.0.0.1/",
}


@pytest.mark.parametrize("form", ["api", "zapier"])
@pytest.mark.parametrize("url", list(REFUSED_TARGETS.values()), ids=list(REFUSED_TARGETS))
def test_refused_targets_are_400_validation_error_at_subscribe_time(
    strict_gateway, receiver, url, form
):
    url = f"{receiver.url}/ssrf" if url == "RECEIVER" else url
    body = {"url": url, "events": ["*"]} if form == "api" else {"target_url": url, "event": "*"}
    response = strict_gateway.post("/api/v1/webhooks", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "VALIDATION_ERROR"


def test_a_public_address_is_accepted_and_cannot_be_patched_to_a_private_one(strict_gateway):
    created = subscribe(strict_gateway, "http://93.184.215.14/hook")
    path = f"/api/v1/webhooks/{created['id']}"
    response = strict_gateway.request("PATCH", path, json={"url": "http://10.0.0.1/"})
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert subscription(strict_gateway, created["id"])["url"] == "http://93.184.215.14/hook"
    assert strict_gateway.request("DELETE", path).status_code == 204
