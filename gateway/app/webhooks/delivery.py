"""Sending deliveries on the workers: claim, attempt, record, retry, disable.

The rules, in the order a delivery meets them (dispatch.py creates the rows):

- Order: a subscription's dispatched events go one at a time, oldest first. Such a delivery is
  claimable only when no earlier one of its subscription is still pending (waiting or retrying)
  and none is in flight. A failing endpoint therefore holds its later events back instead of
  receiving them out of order, and costs one request per retry rather than one per queued event.
  Test events and manual redeliveries stand outside the line: they go at once and hold nothing
  back, since checking a failing endpoint is what they are for.
- Claim: a conditional update (`pending`, due and unblocked → `delivering` with a lease token),
  so concurrent workers never send the same attempt twice. No transaction is open during the HTTP
  call; a worker that dies mid-call leaves a lease that expires, and the delivery is sent again
  (at least once; receivers deduplicate on `webhook-id`).
- Attempt (sending.py): signed POST, redirects not followed, SSRF-checked on the address actually
  connected to; a 2xx within the timeout is success. Every attempt is logged with its result,
  status, duration and the first KiB of the answer.
- Retry: after failed attempt n the next waits WEBHOOK_RETRY_SCHEDULE[n-1] seconds ±20 % jitter,
  or what Retry-After says on a 429/503 (capped at the schedule's longest step); when the
  schedule is used up the delivery is `failed`.
- Disable: 410 Gone disables the subscription at once; so does a failed attempt when every
  attempt since the last success has failed for WEBHOOK_DISABLE_AFTER_HOURS. Disabling cancels the
  subscription's queued deliveries.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, insert, or_, select, update

from gateway.app import metrics
from gateway.app.database import isoformat, utcnow
from gateway.app.webhooks.context import WebhookContext
from gateway.app.webhooks.dispatch import dispatch
from gateway.app.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from gateway.app.webhooks.sending import EXCERPT_BYTES, Claim, Outcome, attempt, clip, retry_delay

log = logging.getLogger(__name__)
SUBSCRIPTIONS = WebhookSubscription.__table__
DELIVERIES = WebhookDelivery.__table__
ATTEMPTS = WebhookAttempt.__table__
WORKER = f"{socket.gethostname()}:{os.getpid()}"


def _in_line(table: Any) -> Any:
    """Deliveries that keep event order: dispatched events, not test events or redeliveries."""
    return and_(table.c.event_type != "webhook.test", table.c.redelivery_of.is_(None))


def _claimable(now: datetime) -> Any:
    """Pending, due, its subscription enabled, and (for an in-line delivery) not behind an
    unfinished earlier in-line delivery of the same subscription, nor beside one in flight."""
    other = DELIVERIES.alias("other")
    blocking = exists().where(
        other.c.subscription_id == DELIVERIES.c.subscription_id,
        other.c.sequence != DELIVERIES.c.sequence,
        _in_line(other),
        or_(
            other.c.status == "delivering",
            and_(other.c.status == "pending", other.c.sequence < DELIVERIES.c.sequence),
        ),
    )
    enabled = exists().where(
        SUBSCRIPTIONS.c.id == DELIVERIES.c.subscription_id, SUBSCRIPTIONS.c.enabled
    )
    return and_(
        DELIVERIES.c.status == "pending",
        DELIVERIES.c.next_attempt_at <= now,
        enabled,
        or_(~_in_line(DELIVERIES), ~blocking),
    )


def _signing_secrets(row: Any, now: datetime) -> list[str]:
    found = [row.secret]
    expires = row.previous_secret_expires_at
    if row.previous_secret and expires is not None and expires > now:
        found.append(row.previous_secret)
    return found


def claim(context: WebhookContext, sequence: int) -> Claim | None:
    """Take one delivery for this worker, or None when it is taken, finished, not due or blocked."""
    now = utcnow()
    token = f"{WORKER}:{secrets.token_hex(6)}"
    with context.engine.begin() as connection:
        result = connection.execute(
            update(DELIVERIES)
            .where(DELIVERIES.c.sequence == sequence, _claimable(now))
            .values(
                status="delivering",
                lease_owner=token,
                lease_expires_at=now + timedelta(seconds=context.lease_seconds),
            )
        )
        if result.rowcount != 1:
            return None
        row = connection.execute(
            select(DELIVERIES, SUBSCRIPTIONS.c.url, SUBSCRIPTIONS.c.secret)
            .add_columns(
                SUBSCRIPTIONS.c.previous_secret, SUBSCRIPTIONS.c.previous_secret_expires_at
            )
            .join(SUBSCRIPTIONS, SUBSCRIPTIONS.c.id == DELIVERIES.c.subscription_id)
            .where(DELIVERIES.c.sequence == sequence)
        ).one()
    return Claim(
        sequence=row.sequence,
        id=row.id,
        token=token,
        subscription_id=row.subscription_id,
        url=row.url,
        body=row.body,
        event_id=row.event_id,
        event_type=row.event_type,
        number=row.attempts + 1,
        signing_secrets=_signing_secrets(row, now),
    )


def claim_due(context: WebhookContext, limit: int) -> list[Claim]:
    """Claim up to `limit` due deliveries, the longest-waiting first."""
    now = utcnow()
    with context.engine.connect() as connection:
        candidates = connection.execute(
            select(DELIVERIES.c.sequence)
            .where(_claimable(now))
            .order_by(DELIVERIES.c.next_attempt_at, DELIVERIES.c.sequence)
            .limit(limit)
        ).scalars()
        sequences = list(candidates)
    return [found for sequence in sequences if (found := claim(context, sequence)) is not None]


def _streak_start(
    context: WebhookContext, subscription: Any, attempt_started: datetime, now: datetime
) -> datetime:
    """When the current run of failures began.

    A quiet spell longer than twice the longest retry step (no attempts at all, so nothing failed)
    ends a run: an endpoint that failed once last week and once today has not been failing all
    week, and must not be disabled for it.
    """
    quiet = timedelta(seconds=2 * max(context.retry_schedule))
    if (
        subscription is None
        or subscription.failing_since is None
        or subscription.last_failure_at is None
        or now - subscription.last_failure_at > quiet
    ):
        return attempt_started
    return subscription.failing_since


def _disable_reason(
    context: WebhookContext, outcome: Outcome, failing_since: datetime, now: datetime
) -> str | None:
    if outcome.status_code == 410:
        return "the endpoint answered 410 Gone"
    if now - failing_since >= context.disable_after:
        hours = context.disable_after.total_seconds() / 3600
        return f"every attempt failed for {hours:g} hours (since {isoformat(failing_since)})"
    return None


def finish(context: WebhookContext, target: Claim, outcome: Outcome) -> str | None:
    """Log the attempt and move the delivery on; the delivery's new status (None: lease lost)."""
    now = utcnow()
    owned = and_(
        DELIVERIES.c.sequence == target.sequence,
        DELIVERIES.c.lease_owner == target.token,
        DELIVERIES.c.status == "delivering",
    )
    subscription_row = SUBSCRIPTIONS.c.id == target.subscription_id
    with context.writer.begin() as connection:
        if connection.execute(select(DELIVERIES.c.id).where(DELIVERIES.c.id == target.id)).first():
            connection.execute(
                insert(ATTEMPTS).values(
                    delivery_id=target.id,
                    number=target.number,
                    started_at=outcome.started_at,
                    duration_ms=round(outcome.duration * 1000),
                    result=outcome.result,
                    status_code=outcome.status_code,
                    error=clip(outcome.error, 500),
                    response_excerpt=clip(outcome.excerpt, EXCERPT_BYTES),
                )
            )
        if outcome.succeeded:
            connection.execute(
                update(SUBSCRIPTIONS)
                .where(subscription_row)
                .values(failing_since=None, last_success_at=now)
            )
            status, next_at, disabled = "succeeded", None, None
        else:
            subscription = connection.execute(
                select(SUBSCRIPTIONS.c.failing_since, SUBSCRIPTIONS.c.last_failure_at).where(
                    subscription_row
                )
            ).first()
            failing_since = _streak_start(context, subscription, outcome.started_at, now)
            disabled = _disable_reason(context, outcome, failing_since, now)
            connection.execute(
                update(SUBSCRIPTIONS)
                .where(subscription_row)
                .values(failing_since=failing_since, last_failure_at=now)
            )
            delay = retry_delay(target.number, context.retry_schedule, outcome.retry_after)
            if disabled is None and delay is not None:
                status, next_at = "pending", now + timedelta(seconds=delay)
            else:
                status, next_at = "failed", None
        moved = connection.execute(
            update(DELIVERIES)
            .where(owned)
            .values(
                status=status,
                attempts=DELIVERIES.c.attempts + 1,
                next_attempt_at=next_at or DELIVERIES.c.next_attempt_at,
                completed_at=None if status == "pending" else now,
                lease_owner=None,
                lease_expires_at=None,
                last_status_code=outcome.status_code,
                last_error=clip(outcome.error, 500),
            )
        )
        if disabled is not None:
            _disable(connection, target.subscription_id, disabled, now)
    metrics.WEBHOOK_DELIVERIES.labels(result=outcome.result).inc()
    metrics.WEBHOOK_DELIVERY_DURATION.observe(outcome.duration)
    if disabled is not None:
        log.warning("webhook %s disabled: %s", target.subscription_id, disabled)
    return status if moved.rowcount == 1 else None


