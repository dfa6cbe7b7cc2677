"""Sending deliveries on the workers: claim, attempt, record, retry, disable.

The rules, in the order a delivery meets them (dispatch.py creates the rows):

- Order: a subscription's dispatched events go one at a time, oldest first. Such a delivery is
  claimable only when no earlier one of its subscription is still pending (waiting or retrying)
  and none is in flight. A failing endpoint therefore holds its later events back instead of
  receiving them out of order, and costs one request per retry rather than one per queued event.
  Test events and manual redeliveries stand outside the line: they go at once and hold nothing
  back, since checking a failing endpoint is what they are for.
- Claim: a conditional update (`pending`, due and unblocked → `delivering` with a lease token),
  so concurrent workers never send the same attempt twice. Up to `claim_size` deliveries are
  claimed in one transaction: the head of each subscription's line with the in-line deliveries
  right behind it (a run), which the claiming worker then sends one after another. A run stops at
  its first failure and gives back what it did not send, so order holds. No transaction is open
  during the HTTP calls; a worker that dies mid-run leaves leases that expire, and those
  deliveries are sent again (at least once; receivers deduplicate on `webhook-id`).
- Attempt (sending.py): signed POST, redirects not followed, SSRF-checked on the address actually
  connected to; a 2xx within the timeout is success. Every attempt is logged with its result,
  status, duration and the first KiB of the answer. The outcomes of a claimed batch are recorded
  together, in one transaction, once its runs are done.
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
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, or_, select, update

from gateway.app import leases
from gateway.app.database import utcnow
from gateway.app.webhooks.context import WebhookContext
from gateway.app.webhooks.dispatch import dispatch
from gateway.app.webhooks.models import WebhookDelivery, WebhookSubscription
from gateway.app.webhooks.outcomes import Result, record
from gateway.app.webhooks.sending import Claim, Outcome, attempt
from gateway.app.webhooks.states import DELIVERY_STATES, DeliveryStatus

log = logging.getLogger(__name__)
SUBSCRIPTIONS = WebhookSubscription.__table__
DELIVERIES = WebhookDelivery.__table__
WORKER = f"{socket.gethostname()}:{os.getpid()}"
Run = list[Claim]
_pools: dict[int, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


def _in_line(table: Any) -> Any:
    """Deliveries that keep event order: dispatched events, not test events or redeliveries."""
    return and_(table.c.event_type != "webhook.test", table.c.redelivery_of.is_(None))


def _claimable(now: datetime, *, token: str = "", batch: Sequence[int] = ()) -> Any:
    """Pending, due, its subscription enabled, and (for an in-line delivery) not behind an
    unfinished earlier in-line delivery of the same subscription, nor beside one in flight.

    The deliveries of `batch`, claimed together under `token`, do not hold each other up: their
    worker sends them one after another. (SQLite's UPDATE sees the rows it has already changed,
    hence the token; PostgreSQL's sees none of them.) For a batch the status is compared through
    `coalesce`, so that SQLite finds the rows by sequence instead of scanning the due index.
    """
    other = DELIVERIES.alias("other")
    in_flight = [other.c.status == DeliveryStatus.DELIVERING]
    earlier = [other.c.status == DeliveryStatus.PENDING, other.c.sequence < DELIVERIES.c.sequence]
    status: Any = DELIVERIES.c.status
    if batch:
        in_flight.append(other.c.lease_owner != token)
        earlier.append(other.c.sequence.not_in(batch))
        status = func.coalesce(status, "")
    same_line = and_(other.c.subscription_id == DELIVERIES.c.subscription_id, _in_line(other))
    beside = exists().where(same_line, other.c.sequence != DELIVERIES.c.sequence, *in_flight)
    behind = exists().where(same_line, *earlier)
    enabled = exists().where(
        SUBSCRIPTIONS.c.id == DELIVERIES.c.subscription_id, SUBSCRIPTIONS.c.enabled
    )
    return and_(
        DELIVERY_STATES.guard(status, DeliveryStatus.DELIVERING, DeliveryStatus.PENDING),
        DELIVERIES.c.next_attempt_at <= now,
        enabled,
        or_(~_in_line(DELIVERIES), and_(~beside, ~behind)),
    )


def _signing_secrets(row: Any, now: datetime) -> list[str]:
    found = [row.secret]
    expires = row.previous_secret_expires_at
    if row.previous_secret and expires is not None and expires > now:
        found.append(row.previous_secret)
    return found


def _candidates(context: WebhookContext, now: datetime, limit: int) -> list[list[int]]:
    """Runs of sequences to claim: each line's claimable head with the due deliveries behind it,
    and test events and redeliveries alone; the longest-waiting heads first."""
    with context.engine.connect() as connection:
        heads = connection.execute(
            select(DELIVERIES.c.sequence, DELIVERIES.c.subscription_id, _in_line(DELIVERIES))
            .where(_claimable(now))
            .order_by(DELIVERIES.c.next_attempt_at, DELIVERIES.c.sequence)
            .limit(limit)
        ).all()
        lines = {head.subscription_id for head in heads if head[2]}
        per_run = limit // max(1, len(heads))
        behind: dict[str, list[int]] = {}
        if lines and per_run > 1:
            numbered = (
                select(
                    DELIVERIES.c.sequence,
                    DELIVERIES.c.subscription_id,
                    DELIVERIES.c.next_attempt_at,
                    func.row_number()
                    .over(
                        partition_by=DELIVERIES.c.subscription_id,
                        order_by=DELIVERIES.c.sequence,
                    )
                    .label("place"),
                )
                .where(
                    DELIVERIES.c.subscription_id.in_(lines),
                    DELIVERIES.c.status == DeliveryStatus.PENDING,
                    _in_line(DELIVERIES),
                )
                .subquery()
            )
            rows = connection.execute(
                select(numbered)
                .where(numbered.c.place > 1, numbered.c.place <= per_run)
                .order_by(numbered.c.sequence)
            )
            for row in rows:
                line = behind.setdefault(row.subscription_id, [])
                if row.next_attempt_at <= now and len(line) == row.place - 2:
                    line.append(row.sequence)
    return [
        [head.sequence, *(behind.get(head.subscription_id, []) if head[2] else [])]
        for head in heads
    ]


def _claim(context: WebhookContext, runs: list[list[int]]) -> list[Run]:
    """Claim the deliveries of `runs` in one transaction; each run cut before its first miss."""
    now = utcnow()
    token = f"{WORKER}:{secrets.token_hex(6)}"
    batch = [sequence for run in runs for sequence in run]
    with context.engine.begin() as connection:
        taken = leases.claim(
            connection,
            DELIVERIES,
            and_(DELIVERIES.c.sequence.in_(batch), _claimable(now, token=token, batch=batch)),
            token,
            context.lease_seconds,
            now,
            status=DeliveryStatus.DELIVERING,
        )
        if taken == 0:
            return []
        rows = connection.execute(
            select(DELIVERIES, SUBSCRIPTIONS.c.url, SUBSCRIPTIONS.c.secret)
            .add_columns(
                SUBSCRIPTIONS.c.previous_secret, SUBSCRIPTIONS.c.previous_secret_expires_at
            )
            .join(SUBSCRIPTIONS, SUBSCRIPTIONS.c.id == DELIVERIES.c.subscription_id)
            .where(DELIVERIES.c.lease_owner == token)
        ).all()
    claimed = {
        row.sequence: Claim(
            sequence=row.sequence,
            id=row.id,
            token=token,
            subscription_id=row.subscription_id,
            url=row.url,
            body=row.body.encode("utf-8"),
            event_id=row.event_id,
            event_type=row.event_type,
            number=row.attempts + 1,
            signing_secrets=_signing_secrets(row, now),
        )
        for row in rows
    }
    found: list[Run] = []
    stranded: list[Claim] = []
    for run in runs:
        taken = [claimed[sequence] for sequence in run if sequence in claimed]
        cut = next((n for n, sequence in enumerate(run) if sequence not in claimed), len(run))
        if cut:
            found.append(taken[:cut])
        stranded.extend(taken[cut:])
    if stranded:
        record(context, [], stranded)
    return found


def claim(context: WebhookContext, sequence: int) -> Claim | None:
    """Take one delivery for this worker, or None when it is taken, finished, not due or blocked."""
    runs = _claim(context, [[sequence]])
    return runs[0][0] if runs else None


def claim_due(context: WebhookContext, limit: int) -> list[Run]:
    """Claim up to `limit` due deliveries in runs, the longest-waiting heads first."""
    runs = _candidates(context, utcnow(), limit)
    return _claim(context, runs) if runs else []


def _attempt(context: WebhookContext, target: Claim) -> Outcome:
    """One attempt of a claimed delivery, a failure logged."""
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
    return outcome


def deliver(context: WebhookContext, target: Claim) -> str | None:
    """Attempt a claimed delivery and record the outcome; the delivery's new status."""
    return record(context, [(target, _attempt(context, target))], [])[target.sequence]


def deliver_now(context: WebhookContext, delivery_id: str) -> str | None:
    """Send one delivery at once if it is claimable (the queue task behind test and redeliver)."""
    with context.engine.connect() as connection:
        sequence = connection.execute(
            select(DELIVERIES.c.sequence).where(DELIVERIES.c.id == delivery_id)
        ).scalar()
    target = claim(context, sequence) if sequence is not None else None
    return deliver(context, target) if target is not None else None


def _send_run(context: WebhookContext, run: Run, stop_at: float) -> list[Result]:
    """Send a run in order until one fails, or until a further attempt could outlast the lease."""
    results: list[Result] = []
    for target in run:
        if results and (not results[-1][1].succeeded or time.monotonic() > stop_at):
            break
        results.append((target, _attempt(context, target)))
    return results


def _pool(size: int) -> ThreadPoolExecutor:
    """This process's sender threads (kept, so that each keeps its connections)."""
    with _pools_lock:
        if size not in _pools:
            _pools[size] = ThreadPoolExecutor(size, thread_name_prefix="webhook")
        return _pools[size]


def send_runs(context: WebhookContext, runs: list[Run]) -> int:
    """Send claimed runs (in parallel across runs), then record every outcome at once."""
    stop_at = time.monotonic() + context.lease_seconds - 2 * context.timeout_seconds
    if len(runs) == 1:
        done = [_send_run(context, runs[0], stop_at)]
    else:
        done = list(
            _pool(context.parallelism).map(lambda run: _send_run(context, run, stop_at), runs)
        )
    results = [result for sent in done for result in sent]
    unsent = [target for run, sent in zip(runs, done, strict=True) for target in run[len(sent) :]]
    record(context, results, unsent)
    return len(results)


def reap(context: WebhookContext) -> int:
    """Put deliveries whose worker died mid-call back in line (their lease ran out)."""
    now = utcnow()
    expired = and_(
        DELIVERY_STATES.guard(
            DELIVERIES.c.status, DeliveryStatus.PENDING, DeliveryStatus.DELIVERING
        ),
        DELIVERIES.c.lease_expires_at < now,
    )
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
            .values(status=DeliveryStatus.PENDING, **leases.RELEASED, next_attempt_at=now)
        )
    return result.rowcount


def sweep(context: WebhookContext, *, budget_seconds: float = 10.0) -> int:
    """One round of the worker loop: reap, dispatch, then send due deliveries in batches,
    dispatching more of the outbox whenever nothing is left to send (rather than a round later)."""
    reap(context)
    dispatch(context)
    sent = 0
    deadline = time.monotonic() + budget_seconds
    while time.monotonic() < deadline:
        runs = claim_due(context, context.claim_size)
        if runs:
            sent += send_runs(context, runs)
        elif not dispatch(context):
            break
    return sent
