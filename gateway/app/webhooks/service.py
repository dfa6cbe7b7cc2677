"""Webhook subscriptions: the input rules, ownership, secrets, test events and redeliveries.

A subscription belongs to the API key (or operator) that created it. Callers see and change only
their own; admins see all. The API and the admin page both come through here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import Session

from gateway.app import validation as v
from gateway.app.audit import service as audit
from gateway.app.audit.service import Actor
from gateway.app.database import utcnow
from gateway.app.errors import Conflict, NotFound, ValidationFailed
from gateway.app.events import service as events
from gateway.app.events.models import OutboxEvent
from gateway.app.pagination import Keyset
from gateway.app.webhooks import signing, ssrf
from gateway.app.webhooks.models import (
    UNFINISHED,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from gateway.app.webhooks.outcomes import cancel_queued
from gateway.app.webhooks.presenter import envelope_json, to_dict

WILDCARD = "*"
EVENT_CHOICES = (WILDCARD, *events.EVENT_TYPES)
SECRET_OVERLAP = timedelta(hours=24)
MAX_DESCRIPTION_LENGTH = 500
SOURCES = ("api", "zapier", "ui")


@dataclass(frozen=True)
class Owner:
    """Who is acting on subscriptions: their key (or operator) and whether they may see all."""

    actor: Actor
    api_key_id: str | None = None
    sees_all: bool = False

    @property
    def operator_id(self) -> str | None:
        return self.actor.id if self.actor.kind == "operator" else None


@dataclass(frozen=True)
class SubscriptionInput:
    url: str
    events: list[str]
    description: str
    source: str


def parse_events(value: object, field: str = "events") -> list[str]:
    """Event types, de-duplicated in order; `*` alone stands for every event."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise ValidationFailed(f"{field} must be a non-empty list", {field: "is required"})
    chosen: list[str] = []
    for item in value:
        v.choice(item, field, EVENT_CHOICES)
        if item not in chosen:
            chosen.append(item)
    return [WILDCARD] if WILDCARD in chosen else chosen


def parse_url(value: object, networks: tuple[str, ...], field: str = "url") -> str:
    """A target URL that passes the SSRF rules now (deliveries check again on connect)."""
    url = v.clean_text(value, field, max_length=ssrf.MAX_URL_LENGTH, required=True)
    try:
        ssrf.check_target(url, networks)
    except ssrf.TargetRefused as refused:
        raise ValidationFailed(f"{field} {refused}", {field: str(refused)}) from None
    return url


def parse_description(value: object) -> str:
    return v.clean_text(value, "description", max_length=MAX_DESCRIPTION_LENGTH)


def parse_create(body: object, networks: tuple[str, ...]) -> SubscriptionInput:
    """`{url, events, description?}`, or Zapier's REST-hook form `{target_url, event}`."""
    body = v.require_object(body)
    if "target_url" in body:
        if "url" in body or "events" in body:
            raise ValidationFailed(
                "send either {url, events} or Zapier's {target_url, event}, not both",
                {"target_url": "cannot be combined with url or events"},
            )
        return SubscriptionInput(
            url=parse_url(body.get("target_url"), networks, "target_url"),
            events=parse_events(body.get("event"), "event"),
            description=parse_description(body.get("description") or "Zapier REST hook"),
            source="zapier",
        )
    return SubscriptionInput(
        url=parse_url(body.get("url"), networks),
        events=parse_events(body.get("events")),
        description=parse_description(body.get("description")),
        source="api",
    )


def parse_update(body: object, networks: tuple[str, ...]) -> dict[str, Any]:
    """The fields a PATCH may change: url, events, description, enabled."""
    body = v.require_object(body)
    v.refuse_unknown(body, {"url", "events", "description", "enabled"})
    changes: dict[str, Any] = {}
    if "url" in body:
        changes["url"] = parse_url(body["url"], networks)
    if "events" in body:
        changes["events"] = parse_events(body["events"])
    if "description" in body:
        changes["description"] = parse_description(body["description"])
    if "enabled" in body:
        if not isinstance(body["enabled"], bool):
            raise ValidationFailed("enabled must be true or false", {"enabled": "must be boolean"})
        changes["enabled"] = body["enabled"]
    return changes


