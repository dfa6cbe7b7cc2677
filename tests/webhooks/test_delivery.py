"""Delivery on the workers, against a real receiver on 127.0.0.1: dispatch, signing, retries,
Retry-After, disabling, claiming, ordering and the attempt log."""

from __future__ import annotations

import dataclasses
import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from standardwebhooks import Webhook

from gateway.app import metrics
from gateway.app.accounts import service as accounts
from gateway.app.audit.service import SYSTEM
from gateway.app.database import utcnow
from gateway.app.events.models import OutboxEvent
from gateway.app.extensions import db
from gateway.app.webhooks import delivery, dispatch, sending
from gateway.app.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from tests.webhooks.fixtures import FAST_SCHEDULE
from tests.webhooks.helpers import deliveries, emit, subscribe, subscription
from tests.webhooks.local_receiver import Answer


def attempts(app, delivery_id):
    with app.app_context():
        return list(
            db.session.scalars(
                select(WebhookAttempt)
                .where(WebhookAttempt.delivery_id == delivery_id)
                .order_by(WebhookAttempt.id)
            )
        )


def make_due(app):
    """Skip the wait before the next retry."""
    with app.app_context():
        db.session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.status == "pending")
            .values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()


def test_an_event_reaches_the_receiver_signed_in_the_contract_shape(
    app, client, admin_headers, webhooks, receiver
):
    created = subscribe(client, admin_headers, receiver.url, ["image.approved"])
    event_id = emit(app, "image.approved", {"id": "img_9", "status": "approved"})
    assert delivery.sweep(webhooks) == 1
    (got,) = receiver.received
    body = json.loads(got.body)
    assert set(body) == {"event_type", "event_id", "timestamp", "data"}
    assert body["event_type"] == "image.approved"
    assert body["event_id"] == event_id
    assert body["data"] == {"id": "img_9", "status": "approved"}
    assert body["timestamp"].endswith("Z")
    assert got.headers["webhook-id"] == got.headers["x-webhook-id"] == event_id
    assert got.headers["x-webhook-event"] == "image.approved"
    assert got.headers["content-type"] == "application/json"
    assert Webhook(created["secret"]).verify(got.body, got.headers) == body
    (done,) = deliveries(app)
    assert (done.status, done.attempts, done.last_status_code) == ("succeeded", 1, 200)
    with app.app_context():
        assert db.session.scalar(select(OutboxEvent.dispatched)) is True


def test_only_matching_enabled_subscriptions_get_an_event_and_test_events_are_not_fanned_out(
    app, client, admin_headers, webhooks, receiver
):
    approved = subscribe(client, admin_headers, receiver.url, ["image.approved"])
    everything = subscribe(client, admin_headers, receiver.url, ["*"])
    paused = subscribe(client, admin_headers, receiver.url, ["*"])
    client.patch(f"/api/v1/webhooks/{paused['id']}", json={"enabled": False}, headers=admin_headers)
    emit(app, "generation.completed")
    emit(app, "image.approved")
    emit(app, "webhook.test")
    assert dispatch.dispatch(webhooks) == 3
    assert [d.event_type for d in deliveries(app, approved["id"])] == ["image.approved"]
    assert [d.event_type for d in deliveries(app, everything["id"])] == [
        "generation.completed",
        "image.approved",
    ]
    assert deliveries(app, paused["id"]) == []
    assert dispatch.dispatch(webhooks) == 0


def test_a_revoked_keys_subscriptions_receive_nothing(app, client, make_key, webhooks, receiver):
    secret = make_key(scopes=["read", "webhooks"], name="zapier")
    subscribe(client, {"X-API-Key": secret}, receiver.url)
    with app.app_context():
        accounts.revoke_key(db.session, secret.split("_")[1], SYSTEM)
    emit(app, "image.approved")
    assert dispatch.dispatch(webhooks) == 0


def retry_at(app, delivery_id: str, when) -> None:
    with app.app_context():
        db.session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id)
            .values(next_attempt_at=when)
        )
        db.session.commit()