def _disable(connection: Any, subscription_id: str, reason: str, now: datetime) -> None:
    connection.execute(
        update(SUBSCRIPTIONS)
        .where(SUBSCRIPTIONS.c.id == subscription_id, SUBSCRIPTIONS.c.enabled)
        .values(enabled=False, disabled_reason=reason, disabled_at=now, updated_at=now)
    )
    connection.execute(
        update(DELIVERIES)
        .where(DELIVERIES.c.subscription_id == subscription_id, DELIVERIES.c.status == "pending")
        .values(status="cancelled", completed_at=now, last_error="subscription disabled")
    )


def deliver(context: WebhookContext, target: Claim) -> str | None:
    """Attempt a claimed delivery and record the outcome; the delivery's new status."""
    outcome = attempt(
        target,
        networks=context.networks,
        timeout=context.timeout_seconds,
        retry_after_cap=max(context.retry_schedule, default=0.0),
    )
    if not outcome.succeeded:
        log.info(
            "webhook delivery %s attempt %d: %s",
            target.id,
            target.number,
            outcome.error or outcome.result,
        )
    return finish(context, target, outcome)


def deliver_now(context: WebhookContext, delivery_id: str) -> str | None:
    """Send one delivery at once if it is claimable (the queue task behind test and redeliver)."""
    with context.engine.connect() as connection:
        sequence = connection.execute(
            select(DELIVERIES.c.sequence).where(DELIVERIES.c.id == delivery_id)
        ).scalar()
    target = claim(context, sequence) if sequence is not None else None
    return deliver(context, target) if target is not None else None


