"""Webhook subscriptions over their lifetime: disabled after failing for the configured window,
refused at delivery time when the network rules change, scoped to the key that made them, silent
once that key is revoked, idempotent to create; and `generation.failed` announced.

The module's gateway disables a subscription after 0.001 hours (3.6 s) of failures and runs the
RunPod backend against its emulator, so a job can fail on purpose.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import GatewayFactory
from tests.e2e.harness import Gateway, wait_for
from tests.e2e.webhooks import (
    WEBHOOK_ENV,
    accepted,
    body_of,
    deliveries,
    received,
    send_test,
    subscribe,
    subscription,
    upload_pending,
)
from tests.emulators.process import EmulatorProcess
from tests.emulators.runpod import API_KEY, ENDPOINT_ID

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def gateway(module_gateways: GatewayFactory, runpod_emulator: EmulatorProcess) -> Gateway:
    return module_gateways(
        {
            **WEBHOOK_ENV,
            "WEBHOOK_DISABLE_AFTER_HOURS": "0.001",
            "RUNPOD_API_KEY": API_KEY,
            "RUNPOD_ENDPOINT_ID": ENDPOINT_ID,
            "RUNPOD_BASE_URL": f"{runpod_emulator.url}/v2",
            "RUNPOD_POLL_INTERVAL_SECONDS": "0.1",
            "BACKEND_MAX_ATTEMPTS": "1",
        }
    )


def _new_key(gateway: Gateway, name: str) -> tuple[str, str]:
    """A `pro` key with scopes `read` and `webhooks` (what a Zapier key needs): (secret, prefix)."""
    created = gateway.flask("keys", "create", name, "--plan", "pro", "--scopes", "read,webhooks")
    prefix = re.search(r"prefix (\S+?),", created.stdout)
    assert prefix, created.stdout
    return created.stdout.strip().splitlines()[-1], prefix.group(1)


def test_a_subscription_failing_for_the_whole_window_is_disabled(hooks):
    sub = hooks.subscribe()
    hooks.receiver.configure(fail_ratio=1.0)
    send_test(hooks.gateway, sub["id"])

    shown = wait_for(
        lambda: (found := subscription(hooks.gateway, sub["id"]))["enabled"] is False and found,
        timeout=60,
        interval=0.5,
        what="the failing subscription to be disabled",
    )
    assert shown["state"] == "disabled"
    assert "failed" in shown["disabled_reason"] and shown["failing_since"]
    tries = hooks.received(sub)
    assert len(tries) >= 2 and {r["status"] for r in tries} == {500}
    [delivery] = deliveries(hooks.gateway, sub["id"])
    assert delivery["status"] in {"failed", "cancelled"}
    assert hooks.gateway.post(f"/api/v1/webhooks/{sub['id']}/test").status_code == 409

    hooks.receiver.configure(fail_ratio=0.0)
    enabled = hooks.gateway.request(
        "PATCH", f"/api/v1/webhooks/{sub['id']}", json={"enabled": True}
    )
    assert enabled.status_code == 200 and enabled.json()["state"] == "active"
    event_id = send_test(hooks.gateway, sub["id"])["event_id"]
    hooks.wait_delivered(sub, {event_id})


def test_generation_failed_is_announced_with_the_job_and_its_error(hooks, runpod_emulator):
    runpod_emulator.configure(reset=True, outcome="failed", execution_time=0.1)
    sub = hooks.subscribe("/failures", ["generation.failed"])
    job_id = hooks.gateway.generate(prompt="doomed poster", backend="runpod", width=256, height=256)
    job = hooks.gateway.wait_job(job_id)
    assert job["status"] == "failed", job

    [record] = wait_for(
        lambda: [r for r in hooks.received(sub) if accepted(r)],
        timeout=30,
        what="generation.failed",
    )
    event = body_of(record)
    assert event["event_type"] == "generation.failed"
    assert event["data"]["job_id"] == job_id
    assert event["data"]["status"] == "failed"
    assert event["data"]["error"]["code"] == job["error"]["code"]
    runpod_emulator.configure(reset=True)


def test_subscriptions_belong_to_their_key_and_a_revoked_key_gets_nothing(hooks, gateway):
    other_key, other_prefix = _new_key(gateway, "zapier-user")
    as_other = {"X-API-Key": other_key}
    mine = hooks.subscribe("/mine", ["image.approved"])
    response = gateway.post(
        "/api/v1/webhooks",
        headers=as_other,
        json={"url": f"{hooks.receiver.url}/{hooks.prefix}/theirs", "events": ["image.approved"]},
    )
    assert response.status_code == 201, response.text
    theirs = response.json()
    hooks.created.append(theirs)
    hooks.receiver.configure(secrets=[mine["secret"], theirs["secret"]])

    assert gateway.get(f"/api/v1/webhooks/{mine['id']}", headers=as_other).status_code == 404
    assert gateway.post(f"/api/v1/webhooks/{mine['id']}/test", headers=as_other).status_code == 404
    assert (
        gateway.request("DELETE", f"/api/v1/webhooks/{mine['id']}", headers=as_other).status_code
        == 404
    )
    listed = gateway.get("/api/v1/webhooks", headers=as_other).json()["items"]
    assert [item["id"] for item in listed] == [theirs["id"]]
    assert subscription(gateway, theirs["id"])["id"] == theirs["id"]  # the admin key sees all

    gateway.flask("keys", "revoke", other_prefix)
    image_id = upload_pending(gateway, seed=41)
    assert gateway.post(f"/api/v1/images/{image_id}/approve").status_code == 200
    wait_for(
        lambda: [r for r in hooks.received(mine) if accepted(r)],
        timeout=30,
        what="image.approved for the live key's subscription",
    )
    assert received(hooks.receiver, f"/{hooks.prefix}/theirs") == []
    assert deliveries(gateway, theirs["id"]) == []


def test_subscribing_with_an_idempotency_key_creates_one_subscription(hooks, gateway):
    url = f"{hooks.receiver.url}/{hooks.prefix}/once"
    body = {"url": url, "events": ["image.approved"]}
    headers = {"Idempotency-Key": f"sub-{hooks.prefix}"}
    first = gateway.post("/api/v1/webhooks", json=body, headers=headers)
    again = gateway.post("/api/v1/webhooks", json=body, headers=headers)
    assert first.status_code == again.status_code == 201, again.text
    hooks.created.append(first.json())
    assert again.json()["id"] == first.json()["id"]
    listed = gateway.get("/api/v1/webhooks").json()["items"]
    assert [item["url"] for item in listed].count(url) == 1
    changed = gateway.post("/api/v1/webhooks", json={**body, "events": ["*"]}, headers=headers)
    assert changed.status_code == 422
    assert changed.json()["code"] == "IDEMPOTENCY_KEY_REUSED"


def test_a_target_refused_by_the_current_rules_is_blocked_at_delivery_time(start_gateway, receiver):
    """Subscribed while loopback was allowed; the gateway restarts without the allowlist."""
    receiver.configure(reset=True)
    permissive = start_gateway(WEBHOOK_ENV, workers=0)
    sub = subscribe(permissive, f"{receiver.url}/rules-changed/hook", ["*"])
    permissive.stop()

    strict = Gateway(permissive.state_dir, {"WEBHOOK_RETRY_SCHEDULE": "0.2,0.2"})
    try:
        strict.start(workers=1)
        send_test(strict, sub["id"])
        [delivery] = wait_for(
            lambda: (found := deliveries(strict, sub["id"], status="failed")) and found,
            timeout=30,
            what="the delivery to fail",
        )
        assert delivery["attempts"]
        assert {attempt["result"] for attempt in delivery["attempts"]} == {"blocked"}
        assert all(attempt["status_code"] is None for attempt in delivery["attempts"])
    finally:
        strict.stop()
    assert received(receiver, "/rules-changed/hook") == []
