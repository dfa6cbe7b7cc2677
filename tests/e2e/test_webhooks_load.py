"""1,000 webhook events through a flaky receiver and a real outage: every one arrives, none is lost.

Ten subscriptions (one receiver path each) get 100 `webhook.test` events apiece, and all of them 30
`batch.completed` domain events, from two worker processes: on SQLite (embedded) and on PostgreSQL
with the Redis queue (distributed; skipped unless TEST_DATABASE_URL and TEST_REDIS_URL are set).
The receiver answers 500 to 30 % of requests at random (seeded) and, while events are still being
emitted, is stopped outright (connections refused) until the gateway has retried into the closed
port a few times per subscription, then started again on the same port; its journal keeps what it
recorded across the restart. Test events go at once; domain events go one at a time per
subscription, in order, which the receiver's record must show.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis

from tests.e2e.conftest import GatewayFactory
from tests.e2e.harness import Gateway, wait_for
from tests.e2e.webhooks import (
    WEBHOOK_ENV,
    accepted,
    body_of,
    by_webhook_id,
    delivered_ids,
    deliveries,
    metric_total,
    received,
    receiver_stats,
    send_test,
    start_receiver,
    subscribe,
)
from tests.emulators.process import EmulatorProcess

pytestmark = pytest.mark.e2e
SUBSCRIPTIONS = 10
EVENTS = 1000
DOMAIN_EVENTS = 30
FAIL_RATIO = 0.3


@pytest.fixture(params=["embedded", "distributed"])
def load_gateway(
    start_gateway: GatewayFactory, request: pytest.FixtureRequest
) -> Iterator[Gateway]:
    """Two workers on SQLite and the SQLite queue, or on PostgreSQL and the Redis queue."""
    prefix = f"podhooks{secrets.token_hex(4)}"
    env = {**WEBHOOK_ENV, "REDIS_PREFIX": prefix}
    if request.param == "distributed":
        redis_url = request.getfixturevalue("redis_url")
        env |= {
            "DATABASE_URL": request.getfixturevalue("make_postgres_database")(),
            "REDIS_URL": redis_url,
        }
    yield start_gateway(env, workers=2)
    if request.param == "distributed":
        client = redis.Redis.from_url(redis_url)
        for key in client.scan_iter(f"*{prefix}*"):
            client.delete(key)


@pytest.fixture
def flaky_receiver(tmp_path: Path) -> Iterator[EmulatorProcess]:
    process = start_receiver(tmp_path)
    yield process
    process.stop()


def _emit(gateway: Gateway, subs: list[dict], numbers: range) -> dict[str, str]:
    """Ask for one test event per number, round-robin over `subs`; event id -> receiver path."""

    def one(number: int) -> tuple[str, str]:
        sub = subs[number % len(subs)]
        return send_test(gateway, sub["id"])["event_id"], sub["path"]

    with ThreadPoolExecutor(8) as pool:
        return dict(pool.map(one, numbers))


def _emit_domain_events(gateway: Gateway) -> list[str]:
    """Emit the `batch.completed` events one after another; their tags in commit order."""
    tags = [f"img_load_{n:03d}" for n in range(DOMAIN_EVENTS)]
    for tag in tags:
        response = gateway.post("/api/v1/batch/approve", json={"image_ids": [tag]})
        assert response.status_code == 200, response.text
    return tags


def _tag(record: dict) -> str | None:
    event = body_of(record)
    return (
        event["data"]["failed"][0]["image_id"] if event["event_type"] == "batch.completed" else None
    )


def test_1000_events_to_a_flaky_receiver_with_an_outage_all_arrive_once_each_id(
    load_gateway, flaky_receiver
):
    gateway, receiver = load_gateway, flaky_receiver
    subs = []
    for n in range(SUBSCRIPTIONS):
        created = subscribe(gateway, f"{receiver.url}/load/{n}", ["batch.completed"])
        subs.append({**created, "path": f"/load/{n}"})
    receiver.configure(
        secrets=[sub["secret"] for sub in subs], fail_ratio=FAIL_RATIO, random_seed=20240601
    )

    with ThreadPoolExecutor(2) as background:
        emitting = background.submit(_emit, gateway, subs, range(EVENTS))
        announcing = background.submit(_emit_domain_events, gateway)
        wait_for(
            lambda: receiver_stats(receiver)["delivered"] >= EVENTS // 4,
            timeout=60,
            what="a first share of the events to be delivered",
        )
        refused = metric_total(gateway, "pod_webhook_deliveries_total", result="network_error")
        receiver.stop()
        wait_for(
            lambda: (
                metric_total(gateway, "pod_webhook_deliveries_total", result="network_error")
                >= refused + 3 * SUBSCRIPTIONS
            ),
            timeout=30,
            what="the gateway to have met the outage (refused connections)",
        )
        receiver.start()
        emitted = emitting.result()
        tags = announcing.result()

    def all_delivered() -> list[dict] | None:
        records = received(receiver)
        if not delivered_ids(records) >= set(emitted):
            return None
        for sub in subs:
            done = {_tag(r) for r in records if r["path"] == sub["path"] and accepted(r)}
            if not done >= set(tags):
                return None
        return records

    records = wait_for(all_delivered, timeout=120, interval=0.5, what="all 1,030 events")

    assert len(emitted) == EVENTS
    domain_ids = {r["webhook_id"] for r in records if _tag(r)}
    assert len(domain_ids) == DOMAIN_EVENTS
    for sub in subs:
        mine = [r for r in records if r["path"] == sub["path"]]
        expected = {event_id for event_id, path in emitted.items() if path == sub["path"]}
        assert delivered_ids(mine) == expected | domain_ids, f"{sub['path']} got others' events"
        order = [tags.index(tag) for r in mine if (tag := _tag(r))]
        assert order == sorted(order), f"{sub['path']} saw a later domain event before an earlier"

    attempts = by_webhook_id(records)
    assert set(attempts) == set(emitted) | domain_ids, "a webhook-id that was never emitted"
    retried = {event_id for event_id, tries in attempts.items() if len(tries) > 1}
    assert len(records) > EVENTS and retried, "30 % failures must have caused retries"
    for event_id in retried:
        tries = attempts[event_id]
        assert len({r["body"] for r in tries}) == 1, f"{event_id} changed body between retries"
        assert {r["headers"]["x-webhook-id"] for r in tries} == {event_id}
    assert all(r["verified"] is True for r in records), "a standardwebhooks signature failed"
    assert all(r["simple_verified"] is True for r in records), "an X-Webhook-Signature failed"
    statuses = Counter(r["status"] for r in records)
    assert statuses[500] > 0

    for sub in subs:
        log = wait_for(
            lambda sub=sub: (
                len(found := deliveries(gateway, sub["id"], status="succeeded"))
                == EVENTS // SUBSCRIPTIONS + DOMAIN_EVENTS
                and found
            ),
            timeout=20,
            what=f"the delivery log of {sub['path']}",
        )
        assert {d["event_id"] for d in log} == domain_ids | {
            event_id for event_id, path in emitted.items() if path == sub["path"]
        }
        assert deliveries(gateway, sub["id"], status="failed") == []
    deliveries_made = EVENTS + DOMAIN_EVENTS * SUBSCRIPTIONS
    assert (
        metric_total(gateway, "pod_webhook_deliveries_total", result="success") >= deliveries_made
    )
    stats = receiver_stats(receiver)
    assert stats["delivered"] == EVENTS + DOMAIN_EVENTS and stats["duplicates"] > 0
    assert [r for r in records if not accepted(r) and r["status"] not in (500, None)] == []
