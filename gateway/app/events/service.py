"""Emitting domain events: `emit` adds an outbox row to the caller's transaction.

Nothing is sent here. Because the row commits (or rolls back) with the change itself, an event is
never lost when a process dies right after the change, and never announced for a change that was
rolled back. The webhooks feature reads the outbox and delivers.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Text, bindparam, insert
from sqlalchemy.orm import Session

from gateway.app import json_text
from gateway.app.database import isoformat, new_id, utcnow
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


def emit_many(
    transaction: Session | Connection, event_type: str, items: list[dict[str, Any]]
) -> list[str]:
    """Add one event per item, in order, with one multi-row INSERT; their ids.

    An item's `RawJSON` values (see `json_text`) are stored as they are, never parsed.
    """
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    rows = [{"id": new_id("evt"), "data": json_text.dumps(data)} for data in items]
    if rows:
        statement = insert(OUTBOX).values(
            id=bindparam("id"),
            event_type=event_type,
            data=json_text.AsJSON(bindparam("data", type_=Text())),
            created_at=utcnow(),
        )
        transaction.execute(statement, rows)
    return [row["id"] for row in rows]


def envelope(event: OutboxEvent) -> dict[str, Any]:
    """The delivery body of the contract: `{event_type, event_id, timestamp, data}`."""
    return {
        "event_type": event.event_type,
        "event_id": event.id,
        "timestamp": isoformat(event.created_at),
        "data": event.data,
    }
