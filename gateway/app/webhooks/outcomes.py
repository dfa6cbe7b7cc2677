"""Recording a batch of attempts: the attempt log, each delivery's next state, each
subscription's failure streak and, when the rules say so, its disabling (delivery.py states the
rules). One transaction per batch, whatever its size.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Update, bindparam, func, insert, select, update

from gateway.app import leases, metrics
from gateway.app.database import isoformat, utcnow
from gateway.app.webhooks.context import WebhookContext
from gateway.app.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from gateway.app.webhooks.sending import EXCERPT_BYTES, Claim, Outcome, clip, retry_delay
from gateway.app.webhooks.states import ATTEMPT_OUTCOMES, DELIVERY_STATES, DeliveryStatus

log = logging.getLogger(__name__)
SUBSCRIPTIONS = WebhookSubscription.__table__
DELIVERIES = WebhookDelivery.__table__
ATTEMPTS = WebhookAttempt.__table__
Result = tuple[Claim, Outcome]


def _streak_start(
    context: WebhookContext,
    failing_since: datetime | None,
    last_failure_at: datetime | None,
    attempt_started: datetime,
    now: datetime,
) -> datetime:
    """When the current run of failures began.

    A quiet spell longer than twice the longest retry step (no attempts at all, so nothing failed)
    ends a run: an endpoint that failed once last week and once today has not been failing all
    week, and must not be disabled for it.
    """
    quiet = timedelta(seconds=2 * max(context.retry_schedule))
    if failing_since is None or last_failure_at is None or now - last_failure_at > quiet:
        return attempt_started
    return failing_since


def _disable_reason(
    context: WebhookContext, outcome: Outcome, failing_since: datetime, now: datetime
) -> str | None:
    if outcome.status_code == 410:
        return "the endpoint answered 410 Gone"
    if now - failing_since >= context.disable_after:
        hours = context.disable_after.total_seconds() / 3600
        return f"every attempt failed for {hours:g} hours (since {isoformat(failing_since)})"
    return None


@dataclass
class _Health:
    """A subscription's failure streak as this batch's outcomes move it along."""

    failing_since: datetime | None
    last_failure_at: datetime | None
    succeeded: bool = False
    failed: bool = False
    disabled: str | None = None


def _judge(
    context: WebhookContext, results: list[Result], health: dict[str, _Health], now: datetime
) -> list[dict[str, Any]]:
    """Each result's new delivery values, in attempt order, moving each subscription's streak."""
    changes = []
    for target, outcome in sorted(results, key=lambda result: result[1].started_at):
        state = health[target.subscription_id]
        if outcome.succeeded:
            state.failing_since, state.succeeded = None, True
            status, next_at = DeliveryStatus.SUCCEEDED, None
        else:
            state.failing_since = _streak_start(
                context, state.failing_since, state.last_failure_at, outcome.started_at, now
            )
            state.last_failure_at, state.failed = now, True
            reason = _disable_reason(context, outcome, state.failing_since, now)
            state.disabled = state.disabled or reason
            delay = retry_delay(target.number, context.retry_schedule, outcome.retry_after)
            if reason is None and delay is not None:
                status, next_at = DeliveryStatus.PENDING, now + timedelta(seconds=delay)
            else:
                status, next_at = DeliveryStatus.FAILED, None
        changes.append(
            {
                "k_sequence": target.sequence,
                "k_token": target.token,
                "k_status": status,
                "k_next": next_at,
                "k_completed": None if status == DeliveryStatus.PENDING else now,
                "k_code": outcome.status_code,
                "k_error": clip(outcome.error, 500),
            }
        )
    return changes


RECORD_OUTCOME = (
    update(DELIVERIES)
    .where(
        DELIVERIES.c.sequence == bindparam("k_sequence"),
        DELIVERIES.c.lease_owner == bindparam("k_token"),
        DELIVERY_STATES.guard(DELIVERIES.c.status, ATTEMPT_OUTCOMES, DeliveryStatus.DELIVERING),
    )
    .values(
        status=bindparam("k_status"),
        attempts=DELIVERIES.c.attempts + 1,
        next_attempt_at=func.coalesce(
            bindparam("k_next", type_=DELIVERIES.c.next_attempt_at.type),
            DELIVERIES.c.next_attempt_at,
        ),
        completed_at=bindparam("k_completed", type_=DELIVERIES.c.completed_at.type),
        **leases.RELEASED,
        last_status_code=bindparam("k_code"),
        last_error=bindparam("k_error"),
    )
)


def record(
    context: WebhookContext, results: list[Result], unsent: list[Claim]
) -> dict[int, str | None]:
    """Log the attempts, move their deliveries on and give back `unsent`, in one transaction;
    each attempted delivery's new status (None: its lease was lost)."""
    now = utcnow()
    statuses: dict[int, str | None] = {target.sequence: None for target, _ in results}
    with context.writer.begin() as connection:
        for target in unsent:
            connection.execute(
                update(DELIVERIES)
                .where(
                    DELIVERIES.c.sequence == target.sequence,
                    DELIVERIES.c.lease_owner == target.token,
                    DELIVERY_STATES.guard(
                        DELIVERIES.c.status, DeliveryStatus.PENDING, DeliveryStatus.DELIVERING
                    ),
                )
                .values(status=DeliveryStatus.PENDING, **leases.RELEASED)
            )
        if not results:
            return statuses
        sequences = [target.sequence for target, _ in results]
        current = connection.execute(
            select(DELIVERIES.c.sequence, DELIVERIES.c.lease_owner, DELIVERIES.c.status)
            .where(DELIVERIES.c.sequence.in_(sequences))
            .with_for_update()
        ).all()
        owners = {
            row.sequence: row.lease_owner
            for row in current
            if row.status == DeliveryStatus.DELIVERING
        }
        attempts = [
            {
                "delivery_id": target.id,
                "number": target.number,
                "started_at": outcome.started_at,
                "duration_ms": round(outcome.duration * 1000),
                "result": outcome.result,
                "status_code": outcome.status_code,
                "error": clip(outcome.error, 500),
                "response_excerpt": clip(outcome.excerpt, EXCERPT_BYTES),
            }
            for target, outcome in results
            if target.sequence in {row.sequence for row in current}
        ]
        if attempts:
            connection.execute(insert(ATTEMPTS), attempts)
        subscription_ids = {target.subscription_id for target, _ in results}
        health = {
            row.id: _Health(row.failing_since, row.last_failure_at)
            for row in connection.execute(
                select(
                    SUBSCRIPTIONS.c.id,
                    SUBSCRIPTIONS.c.failing_since,
                    SUBSCRIPTIONS.c.last_failure_at,
                ).where(SUBSCRIPTIONS.c.id.in_(subscription_ids))
            )
        }
        for missing in subscription_ids - health.keys():
            health[missing] = _Health(None, None)
        changes = _judge(context, results, health, now)
        owned = [
            change for change in changes if owners.get(change["k_sequence"]) == change["k_token"]
        ]
        if owned:
            connection.execute(RECORD_OUTCOME, owned)
        for change in owned:
            statuses[change["k_sequence"]] = change["k_status"]
        for subscription_id, state in health.items():
            values: dict[str, Any] = {"failing_since": state.failing_since}
            if state.succeeded:
                values["last_success_at"] = now
            if state.failed:
                values["last_failure_at"] = now
            connection.execute(
                update(SUBSCRIPTIONS).where(SUBSCRIPTIONS.c.id == subscription_id).values(**values)
            )
            if state.disabled is not None:
                _disable(connection, subscription_id, state.disabled, now)
    for _, outcome in results:
        metrics.WEBHOOK_DELIVERIES.labels(result=outcome.result).inc()
        metrics.WEBHOOK_DELIVERY_DURATION.observe(outcome.duration)
    for subscription_id, state in health.items():
        if state.disabled is not None:
            log.warning("webhook %s disabled: %s", subscription_id, state.disabled)
    return statuses


def _disable(connection: Any, subscription_id: str, reason: str, now: datetime) -> None:
    connection.execute(
        update(SUBSCRIPTIONS)
        .where(SUBSCRIPTIONS.c.id == subscription_id, SUBSCRIPTIONS.c.enabled)
        .values(enabled=False, disabled_reason=reason, disabled_at=now, updated_at=now)
    )
    connection.execute(cancel_queued(subscription_id, now))


def cancel_queued(subscription_id: str, now: datetime) -> Update:
    """The statement that drops a disabled subscription's queue (its pending deliveries)."""
    return (
        update(DELIVERIES)
        .where(
            DELIVERIES.c.subscription_id == subscription_id,
            DELIVERY_STATES.guard(
                DELIVERIES.c.status, DeliveryStatus.CANCELLED, DeliveryStatus.PENDING
            ),
        )
        .values(
            status=DeliveryStatus.CANCELLED, completed_at=now, last_error="subscription disabled"
        )
    )
