"""Emitting domain events: `emit` adds an outbox row to the caller's transaction.

Nothing is sent here. Because the row commits (or rolls back) with the change itself, an event is
never lost when a process dies right after the change, and never announced for a change that was
rolled back. The webhooks feature reads the outbox and delivers.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Select, insert, literal, select
from sqlalchemy.orm import Session

from gateway.app.database import NewId, isoformat, new_id, utcnow
from gateway.app.events.models import OutboxEvent

OUTBOX = OutboxEvent.__table__

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


def emit(transaction: Session | Connection, event_type: str, data: dict[str, Any]) -> str:
    """Add the event to the open transaction (an ORM session or a Core connection); its id."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    event_id = new_id("evt")
    transaction.execute(
        insert(OUTBOX).values(id=event_id, event_type=event_type, data=data, created_at=utcnow())
    )
    return event_id


def emit_each(transaction: Session | Connection, event_type: str, payloads: Select[Any]) -> None:
    """Add one event per row of `payloads` (columns `data`, its JSON, and `position`, its
    order) with one INSERT ... SELECT: the database writes every row, none passes through Python."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    rows = payloads.subquery()
    transaction.execute(
        insert(OUTBOX).from_select(
            ["id", "event_type", "data", "created_at"],
            select(
                NewId("evt"),
                literal(event_type, OUTBOX.c.event_type.type),
                rows.c.data,
                literal(utcnow(), OUTBOX.c.created_at.type),
            ).order_by(rows.c.position),
        )
    )


def envelope(event: OutboxEvent) -> dict[str, Any]:
    """The delivery body of the contract: `{event_type, event_id, timestamp, data}`."""
    return {
        "event_type": event.event_type,
        "event_id": event.id,
        "timestamp": isoformat(event.created_at),
        "data": event.data,
    }
