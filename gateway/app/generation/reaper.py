"""The reaper every worker runs: requeue jobs whose worker died (their lease expired), fail jobs
past the generation timeout, and re-send pending jobs whose queue message was lost."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from gateway.app import leases, metrics
from gateway.app.database import utcnow
from gateway.app.events import service as events
from gateway.app.generation import service as jobs
from gateway.app.generation.context import GenerationContext
from gateway.app.generation.models import GenerationJob
from gateway.app.generation.states import JOB_STATES, JobStatus

log = logging.getLogger(__name__)
JOBS = GenerationJob.__table__


def reap(
    session: Session, context: GenerationContext, enqueue: Callable[[str], None]
) -> dict[str, int]:
    """Requeue jobs whose worker died (lease expired), fail jobs past the generation timeout, and
    re-send pending jobs whose queue message was lost."""
    now = utcnow()
    settings = context.settings
    timed_out_before = now - timedelta(seconds=settings.generation_timeout_seconds)
    counts = {"requeued": 0, "timed_out": 0, "resent": 0}
    with context.engine.begin() as connection:
        overdue = and_(
            JOB_STATES.guard(
                JOBS.c.status, JobStatus.FAILED, JobStatus.PROCESSING, JobStatus.PENDING
            ),
            JOBS.c.started_at.is_not(None),
            JOBS.c.started_at < timed_out_before,
            or_(JOBS.c.lease_expires_at.is_(None), JOBS.c.lease_expires_at < now),
        )
        for job_id in connection.execute(select(JOBS.c.id).where(overdue)).scalars().all():
            timed_out = connection.execute(
                update(JOBS)
                .where(JOBS.c.id == job_id, overdue)
                .values(
                    status=JobStatus.FAILED,
                    error_code="TIMEOUT",
                    error_message=f"no result within {settings.generation_timeout_seconds:g} s",
                    completed_at=now,
                    **leases.RELEASED,
                )
            )
            if timed_out.rowcount:
                counts["timed_out"] += 1
                job = connection.execute(select(JOBS).where(JOBS.c.id == job_id)).one()
                events.emit(connection, "generation.failed", jobs.to_dict(job, []))
        expired = list(
            connection.execute(
                select(JOBS.c.id).where(
                    JOBS.c.status == JobStatus.PROCESSING, JOBS.c.lease_expires_at < now
                )
            ).scalars()
        )
        for job_id in expired:
            result = connection.execute(
                update(JOBS)
                .where(
                    JOBS.c.id == job_id,
                    JOB_STATES.guard(JOBS.c.status, JobStatus.PENDING, JobStatus.PROCESSING),
                    JOBS.c.lease_expires_at < now,
                )
                .values(status=JobStatus.PENDING, **leases.RELEASED)
            )
            counts["requeued"] += result.rowcount
        stale_before = now - timedelta(seconds=max(60.0, settings.job_lease_seconds * 2))
        stale = list(
            connection.execute(
                select(JOBS.c.id).where(
                    JOBS.c.status == JobStatus.PENDING, JOBS.c.updated_at < stale_before
                )
            ).scalars()
        )
        if stale:
            connection.execute(update(JOBS).where(JOBS.c.id.in_(stale)).values(updated_at=now))
    if counts["timed_out"]:
        metrics.GENERATION_FAILED.labels(error_type="TIMEOUT").inc(counts["timed_out"])
    for job_id in [*expired, *stale]:
        enqueue(job_id)
    counts["resent"] = len(stale)
    if any(counts.values()):
        log.info("reaper: %s", counts)
    return counts