def test_a_failed_attempt_is_retried_on_the_schedule_with_the_same_webhook_id(
    app, client, admin_headers, webhooks, receiver
):
    subscribe(client, admin_headers, receiver.url)
    receiver.script(Answer(500, b"database down"))
    emit(app, "image.approved")
    before = utcnow()
    delivery.sweep(webhooks)
    (waiting,) = deliveries(app)
    assert waiting.status == "pending"
    assert waiting.attempts == 1
    assert waiting.last_status_code == 500
    delay = (waiting.next_attempt_at - before).total_seconds()
    assert FAST_SCHEDULE[0] * 0.8 - 0.05 <= delay <= FAST_SCHEDULE[0] * 1.2 + 0.5
    # Due or not by its next_attempt_at alone, moved here rather than waited for: a sleep races a
    # slow machine, where the 0.2 s could pass before the second sweep.
    retry_at(app, waiting.id, utcnow() + timedelta(hours=1))
    assert delivery.sweep(webhooks) == 0  # not due yet
    retry_at(app, waiting.id, utcnow() - timedelta(seconds=1))
    assert delivery.sweep(webhooks) == 1
    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body
    assert (first.headers["x-webhook-attempt"], second.headers["x-webhook-attempt"]) == ("1", "2")
    logged = attempts(app, waiting.id)
    assert [(a.number, a.result, a.status_code) for a in logged] == [
        (1, "http_error", 500),
        (2, "success", 200),
    ]
    assert logged[0].response_excerpt == "database down"
    assert deliveries(app)[0].status == "succeeded"


def test_after_the_last_scheduled_retry_the_delivery_fails(
    app, client, admin_headers, webhooks, receiver
):
    subscribe(client, admin_headers, receiver.url)
    receiver.script(*[Answer(502)] * (len(FAST_SCHEDULE) + 1))
    emit(app, "image.approved")
    for _ in range(len(FAST_SCHEDULE) + 1):
        delivery.sweep(webhooks)
        make_due(app)
    (done,) = deliveries(app)
    assert (done.status, done.attempts) == ("failed", len(FAST_SCHEDULE) + 1)
    assert len(receiver.received) == len(FAST_SCHEDULE) + 1


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_honoured(app, client, admin_headers, webhooks, receiver, status):
    subscribe(client, admin_headers, receiver.url)
    context = dataclasses.replace(webhooks, retry_schedule=(1.0, 120.0))
    receiver.script(Answer(status, headers={"Retry-After": "37"}))
    emit(app, "image.approved")
    before = utcnow()
    delivery.sweep(context)
    (waiting,) = deliveries(app)
    assert waiting.status == "pending"
    assert 36 <= (waiting.next_attempt_at - before).total_seconds() <= 38


def test_retry_delay_jitters_around_the_schedule_and_stops_when_it_runs_out():
    schedule = (5.0, 300.0)
    assert sending.retry_delay(1, schedule, None, rng=lambda: 0.0) == pytest.approx(4.0)
    assert sending.retry_delay(1, schedule, None, rng=lambda: 1.0) == pytest.approx(6.0)
    assert sending.retry_delay(2, schedule, None, rng=lambda: 0.5) == pytest.approx(300.0)
    assert sending.retry_delay(2, schedule, 12.0) == 12.0
    assert sending.retry_delay(3, schedule, None) is None
    assert sending.retry_delay(1, (), None) is None


def test_410_gone_disables_the_subscription_at_once_and_cancels_what_is_queued(
    app, client, admin_headers, webhooks, receiver
):
    created = subscribe(client, admin_headers, receiver.url)
    receiver.script(Answer(410, b"gone"))
    emit(app, "image.approved")
    emit(app, "image.rejected")
    delivery.sweep(webhooks)
    first, second = deliveries(app)
    assert (first.status, second.status) == ("failed", "cancelled")
    assert len(receiver.received) == 1
    gone = client.get(f"/api/v1/webhooks/{created['id']}", headers=admin_headers).get_json()
    assert gone["enabled"] is False
    assert gone["state"] == "disabled"
    assert "410" in gone["disabled_reason"]
    emit(app, "image.approved")
    assert dispatch.dispatch(webhooks) == 0


def test_a_subscription_failing_for_the_whole_window_is_disabled(
    app, client, admin_headers, webhooks, receiver
):
    created = subscribe(client, admin_headers, receiver.url)
    receiver.script(Answer(500), Answer(500))
    emit(app, "image.approved")
    delivery.sweep(webhooks)
    assert subscription(app, created["id"]).failing_since is not None
    assert subscription(app, created["id"]).enabled
    with app.app_context():
        db.session.execute(
            update(WebhookSubscription).values(
                failing_since=utcnow() - webhooks.disable_after - timedelta(minutes=1)
            )
        )
        db.session.commit()
    make_due(app)
    delivery.sweep(webhooks)
    disabled = subscription(app, created["id"])
    assert not disabled.enabled
    assert "120 hours" in disabled.disabled_reason
    assert deliveries(app)[0].status == "failed"
    shown = client.get("/api/v1/webhooks", headers=admin_headers).get_json()["items"][0]
    assert shown["state"] == "disabled"


