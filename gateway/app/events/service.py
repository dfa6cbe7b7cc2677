"""Emitting domain events: `emit` adds an outbox row to the caller's transaction.

Nothing is sent here. Because the row commits (or rolls back) with the change itself, an event is
never lost when a process dies right after the change, and never announced for a change that was
rolled back. The webhooks feature reads the outbox and delivers.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from gateway.app.database import isoformat
from gateway.app.events.models import OutboxEvent

EVENT_TYPES = (
    "generation.started",
    "generation.completed",
    "generation.failed",
    "image.approved",
    "image.rejected",
    "product.published",
    "product.failed",
    "batch.completed",
    "webhook.test",
)


def emit(session: Session, event_type: str, data: dict[str, Any]) -> OutboxEvent:
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    event = OutboxEvent(event_type=event_type, data=data)
    session.add(event)
    return event


def envelope(event: OutboxEvent) -> dict[str, Any]:
    """The delivery body of the contract: `{event_type, event_id, timestamp, data}`."""
    return {
        "event_type": event.event_type,
        "event_id": event.id,
        "timestamp": isoformat(event.created_at),
        "data": event.data,
    }