def _visible(owner: Owner) -> ColumnElement[bool]:
    if owner.sees_all:
        return true()
    if owner.api_key_id:
        return WebhookSubscription.api_key_id == owner.api_key_id
    return WebhookSubscription.operator_id == (owner.operator_id or "")


def create(session: Session, data: SubscriptionInput, owner: Owner) -> WebhookSubscription:
    """Store a subscription with a fresh secret (the caller shows it once)."""
    subscription = WebhookSubscription(
        url=data.url,
        events=data.events,
        description=data.description,
        secret=signing.new_secret(),
        source=data.source,
        api_key_id=owner.api_key_id,
        operator_id=owner.operator_id,
        created_by=owner.actor.name,
    )
    session.add(subscription)
    session.flush()
    details = {"url": data.url, "events": data.events, "source": data.source}
    _commit_audited(session, owner, subscription, "created", details)
    return subscription


def _commit_audited(
    session: Session,
    owner: Owner,
    subscription: WebhookSubscription,
    action: str,
    details: dict[str, Any] | None = None,
) -> None:
    """Record `action` on the subscription in the audit log and commit it with the change."""
    audit.record(
        session,
        owner.actor,
        entity_type="webhook",
        entity_id=subscription.id,
        action=action,
        details=details,
    )
    session.commit()


SUBSCRIPTIONS_BY_CREATED = Keyset(WebhookSubscription.created_at, WebhookSubscription.id)


def subscriptions_query(owner: Owner) -> Any:
    """`select(WebhookSubscription)` of what `owner` may see (everything, for an admin)."""
    return select(WebhookSubscription).where(_visible(owner))


def list_subscriptions(session: Session, owner: Owner) -> list[WebhookSubscription]:
    """Every subscription `owner` may see, newest first (v1's list)."""
    query = SUBSCRIPTIONS_BY_CREATED.ordered(subscriptions_query(owner))
    return list(session.scalars(query))


def get(session: Session, owner: Owner, subscription_id: str) -> WebhookSubscription:
    """The subscription, or 404 when it does not exist or belongs to someone else."""
    found = None
    if v.looks_like_id(subscription_id):
        found = session.scalar(
            select(WebhookSubscription).where(
                WebhookSubscription.id == subscription_id, _visible(owner)
            )
        )
    if found is None:
        raise NotFound(
            f"webhook {subscription_id!r} not found", details={"webhook_id": subscription_id}
        )
    return found


def _cancel_pending(session: Session, subscription_id: str) -> None:
    session.execute(
        cancel_queued(subscription_id, utcnow()).execution_options(synchronize_session=False)
    )


def update_subscription(
    session: Session, subscription: WebhookSubscription, changes: dict[str, Any], owner: Owner
) -> WebhookSubscription:
    """Apply a PATCH. Disabling cancels what is queued; enabling clears the failure record."""
    for name, value in changes.items():
        setattr(subscription, name, value)
    if changes.get("enabled") is True:
        subscription.disabled_reason = None
        subscription.disabled_at = None
        subscription.failing_since = None
    elif changes.get("enabled") is False and subscription.disabled_at is None:
        subscription.disabled_reason = f"disabled by {owner.actor.name}"
        subscription.disabled_at = utcnow()
        _cancel_pending(session, subscription.id)
    _commit_audited(session, owner, subscription, "updated", changes)
    return subscription


def delete(session: Session, subscription: WebhookSubscription, owner: Owner) -> None:
    session.delete(subscription)
    _commit_audited(session, owner, subscription, "deleted", {"url": subscription.url})