def test_a_failure_after_a_quiet_spell_starts_a_new_run_instead_of_disabling(
    app, client, admin_headers, webhooks, receiver
):
    created = subscribe(client, admin_headers, receiver.url)
    long_ago = utcnow() - webhooks.disable_after - timedelta(hours=1)
    with app.app_context():
        db.session.execute(
            update(WebhookSubscription).values(failing_since=long_ago, last_failure_at=long_ago)
        )
        db.session.commit()
    receiver.script(Answer(500))
    emit(app, "image.approved")
    delivery.sweep(webhooks)
    after = subscription(app, created["id"])
    assert after.enabled
    assert after.failing_since > long_ago + timedelta(minutes=30)


def test_a_success_clears_the_failure_record(app, client, admin_headers, webhooks, receiver):
    created = subscribe(client, admin_headers, receiver.url)
    receiver.script(Answer(500))
    emit(app, "image.approved")
    delivery.sweep(webhooks)
    assert (
        client.get(f"/api/v1/webhooks/{created['id']}", headers=admin_headers).get_json()["state"]
        == "failing"
    )
    make_due(app)
    delivery.sweep(webhooks)
    healthy = subscription(app, created["id"])
    assert healthy.failing_since is None
    assert healthy.last_success_at is not None


def test_redirects_are_not_followed(app, client, admin_headers, webhooks, receiver):
    subscribe(client, admin_headers, receiver.url)
    receiver.script(Answer(302, headers={"Location": receiver.url + "/elsewhere"}))
    emit(app, "image.approved")
    delivery.sweep(webhooks)
    assert len(receiver.received) == 1
    (waiting,) = deliveries(app)
    assert (waiting.status, waiting.last_status_code) == ("pending", 302)


def test_an_answer_slower_than_the_timeout_is_a_failed_attempt(
    app, client, admin_headers, webhooks, receiver
):
    subscribe(client, admin_headers, receiver.url)
    context = dataclasses.replace(webhooks, timeout_seconds=0.3)
    receiver.script(Answer(200, delay=1.0))
    emit(app, "image.approved")
    delivery.sweep(context)
    (waiting,) = deliveries(app)
    assert waiting.status == "pending"
    (logged,) = attempts(app, waiting.id)
    assert logged.result == "timeout"
    assert logged.duration_ms >= 250


def test_the_response_excerpt_is_capped_at_one_kib(app, client, admin_headers, webhooks, receiver):
    subscribe(client, admin_headers, receiver.url)
    receiver.script(Answer(500, b"x" * 50_000))
    emit(app, "image.approved")
    delivery.sweep(webhooks)
    (logged,) = attempts(app, deliveries(app)[0].id)
    assert len(logged.response_excerpt) == 1024


def test_an_unreachable_endpoint_is_a_network_error_and_counted(
    app, client, admin_headers, webhooks, receiver
):
    subscribe(client, admin_headers, "http://127.0.0.1:9/hook")
    before = metrics.WEBHOOK_DELIVERIES.labels(result="network_error")._value.get()
    emit(app, "image.approved")
    delivery.sweep(webhooks)
    (logged,) = attempts(app, deliveries(app)[0].id)
    assert logged.result == "network_error"
    assert metrics.WEBHOOK_DELIVERIES.labels(result="network_error")._value.get() == before + 1


