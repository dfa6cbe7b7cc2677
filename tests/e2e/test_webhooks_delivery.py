"""Webhook delivery over real HTTP: retries with the same webhook-id, Retry-After, the 15 s limit,
410 Gone, redirects never followed, redelivery, and a worker killed mid-delivery.

The module's gateway allows 127.0.0.0/8 (the receiver) and retries fast (tests/e2e/webhooks.py).
Each test subscribes its own paths on the shared receiver and unsubscribes them afterwards.
"""

from __future__ import annotations

import email.utils
import time

import pytest

from tests.e2e.conftest import GatewayFactory
from tests.e2e.harness import Gateway, wait_for
from tests.e2e.webhooks import (
    WEBHOOK_ENV,
    accepted,
    body_of,
    delivered_ids,
    delivered_record,
    deliveries,
    received,
    send_test,
    subscribe,
    subscription,
    upload_pending,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def gateway(module_gateways: GatewayFactory) -> Gateway:
    return module_gateways(WEBHOOK_ENV)


# ---- retries, Retry-After, 410, redirects, redelivery -----------------------------------------


def test_failed_attempts_are_retried_with_the_same_webhook_id_and_body(hooks):
    sub = hooks.subscribe()
    hooks.receiver.configure(status_next_n={"503": 2})
    event_id = send_test(hooks.gateway, sub["id"])["event_id"]
    hooks.wait_delivered(sub, {event_id})

    attempts = [r for r in hooks.received(sub) if r["webhook_id"] == event_id]
    assert [r["status"] for r in attempts] == [503, 503, 200]
    assert [r["headers"].get("x-webhook-attempt") for r in attempts] == ["1", "2", "3"]
    assert len({r["body"] for r in attempts}) == 1
    assert all(r["verified"] and r["simple_verified"] for r in attempts)
    stamps = [int(r["headers"]["webhook-timestamp"]) for r in attempts]
    assert stamps == sorted(stamps)

    [delivery] = wait_for(
        lambda: (found := deliveries(hooks.gateway, sub["id"], status="succeeded")) and found,
        timeout=10,
        what="the delivery log to say succeeded",
    )
    assert delivery["event_id"] == event_id
    assert delivery["attempt_count"] == 3
    assert [a["status_code"] for a in delivery["attempts"]] == [503, 503, 200]


@pytest.mark.parametrize(
    ("status", "form"), [(429, "seconds"), (503, "seconds"), (429, "http-date")]
)
def test_retry_after_is_honoured(hooks, status, form):
    sub = hooks.subscribe()
    wait = "2" if form == "seconds" else email.utils.formatdate(time.time() + 4, usegmt=True)
    hooks.receiver.configure(status_next_n={str(status): 1}, retry_after=wait)
    event_id = send_test(hooks.gateway, sub["id"])["event_id"]
    hooks.wait_delivered(sub, {event_id})
    first, second = (r for r in hooks.received(sub) if r["webhook_id"] == event_id)
    assert (first["status"], second["status"]) == (status, 200)
    # The schedule alone would retry after 0.2 s (+-20 %); the receiver asked for 2 s or more.
    assert second["at"] - first["at"] >= 1.9


def test_an_answer_slower_than_15_seconds_is_a_failed_attempt_and_retried(hooks):
    sub = hooks.subscribe()
    hooks.receiver.configure(slow=16)
    event_id = send_test(hooks.gateway, sub["id"])["event_id"]
    [delivery] = wait_for(
        lambda: [d for d in deliveries(hooks.gateway, sub["id"]) if d["attempts"]],
        timeout=40,
        interval=0.5,
        what="the first attempt to time out",
    )
    assert delivery["attempts"][0]["result"] == "timeout"
    assert delivery["status"] != "succeeded"
    hooks.receiver.configure(slow=0)
    hooks.wait_delivered(sub, {event_id})
    wait_for(
        lambda: hooks.received(sub)[0]["state"] == "client_gone",
        timeout=10,
        what="the receiver to see that the timed-out sender hung up",
    )


def test_410_gone_disables_the_subscription_and_nothing_more_is_sent(hooks):
    gateway = hooks.gateway
    gone = hooks.subscribe("/gone", ["*"])
    control = hooks.subscribe("/control", ["image.approved"])
    hooks.receiver.configure(status_next_n={"410": 1})
    event_id = send_test(gateway, gone["id"])["event_id"]

    shown = wait_for(
        lambda: (found := subscription(gateway, gone["id"]))["enabled"] is False and found,
        timeout=20,
        what="the subscription to be disabled",
    )
    assert shown["state"] == "disabled"
    assert "410" in shown["disabled_reason"]
    [delivery] = deliveries(gateway, gone["id"])
    assert (delivery["event_id"], delivery["status"]) == (event_id, "failed")
    assert delivery["attempt_count"] == 1
    assert gateway.post(f"/api/v1/webhooks/{gone['id']}/test").status_code == 409

    image_id = upload_pending(gateway, seed=31)
    assert gateway.post(f"/api/v1/images/{image_id}/approve").status_code == 200
    [approved] = wait_for(
        lambda: [r for r in hooks.received(control) if accepted(r)],
        timeout=20,
        what="the control subscription to get image.approved",
    )
    assert body_of(approved)["data"]["id"] == image_id
    assert [r["webhook_id"] for r in hooks.received(gone)] == [event_id]
    assert [d["event_id"] for d in deliveries(gateway, gone["id"])] == [event_id]


@pytest.mark.parametrize("target", ["private", "allowed"])
def test_redirects_are_not_followed(hooks, target):
    sub = hooks.subscribe()
    elsewhere = f"{hooks.receiver.url}/{hooks.prefix}/elsewhere"
    location = "http://10.0.0.1/" if target == "private" else elsewhere
    hooks.receiver.configure(redirect_to=location)
    event_id = send_test(hooks.gateway, sub["id"])["event_id"]

    def redirected_attempt() -> dict | None:
        for delivery in deliveries(hooks.gateway, sub["id"]):
            if delivery["attempts"]:
                return delivery
        return None

    delivery = wait_for(redirected_attempt, timeout=20, what="an attempt to be logged")
    first = delivery["attempts"][0]
    assert (first["status_code"], first["result"]) == (302, "http_error")
    assert delivery["status"] != "succeeded"
    assert not [r for r in received(hooks.receiver) if r["path"].endswith("/elsewhere")]

    hooks.receiver.configure(redirect_to=None)
    hooks.wait_delivered(sub, {event_id})
    assert not [r for r in received(hooks.receiver) if r["path"].endswith("/elsewhere")]


def test_redeliver_sends_the_same_event_again_with_the_same_webhook_id(hooks):
    sub = hooks.subscribe()
    queued = send_test(hooks.gateway, sub["id"])
    first = delivered_record(hooks, sub, queued["event_id"])
    wait_for(
        lambda: deliveries(hooks.gateway, sub["id"], status="succeeded"),
        timeout=10,
        what="the first delivery to be logged as succeeded",
    )
    response = hooks.gateway.post(
        f"/api/v1/webhooks/{sub['id']}/deliveries/{queued['id']}/redeliver"
    )
    assert response.status_code == 202, response.text
    again = response.json()
    assert again["redelivery_of"] == queued["id"] and again["event_id"] == queued["event_id"]

    records = wait_for(
        lambda: len(found := [r for r in hooks.received(sub) if accepted(r)]) == 2 and found,
        timeout=20,
        what="the redelivery",
    )
    assert {r["webhook_id"] for r in records} == {queued["event_id"]}
    assert records[1]["body"] == first["body"]
    assert records[1]["verified"] is True


# ---- worker crash ---------------------------------------------------------------------------


def test_a_worker_killed_mid_delivery_is_replaced_and_the_event_still_arrives(
    start_gateway, receiver
):
    receiver.configure(reset=True)
    # The shortest lease allowed, so the dead worker's delivery is reaped soon.
    gateway = start_gateway({**WEBHOOK_ENV, "WEBHOOK_LEASE_SECONDS": "31"}, workers=1)
    sub = subscribe(gateway, f"{receiver.url}/crash/hook", ["*"])
    receiver.configure(secrets=[sub["secret"]], slow=8)
    event_id = send_test(gateway, sub["id"])["event_id"]
    wait_for(
        lambda: any(r["webhook_id"] == event_id for r in received(receiver, "/crash/hook")),
        timeout=20,
        what="the delivery to be in flight",
    )
    gateway.kill_worker(gateway.workers[0])
    receiver.configure(slow=0)
    assert not delivered_ids(received(receiver, "/crash/hook"))

    gateway.start_worker()
    records = wait_for(
        lambda: event_id in delivered_ids(found := received(receiver, "/crash/hook")) and found,
        timeout=120,
        interval=0.5,
        what="the delivery after the worker crash",
    )
    assert records[0]["state"] == "client_gone"
    assert {r["webhook_id"] for r in records} == {event_id}
    assert all(r["verified"] for r in records)
    [delivery] = wait_for(
        lambda: deliveries(gateway, sub["id"], status="succeeded"),
        timeout=10,
        what="the delivery log to say succeeded",
    )
    assert delivery["event_id"] == event_id
    assert len(deliveries(gateway, sub["id"])) == 1