def reap(context: WebhookContext) -> int:
    """Put deliveries whose worker died mid-call back in line (their lease ran out)."""
    now = utcnow()
    expired = and_(DELIVERIES.c.status == "delivering", DELIVERIES.c.lease_expires_at < now)
    with context.engine.connect() as connection:
        if (
            connection.execute(select(DELIVERIES.c.sequence).where(expired).limit(1)).first()
            is None
        ):
            return 0  # the common case, answered without taking SQLite's write lock
    with context.engine.begin() as connection:
        result = connection.execute(
            update(DELIVERIES)
            .where(expired)
            .values(status="pending", lease_owner=None, lease_expires_at=None, next_attempt_at=now)
        )
    return result.rowcount


def sweep(context: WebhookContext, *, budget_seconds: float = 10.0) -> int:
    """One round of the worker loop: reap, dispatch, then send due deliveries in parallel."""
    reap(context)
    dispatch(context)
    sent = 0
    deadline = time.monotonic() + budget_seconds
    while time.monotonic() < deadline:
        claims = claim_due(context, context.parallelism)
        if not claims:
            break
        if len(claims) == 1:
            deliver(context, claims[0])
        else:
            with ThreadPoolExecutor(len(claims), thread_name_prefix="webhook") as pool:
                list(pool.map(lambda target: deliver(context, target), claims))
        sent += len(claims)
    return sent