def test_concurrent_claims_of_one_delivery_have_one_winner(
    app, client, admin_headers, webhooks, receiver
):
    subscribe(client, admin_headers, receiver.url)
    emit(app, "image.approved")
    dispatch.dispatch(webhooks)
    (pending,) = deliveries(app)
    barrier = threading.Barrier(8)
    won = []

    def race():
        barrier.wait()
        won.append(delivery.claim(webhooks, pending.sequence))

    threads = [threading.Thread(target=race) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len([claim for claim in won if claim is not None]) == 1


def test_concurrent_sweeps_deliver_every_event_exactly_once_and_in_order(
    app, client, admin_headers, webhooks, receiver
):
    first = subscribe(client, admin_headers, receiver.url.replace("/hook", "/a"))
    second = subscribe(client, admin_headers, receiver.url.replace("/hook", "/b"))
    sent = [emit(app, "image.approved", {"n": n}) for n in range(12)]
    errors = []

    def work():
        try:
            for _ in range(6):
                delivery.sweep(webhooks)
        except Exception as error:  # surfaced by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for path, created in (("/a", first), ("/b", second)):
        got = [json.loads(r.body)["event_id"] for r in receiver.received if r.path == path]
        assert got == sent, created["id"]
    assert {d.status for d in deliveries(app)} == {"succeeded"}


def test_a_later_delivery_waits_while_an_earlier_one_of_its_subscription_retries(
    app, client, admin_headers, webhooks, receiver
):
    subscribe(client, admin_headers, receiver.url)
    receiver.script(Answer(500))
    first_id = emit(app, "image.approved", {"n": 1})
    second_id = emit(app, "image.approved", {"n": 2})
    delivery.sweep(webhooks)
    assert len(receiver.received) == 1
    earlier, later = deliveries(app)
    assert (earlier.status, later.status) == ("pending", "pending")
    assert later.attempts == 0
    make_due(app)
    delivery.sweep(webhooks)
    order = [r.headers["webhook-id"] for r in receiver.received]
    assert order == [first_id, first_id, second_id]


def test_a_dead_workers_lease_expires_and_its_late_result_is_not_recorded(
    app, client, admin_headers, webhooks, receiver
):
    subscribe(client, admin_headers, receiver.url)
    emit(app, "image.approved")
    dispatch.dispatch(webhooks)
    (pending,) = deliveries(app)
    stale = delivery.claim(webhooks, pending.sequence)
    assert stale is not None
    assert delivery.claim_due(webhooks, 4) == []
    with app.app_context():
        db.session.execute(
            update(WebhookDelivery).values(lease_expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
    assert delivery.reap(webhooks) == 1
    fresh = delivery.claim(webhooks, pending.sequence)
    assert fresh is not None and fresh.token != stale.token
    assert delivery.deliver(webhooks, stale) is None
    assert delivery.deliver(webhooks, fresh) == "succeeded"
    assert deliveries(app)[0].attempts == 1
    assert len(attempts(app, pending.id)) == 2


def test_the_old_secret_keeps_signing_for_24_hours_after_a_rotation(
    app, client, admin_headers, webhooks, receiver
):
    created = subscribe(client, admin_headers, receiver.url)
    rotated = client.post(
        f"/api/v1/webhooks/{created['id']}/rotate-secret", headers=admin_headers
    ).get_json()
    assert rotated["secret"] != created["secret"]
    emit(app, "image.approved")
    delivery.sweep(webhooks)
    got = receiver.received[-1]
    assert Webhook(created["secret"]).verify(got.body, got.headers)
    assert Webhook(rotated["secret"]).verify(got.body, got.headers)
    with app.app_context():
        db.session.execute(
            update(WebhookSubscription).values(
                previous_secret_expires_at=utcnow() - timedelta(seconds=1)
            )
        )
        db.session.commit()
    emit(app, "image.approved")
    delivery.sweep(webhooks)
    got = receiver.received[-1]
    assert len(got.headers["webhook-signature"].split(" ")) == 1
    assert Webhook(rotated["secret"]).verify(got.body, got.headers)


def test_test_events_and_redeliveries_do_not_wait_in_line_nor_hold_it_up(
    app, client, admin_headers, webhooks, receiver
):
    created = subscribe(client, admin_headers, receiver.url)
    receiver.script(Answer(500))
    emit(app, "image.approved")
    delivery.sweep(webhooks)
    (retrying,) = deliveries(app)
    assert retrying.status == "pending"
    receiver.script(Answer(500))
    sent = client.post(f"/api/v1/webhooks/{created['id']}/test", headers=admin_headers)
    assert sent.status_code == 202
    assert json.loads(receiver.received[-1].body)["event_type"] == "webhook.test"
    make_due(app)
    delivery.sweep(webhooks)
    assert {d.event_type: d.status for d in deliveries(app)} == {
        "image.approved": "succeeded",
        "webhook.test": "succeeded",
    }


def test_nothing_is_claimed_for_a_disabled_subscription(
    app, client, admin_headers, webhooks, receiver
):
    created = subscribe(client, admin_headers, receiver.url)
    queued = client.post(f"/api/v1/webhooks/{created['id']}/test", headers=admin_headers)
    receiver.received.clear()
    emit(app, "image.approved")
    dispatch.dispatch(webhooks)
    with app.app_context():
        db.session.execute(update(WebhookSubscription).values(enabled=False))
        db.session.execute(update(WebhookDelivery).values(status="pending"))
        db.session.commit()
    assert delivery.claim_due(webhooks, 4) == []
    assert delivery.deliver_now(webhooks, queued.get_json()["id"]) is None
    assert receiver.received == []
