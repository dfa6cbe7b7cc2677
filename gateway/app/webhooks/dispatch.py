"""Dispatch: the outbox fanned out into one delivery row per matching subscription.

Undispatched events become a delivery for every enabled subscription (whose API key is not
revoked) listing the event type or `*`, and are marked dispatched, in one transaction. Dispatchers
take turns (a PostgreSQL advisory lock; SQLite's write lock), so delivery rows are created in
outbox order and their `sequence` carries that order to the sender. `webhook.test` events are not
fanned out: each goes only to the subscription that asked for it.
"""

from __future__ import annotations

from sqlalchemy import false, func, insert, select, update

from gateway.app.accounts.models import ApiKey
from gateway.app.database import new_id, utcnow
from gateway.app.events.models import OutboxEvent
from gateway.app.webhooks.context import WebhookContext
from gateway.app.webhooks.models import WebhookDelivery, WebhookSubscription
from gateway.app.webhooks.presenter import envelope_json
from gateway.app.webhooks.service import WILDCARD
from gateway.app.webhooks.states import DeliveryStatus

OUTBOX = OutboxEvent.__table__
SUBSCRIPTIONS = WebhookSubscription.__table__
DELIVERIES = WebhookDelivery.__table__
KEYS = ApiKey.__table__
DISPATCH_LOCK = 0x706F_6477  # "podw": the advisory lock dispatchers take turns on (PostgreSQL)


def dispatch(context: WebhookContext) -> int:
    """Turn undispatched outbox events into deliveries; the number of deliveries created."""
    waiting = select(OUTBOX.c.sequence).where(OUTBOX.c.dispatched == false())
    with context.engine.connect() as connection:
        if connection.execute(waiting.limit(1)).first() is None:
            return 0
    now = utcnow()
    with context.writer.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(select(func.pg_advisory_xact_lock(DISPATCH_LOCK)))
        events = connection.execute(
            select(OUTBOX)
            .where(OUTBOX.c.dispatched == false())
            .order_by(OUTBOX.c.sequence)
            .limit(context.batch_size)
        ).all()
        if not events:
            return 0
        subscriptions = connection.execute(
            select(SUBSCRIPTIONS.c.id, SUBSCRIPTIONS.c.events)
            .outerjoin(KEYS, KEYS.c.id == SUBSCRIPTIONS.c.api_key_id)
            .where(SUBSCRIPTIONS.c.enabled, KEYS.c.revoked_at.is_(None))
            .order_by(SUBSCRIPTIONS.c.created_at, SUBSCRIPTIONS.c.id)
        ).all()
        rows = []
        for event in events:
            if event.event_type == "webhook.test":
                continue
            body = envelope_json(event)
            for subscription in subscriptions:
                if WILDCARD in subscription.events or event.event_type in subscription.events:
                    rows.append(
                        {
                            "id": new_id("whd"),
                            "subscription_id": subscription.id,
                            "event_id": event.id,
                            "event_type": event.event_type,
                            "body": body,
                            "status": DeliveryStatus.PENDING,
                            "attempts": 0,
                            "next_attempt_at": now,
                            "created_at": now,
                        }
                    )
        connection.execute(
            update(OUTBOX)
            .where(OUTBOX.c.sequence.in_([event.sequence for event in events]))
            .values(dispatched=True)
        )
        if rows:
            connection.execute(insert(DELIVERIES), rows)
    return len(rows)
