"""What the delivery side needs, built once per process by `webhooks.init_app`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import Engine

from gateway.app import context as app_context

DELIVER_TASK = "webhooks.deliver"


@dataclass(frozen=True)
class WebhookContext:
    """What the delivery side needs, built once per process.

    `engine` begins deferred on SQLite: it runs reads and single-statement claims. `writer` (the
    session's engine, IMMEDIATE on SQLite) runs the transactions that read before they write.
    `batch_size` outbox events are dispatched, and up to `claim_size` deliveries claimed, per
    transaction; `parallelism` threads send them.
    """

    engine: Engine
    writer: Engine
    networks: tuple[str, ...]
    retry_schedule: tuple[float, ...]
    disable_after: timedelta
    timeout_seconds: float = 15.0
    lease_seconds: float = 60.0
    parallelism: int = 4
    batch_size: int = 500
    claim_size: int = 64


def current() -> WebhookContext:
    """This app's webhook context (built by `webhooks.init_app`)."""
    return current_app.extensions["webhooks"]


def enqueue_delivery(delivery_id: str) -> None:
    """Queue one delivery to be sent at once (test events and redeliveries)."""
    app_context.queue().enqueue(DELIVER_TASK, delivery_id)
