"""Publication rows under a worker's lease: which are due, claiming one, and saving its steps.

Work is leased like generation jobs (`leases.claim`): a claim is a conditional update; every save
is conditional on still holding the lease, so a worker whose lease was taken over stops without
writing; only a dead worker's expired lease makes the publication due again.
"""

from __future__ import annotations

import os
import socket
import threading
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, func, or_, select, update

from gateway.app import leases
from gateway.app.database import utcnow
from gateway.app.publishing.context import PublishingContext
from gateway.app.publishing.models import Publication
from gateway.app.publishing.states import ACTIVE, PUBLICATION_STATES

PUBLICATIONS = Publication.__table__
WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"


class LeaseLost(Exception):
    """Another worker owns the publication now (our lease expired); stop without writing."""


def owner() -> str:
    """This worker thread's lease owner name."""
    return f"{WORKER_ID}:{threading.get_ident()}"


def _claimable(now: Any) -> Any:
    """Active, due, and not held by a live lease."""
    return and_(
        PUBLICATIONS.c.status.in_([str(status) for status in ACTIVE]),
        PUBLICATIONS.c.next_attempt_at <= now,
        or_(PUBLICATIONS.c.lease_owner.is_(None), PUBLICATIONS.c.lease_expires_at < now),
    )


def claim(context: PublishingContext, publication_id: str, owner: str) -> bool:
    """Take the publication for `owner` if it is due and free; False when another worker has it."""
    now = utcnow()
    with context.engine.begin() as connection:
        taken = leases.claim(
            connection,
            PUBLICATIONS,
            and_(PUBLICATIONS.c.id == publication_id, _claimable(now)),
            owner,
            context.settings.publish_lease_seconds,
            now,
            attempts=PUBLICATIONS.c.attempts + 1,
            started_at=func.coalesce(PUBLICATIONS.c.started_at, now),
            updated_at=now,
        )
    return taken == 1


def due(context: PublishingContext, limit: int) -> list[str]:
    """Publications a worker may take now, oldest due first."""
    with context.engine.connect() as connection:
        return list(
            connection.execute(
                select(PUBLICATIONS.c.id)
                .where(_claimable(utcnow()))
                .order_by(PUBLICATIONS.c.next_attempt_at)
                .limit(limit)
            ).scalars()
        )


def load(context: PublishingContext, publication_id: str) -> Row[Any]:
    with context.engine.connect() as connection:
        return connection.execute(
            select(PUBLICATIONS).where(PUBLICATIONS.c.id == publication_id)
        ).one()


def save(
    context: PublishingContext,
    publication_id: str,
    owner: str,
    *conditions: ColumnElement[bool],
    **values: Any,
) -> None:
    """Write step results while holding the lease (and renew it); LeaseLost otherwise."""
    now = utcnow()
    values.setdefault(
        "lease_expires_at", leases.expiry(context.settings.publish_lease_seconds, now)
    )
    with context.engine.begin() as connection:
        result = connection.execute(
            update(PUBLICATIONS)
            .where(
                PUBLICATIONS.c.id == publication_id,
                PUBLICATIONS.c.lease_owner == owner,
                *conditions,
            )
            .values(updated_at=now, **values)
        )
    if result.rowcount != 1:
        raise LeaseLost(publication_id)


def move(context: PublishingContext, row: Row[Any], owner: str, target: str, **values: Any) -> None:
    """Save `row`'s move to `target` (a move its state machine has) with the step's results."""
    guard = PUBLICATION_STATES.guard(PUBLICATIONS.c.status, target, row.status)
    save(context, row.id, owner, guard, status=target, **values)
