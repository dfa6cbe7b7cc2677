"""Dashboard numbers: image states, review decisions, reject reasons, failures, queue, throughput.

Plain reads over a session. Days are UTC calendar days; "the window" is the last `days` of them,
today included. Daily series are grouped in SQL by a UTC day expression that compiles for both
SQLite and PostgreSQL, then zero-filled here so every day of the window has a value.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, String, and_, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import FunctionElement

from gateway.app.audit.models import AuditEntry
from gateway.app.generation.models import GenerationJob
from gateway.app.generation.states import JobStatus
from gateway.app.images import counts
from gateway.app.images.models import Image
from gateway.app.images.states import ImageStatus

WINDOW_DAYS = 14
REVIEW_ACTIONS = ("approved", "rejected")
UNKNOWN_ERROR = "UNKNOWN"
UNSPECIFIED_REASON = "unspecified"


class UTCDay(FunctionElement[str]):
    """The UTC calendar day of a timestamp column, as text `YYYY-MM-DD`."""

    type = String()
    name = "utc_day"
    inherit_cache = True


@compiles(UTCDay)
def _utc_day_sqlite(element: UTCDay, compiler: Any, **kw: Any) -> str:
    """SQLite stores our timestamps as UTC text, so its `date()` is already the UTC day."""
    return f"date({compiler.process(element.clauses, **kw)})"


@compiles(UTCDay, "postgresql")
def _utc_day_postgresql(element: UTCDay, compiler: Any, **kw: Any) -> str:
    """A `timestamptz` has no day of its own: pin it to UTC before taking the date."""
    return f"to_char(({compiler.process(element.clauses, **kw)}) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"


@dataclass(frozen=True)
class DayReviews:
    day: date
    approved: int
    rejected: int


@dataclass(frozen=True)
class ReviewerReviews:
    """One reviewer's decisions in the window; `kind` is operator, api_key or system."""

    kind: str
    name: str
    approved: int
    rejected: int

    @property
    def total(self) -> int:
        return self.approved + self.rejected


@dataclass(frozen=True)
class DayThroughput:
    """Images that entered the gallery on one day, by where they came from."""

    day: date
    generated: int
    uploaded: int


@dataclass(frozen=True)
class FailureCount:
    backend: str
    error_code: str
    count: int


@dataclass(frozen=True)
class BackendOutcome:
    """Jobs of one backend that finished in the window."""

    backend: str
    completed: int
    failed: int

    @property
    def failure_rate(self) -> float:
        finished = self.completed + self.failed
        return self.failed / finished if finished else 0.0


@dataclass(frozen=True)
class Dashboard:
    window_days: int
    first_day: date
    last_day: date
    images_by_status: dict[str, int]
    reviews_per_day: list[DayReviews]
    reviewers: list[ReviewerReviews]
    reject_reasons: list[tuple[str, int]]
    failures: list[FailureCount]
    backends: list[BackendOutcome]
    jobs_by_status: dict[str, int]
    throughput: list[DayThroughput]

    @property
    def awaiting_review(self) -> int:
        return self.images_by_status.get(ImageStatus.PENDING, 0)

    @property
    def jobs_queued(self) -> int:
        return self.jobs_by_status.get(JobStatus.PENDING, 0)

    @property
    def jobs_running(self) -> int:
        return self.jobs_by_status.get(JobStatus.PROCESSING, 0)

    @property
    def approved(self) -> int:
        return sum(day.approved for day in self.reviews_per_day)

    @property
    def rejected(self) -> int:
        return sum(day.rejected for day in self.reviews_per_day)

    @property
    def generated(self) -> int:
        return sum(day.generated for day in self.throughput)

    @property
    def uploaded(self) -> int:
        return sum(day.uploaded for day in self.throughput)

    @property
    def failed_jobs(self) -> int:
        return sum(failure.count for failure in self.failures)


def window_start(now: datetime, days: int = WINDOW_DAYS) -> datetime:
    """Midnight UTC of the first day of a window of `days` days ending today."""
    first = now.astimezone(UTC).date() - timedelta(days=days - 1)
    return datetime.combine(first, time.min, tzinfo=UTC)


def _days(first: date, count: int) -> list[date]:
    return [first + timedelta(days=offset) for offset in range(count)]


def images_by_status(session: Session) -> dict[str, int]:
    """Every image status with its count, zero included, in state-machine order."""
    return counts.by_status(session)


def jobs_by_status(session: Session) -> dict[str, int]:
    rows = dict(
        session.execute(
            select(GenerationJob.status, func.count()).group_by(GenerationJob.status)
        ).all()
    )
    return {str(status): rows.get(str(status), 0) for status in JobStatus}


def _review_decisions(since: datetime) -> ColumnElement[bool]:
    return and_(
        AuditEntry.entity_type == "image",
        AuditEntry.action.in_(REVIEW_ACTIONS),
        AuditEntry.at >= since,
    )