def rotate_secret(
    session: Session, subscription: WebhookSubscription, owner: Owner
) -> WebhookSubscription:
    """A new secret; the current one keeps signing beside it for 24 hours, an older one stops."""
    subscription.previous_secret = subscription.secret
    subscription.previous_secret_expires_at = utcnow() + SECRET_OVERLAP
    subscription.secret = signing.new_secret()
    _commit_audited(session, owner, subscription, "rotated")
    return subscription


def _require_enabled(subscription: WebhookSubscription) -> None:
    if not subscription.enabled:
        raise Conflict(
            "this webhook is disabled; enable it first",
            details={
                "webhook_id": subscription.id,
                "disabled_reason": subscription.disabled_reason,
            },
        )


def send_test(session: Session, subscription: WebhookSubscription) -> WebhookDelivery:
    """Queue a `webhook.test` event for this subscription only; its data is the subscription."""
    _require_enabled(subscription)
    event_id = events.emit(session, "webhook.test", to_dict(subscription))
    event = session.scalars(select(OutboxEvent).where(OutboxEvent.id == event_id)).one()
    event.dispatched = True
    delivery = WebhookDelivery(
        subscription_id=subscription.id,
        event_id=event.id,
        event_type=event.event_type,
        body=envelope_json(event),
        next_attempt_at=utcnow(),
    )
    session.add(delivery)
    session.commit()
    return delivery


def get_delivery(
    session: Session, subscription: WebhookSubscription, delivery_id: str
) -> WebhookDelivery:
    found = None
    if v.looks_like_id(delivery_id):
        found = session.scalar(
            select(WebhookDelivery).where(
                WebhookDelivery.id == delivery_id,
                WebhookDelivery.subscription_id == subscription.id,
            )
        )
    if found is None:
        raise NotFound(f"delivery {delivery_id!r} not found", details={"delivery_id": delivery_id})
    return found


def redeliver(
    session: Session, subscription: WebhookSubscription, delivery_id: str
) -> WebhookDelivery:
    """Queue the same event (same body and webhook-id) again, as a new delivery."""
    _require_enabled(subscription)
    original = get_delivery(session, subscription, delivery_id)
    if original.status in UNFINISHED:
        raise Conflict(
            f"delivery {delivery_id!r} is still {original.status}",
            details={"delivery_id": delivery_id, "status": original.status},
        )
    again = WebhookDelivery(
        subscription_id=subscription.id,
        event_id=original.event_id,
        event_type=original.event_type,
        body=original.body,
        next_attempt_at=utcnow(),
        redelivery_of=original.id,
    )
    session.add(again)
    session.commit()
    return again


def list_deliveries(
    session: Session, subscription: WebhookSubscription, *, limit: int, status: str | None = None
) -> list[tuple[WebhookDelivery, list[WebhookAttempt]]]:
    """The newest deliveries first, each with its attempts in order (v1's list)."""
    query = deliveries_query(subscription, status=status)
    deliveries = list(session.scalars(BY_SEQUENCE.ordered(query).limit(limit)))
    return with_attempts(session, deliveries)


BY_SEQUENCE = Keyset(WebhookDelivery.sequence, WebhookDelivery.id)


def deliveries_query(subscription: WebhookSubscription, *, status: str | None = None) -> Any:
    query = select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription.id)
    if status:
        query = query.where(WebhookDelivery.status == status)
    return query


def with_attempts(
    session: Session, deliveries: Sequence[WebhookDelivery]
) -> list[tuple[WebhookDelivery, list[WebhookAttempt]]]:
    """Each delivery with its attempts in order, in two queries."""
    attempts: dict[str, list[WebhookAttempt]] = {d.id: [] for d in deliveries}
    if deliveries:
        rows = session.scalars(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id.in_(list(attempts)))
            .order_by(WebhookAttempt.id)
        )
        for attempt in rows:
            attempts[attempt.delivery_id].append(attempt)
    return [(delivery, attempts[delivery.id]) for delivery in deliveries]
