"""The shapes the webhooks feature shows: subscriptions, deliveries, and the delivery body."""

from __future__ import annotations

import json
from typing import Any

from gateway.app.database import isoformat, utcnow
from gateway.app.events import service as events
from gateway.app.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from gateway.app.webhooks.states import DeliveryStatus


def envelope_json(event: Any) -> str:
    """The delivery body of an outbox event (a model or a row): the contract's envelope as
    compact ASCII JSON, stored once and signed on every attempt."""
    return json.dumps(events.envelope(event), separators=(",", ":"))


def state(subscription: WebhookSubscription) -> str:
    """`active`, `failing` (failed since the last success, not yet disabled) or `disabled`."""
    if not subscription.enabled:
        return "disabled"
    return "failing" if subscription.failing_since else "active"


def to_dict(subscription: WebhookSubscription) -> dict[str, Any]:
    """The API's shape of a subscription; the secret is never part of it."""
    rotating_until = subscription.previous_secret_expires_at
    if rotating_until is not None and rotating_until <= utcnow():
        rotating_until = None
    return {
        "id": subscription.id,
        "url": subscription.url,
        "events": subscription.events,
        "description": subscription.description,
        "enabled": subscription.enabled,
        "state": state(subscription),
        "disabled_reason": subscription.disabled_reason,
        "disabled_at": isoformat(subscription.disabled_at),
        "failing_since": isoformat(subscription.failing_since),
        "last_success_at": isoformat(subscription.last_success_at),
        "last_failure_at": isoformat(subscription.last_failure_at),
        "previous_secret_expires_at": isoformat(rotating_until),
        "source": subscription.source,
        "api_key_id": subscription.api_key_id,
        "created_by": subscription.created_by,
        "created_at": isoformat(subscription.created_at),
        "updated_at": isoformat(subscription.updated_at),
    }


def with_secret(subscription: WebhookSubscription) -> dict[str, Any]:
    """The subscription plus its secret: the answer to create and rotate only."""
    return {**to_dict(subscription), "secret": subscription.secret}


def attempt_to_dict(attempt: WebhookAttempt) -> dict[str, Any]:
    return {
        "number": attempt.number,
        "started_at": isoformat(attempt.started_at),
        "duration_ms": attempt.duration_ms,
        "result": attempt.result,
        "status_code": attempt.status_code,
        "error": attempt.error,
        "response_excerpt": attempt.response_excerpt,
    }


def delivery_to_dict(delivery: WebhookDelivery, attempts: list[WebhookAttempt]) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "webhook_id": delivery.subscription_id,
        "event_id": delivery.event_id,
        "event_type": delivery.event_type,
        "status": delivery.status,
        "attempt_count": delivery.attempts,
        "next_attempt_at": isoformat(delivery.next_attempt_at)
        if delivery.status == DeliveryStatus.PENDING
        else None,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "redelivery_of": delivery.redelivery_of,
        "created_at": isoformat(delivery.created_at),
        "completed_at": isoformat(delivery.completed_at),
        "attempts": [attempt_to_dict(attempt) for attempt in attempts],
    }