def reviews_per_day(session: Session, since: datetime, days: int) -> list[DayReviews]:
    day = UTCDay(AuditEntry.at)
    rows = session.execute(
        select(day, AuditEntry.action, func.count())
        .where(_review_decisions(since))
        .group_by(day, AuditEntry.action)
    )
    counts: dict[tuple[str, str], int] = {(str(d), action): n for d, action, n in rows}
    return [
        DayReviews(
            day=current,
            approved=counts.get((current.isoformat(), "approved"), 0),
            rejected=counts.get((current.isoformat(), "rejected"), 0),
        )
        for current in _days(since.date(), days)
    ]


def reviewers(session: Session, since: datetime) -> list[ReviewerReviews]:
    """Decisions per reviewer in the window, busiest first."""
    rows = session.execute(
        select(AuditEntry.actor_type, AuditEntry.actor_name, AuditEntry.action, func.count())
        .where(_review_decisions(since))
        .group_by(AuditEntry.actor_type, AuditEntry.actor_name, AuditEntry.action)
    )
    tally: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for kind, name, action, count in rows:
        tally[(kind, name)][action] = count
    found = [
        ReviewerReviews(kind, name, actions.get("approved", 0), actions.get("rejected", 0))
        for (kind, name), actions in tally.items()
    ]
    return sorted(found, key=lambda reviewer: (-reviewer.total, reviewer.name, reviewer.kind))


def reject_reasons(session: Session, since: datetime) -> list[tuple[str, int]]:
    """Rejections in the window per reason code, most frequent first."""
    count = func.count()
    rows = session.execute(
        select(AuditEntry.reason, count)
        .where(
            AuditEntry.entity_type == "image",
            AuditEntry.action == "rejected",
            AuditEntry.at >= since,
        )
        .group_by(AuditEntry.reason)
    )
    found = [(reason or UNSPECIFIED_REASON, n) for reason, n in rows]
    return sorted(found, key=lambda pair: (-pair[1], pair[0]))


def failures(session: Session, since: datetime) -> list[FailureCount]:
    """Failed generation jobs that ended in the window, per backend and error code."""
    rows = session.execute(
        select(GenerationJob.backend, GenerationJob.error_code, func.count())
        .where(
            GenerationJob.status == JobStatus.FAILED,
            GenerationJob.completed_at >= since,
        )
        .group_by(GenerationJob.backend, GenerationJob.error_code)
    )
    found = [FailureCount(backend, code or UNKNOWN_ERROR, n) for backend, code, n in rows]
    return sorted(found, key=lambda item: (-item.count, item.backend, item.error_code))


def backend_outcomes(session: Session, since: datetime) -> list[BackendOutcome]:
    """Completed and failed jobs per backend that ended in the window (cancellations aside)."""
    rows = session.execute(
        select(GenerationJob.backend, GenerationJob.status, func.count())
        .where(
            GenerationJob.status.in_([JobStatus.COMPLETED, JobStatus.FAILED]),
            GenerationJob.completed_at >= since,
        )
        .group_by(GenerationJob.backend, GenerationJob.status)
    )
    tally: dict[str, dict[str, int]] = defaultdict(dict)
    for backend, status, count in rows:
        tally[backend][status] = count
    return [
        BackendOutcome(
            backend,
            statuses.get(JobStatus.COMPLETED, 0),
            statuses.get(JobStatus.FAILED, 0),
        )
        for backend, statuses in sorted(tally.items())
    ]


def throughput(session: Session, since: datetime, days: int) -> list[DayThroughput]:
    """New images per day in the window: generated by a backend, or uploaded."""
    day = UTCDay(Image.created_at)
    rows = session.execute(
        select(day, Image.source, func.count())
        .where(Image.created_at >= since)
        .group_by(day, Image.source)
    )
    counts: dict[tuple[str, str], int] = {(str(d), source): n for d, source, n in rows}
    return [
        DayThroughput(
            day=current,
            generated=counts.get((current.isoformat(), "generated"), 0),
            uploaded=counts.get((current.isoformat(), "upload"), 0),
        )
        for current in _days(since.date(), days)
    ]


def dashboard(
    session: Session, *, now: datetime | None = None, days: int = WINDOW_DAYS
) -> Dashboard:
    """Everything the dashboard shows, for the window of `days` days ending on `now`'s day."""
    since = window_start(now or datetime.now(UTC), days)
    return Dashboard(
        window_days=days,
        first_day=since.date(),
        last_day=since.date() + timedelta(days=days - 1),
        images_by_status=images_by_status(session),
        reviews_per_day=reviews_per_day(session, since, days),
        reviewers=reviewers(session, since),
        reject_reasons=reject_reasons(session, since),
        failures=failures(session, since),
        backends=backend_outcomes(session, since),
        jobs_by_status=jobs_by_status(session),
        throughput=throughput(session, since, days),
    )
