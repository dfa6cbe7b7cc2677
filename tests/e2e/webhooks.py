"""Helpers for the webhook end-to-end tests: subscriptions over the API and the receiver's record.

The receiver (`tests.emulators.receiver`) runs as a process; these helpers read what it recorded
and what the gateway says it sent, so tests compare the two sides.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from tests.conftest import artwork
from tests.e2e.harness import Gateway, wait_for
from tests.emulators.process import EmulatorProcess

# Fast retries for tests: seventeen attempts over about 17 s, so an outage of a few seconds plus a
# 30 % failure rate loses nothing, while every retry still takes real time. The gateway caps
# Retry-After at the longest step, hence the final 3 s.
FAST_RETRIES = "0.2,0.5,1,1,1,1,1,1,1,1,1,1,1,1,1,3"
WEBHOOK_ENV = {
    "WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
    "WEBHOOK_RETRY_SCHEDULE": FAST_RETRIES,
    "RATE_LIMIT_ENABLED": "false",
}


def subscribe(gateway: Gateway, url: str, events: list[str] | None = None, **extra: Any) -> dict:
    """Subscribe `url` (to every event unless told) and return the 201 body, secret included."""
    response = gateway.post(
        "/api/v1/webhooks", json={"url": url, "events": events or ["*"], **extra}
    )
    assert response.status_code == 201, response.text
    return response.json()


def subscription(gateway: Gateway, webhook_id: str) -> dict:
    response = gateway.get(f"/api/v1/webhooks/{webhook_id}")
    assert response.status_code == 200, response.text
    return response.json()


def send_test(gateway: Gateway, webhook_id: str) -> dict:
    """Ask for a `webhook.test` event; the queued delivery (its `event_id` is the webhook-id)."""
    response = gateway.post(f"/api/v1/webhooks/{webhook_id}/test")
    assert response.status_code == 202, response.text
    return response.json()


def deliveries(gateway: Gateway, webhook_id: str, **params: Any) -> list[dict]:
    response = gateway.get(
        f"/api/v1/webhooks/{webhook_id}/deliveries", params={"limit": 200, **params}
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


def received(receiver: EmulatorProcess, path: str | None = None, since: int = 0) -> list[dict]:
    """Every request the receiver recorded (optionally only those to `path`), oldest first."""
    response = requests.get(
        f"{receiver.url}/_emulator/requests", params={"since": since}, timeout=30
    )
    response.raise_for_status()
    found = response.json()["requests"]
    return [r for r in found if path is None or r["path"] == path]


def receiver_stats(receiver: EmulatorProcess) -> dict:
    response = requests.get(f"{receiver.url}/_emulator/stats", timeout=10)
    response.raise_for_status()
    return response.json()


def accepted(record: dict) -> bool:
    """The receiver answered this request 2xx to a sender still listening."""
    return record["state"] == "answered" and 200 <= record["status"] < 300


def delivered_ids(records: list[dict]) -> set[str]:
    return {r["webhook_id"] for r in records if accepted(r)}


def by_webhook_id(records: list[dict]) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = defaultdict(list)
    for record in records:
        grouped[record["webhook_id"]].append(record)
    return grouped


def body_of(record: dict) -> dict:
    return json.loads(record["body"])


def metric_total(gateway: Gateway, name: str, **labels: str) -> float:
    """The sum of a Prometheus counter's samples whose labels include `labels`."""
    text = requests.get(f"{gateway.url}/metrics", timeout=10).text
    total = 0.0
    pattern = re.compile(rf"^{re.escape(name)}(?:\{{(.*)\}})? (\S+)$")
    for line in text.splitlines():
        match = pattern.match(line)
        if not match:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1) or ""))
        if all(found.get(key) == value for key, value in labels.items()):
            total += float(match.group(2))
    return total


def upload_pending(gateway: Gateway, seed: int) -> str:
    """Upload a small distinct design; its id (the image waits in `pending` review)."""
    data = artwork(640, 640, seed=seed)
    response = gateway.post("/api/v1/images", files={"file": (f"design-{seed}.png", data)})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def start_receiver(directory: Path) -> EmulatorProcess:
    """A receiver process whose journal in `directory` keeps its record across restarts."""
    journal = directory / "receiver-journal.jsonl"
    return EmulatorProcess("tests.emulators.receiver", ["--journal", str(journal)]).start()


class Hooks:
    """One test's subscriptions on a shared receiver, under a path prefix of its own.

    As a context manager it starts from a reset receiver and unsubscribes everything at the end,
    so no test sees another's deliveries.
    """

    def __init__(self, gateway: Gateway, receiver: EmulatorProcess, prefix: str) -> None:
        self.gateway, self.receiver = gateway, receiver
        self.prefix = re.sub(r"[^A-Za-z0-9_.-]", "-", prefix)
        self.created: list[dict] = []

    def __enter__(self) -> Hooks:
        self.receiver.configure(reset=True)
        return self

    def __exit__(self, *_exc: object) -> None:
        for sub in self.created:
            self.gateway.request("DELETE", f"/api/v1/webhooks/{sub['id']}")

    def subscribe(self, path: str = "/hook", events: list[str] | None = None) -> dict:
        """Subscribe a receiver path and teach the receiver the new secret."""
        created = subscribe(self.gateway, f"{self.receiver.url}/{self.prefix}{path}", events)
        self.created.append(created)
        self.receiver.configure(secrets=[sub["secret"] for sub in self.created])
        return created

    def received(self, sub: dict) -> list[dict]:
        return received(self.receiver, urlsplit(sub["url"]).path)

    def wait_delivered(self, sub: dict, event_ids: set[str], timeout: float = 30) -> list[dict]:
        """Wait until the receiver accepted every event in `event_ids` on `sub`'s path."""
        return wait_for(
            lambda: event_ids <= delivered_ids(records := self.received(sub)) and records,
            timeout=timeout,
            interval=0.1,
            what=f"{len(event_ids)} deliveries to {sub['url']}",
        )


def delivered_record(hooks: Hooks, sub: dict, event_id: str) -> dict:
    """The request that delivered `event_id` to `sub` (waiting for it)."""
    records = hooks.wait_delivered(sub, {event_id})
    return next(r for r in records if r["webhook_id"] == event_id and accepted(r))
