"""Monthly quotas per plan: images generated and products published, counted per API key.

A quota is consumed in the same transaction as the work it pays for (the job or the publication),
by one conditional UPDATE that adds only while the sum stays within the quota: exact however many
processes ask at once, and nothing is counted for work that was refused. Operators in the review UI
have no quota; a plan's quota of 0 means unlimited. Periods are calendar months in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Integer, String, and_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from gateway.app.database import isoformat, utcnow
from gateway.app.errors import GatewayError
from gateway.app.extensions import db
from gateway.app.settings import Settings

METRICS = ("images", "products")


class UsageCounter(db.Model):
    __tablename__ = "usage_counters"

    api_key_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)  # "2026-12"
    metric: Mapped[str] = mapped_column(String(16), primary_key=True)
    used: Mapped[int] = mapped_column(Integer, default=0)


class QuotaExceeded(GatewayError):
    code = "QUOTA_EXCEEDED"


@dataclass(frozen=True)
class Allowance:
    """One API key's quotas for this month (None: unlimited)."""

    api_key_id: str
    plan: str
    limits: dict[str, int | None]


def allowance(settings: Settings, api_key_id: str | None, plan: str) -> Allowance | None:
    """The caller's allowance; None for callers without a key (operators)."""
    if api_key_id is None:
        return None
    limits = {metric: settings.quota(plan, metric) or None for metric in METRICS}
    return Allowance(api_key_id, plan, limits)


def period_bounds(now: datetime | None = None) -> tuple[datetime, datetime]:
    now = now or utcnow()
    start = datetime(now.year, now.month, 1, tzinfo=UTC)
    end = datetime(now.year + now.month // 12, now.month % 12 + 1, 1, tzinfo=UTC)
    return start, end


def _period(now: datetime) -> str:
    return f"{now.year:04d}-{now.month:02d}"


def _ensure_row(session: Session, key: dict[str, str]) -> None:
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(UsageCounter).values(**key, used=0).on_conflict_do_nothing())


def consume(session: Session, allowance: Allowance | None, metric: str, amount: int) -> None:
    """Count `amount` against this month's quota in the caller's transaction, or raise
    QUOTA_EXCEEDED (429, with when it resets) and count nothing."""
    if allowance is None or amount <= 0:
        return
    now = utcnow()
    key = {"api_key_id": allowance.api_key_id, "period": _period(now), "metric": metric}
    _ensure_row(session, key)
    limit = allowance.limits.get(metric)
    matches = and_(*(getattr(UsageCounter, name) == value for name, value in key.items()))
    if limit is not None:
        matches = and_(matches, UsageCounter.used + amount <= limit)
    result = session.execute(
        update(UsageCounter).where(matches).values(used=UsageCounter.used + amount)
    )
    if result.rowcount:
        return
    _, resets_at = period_bounds(now)
    wait = max(1, int((resets_at - now).total_seconds()))
    raise QuotaExceeded(
        f"the {allowance.plan} plan's monthly quota of {limit} {metric} is used up; "
        f"it resets at {isoformat(resets_at)}",
        details={
            "metric": metric,
            "quota": limit,
            "requested": amount,
            "resets_at": isoformat(resets_at),
        },
        headers={"Retry-After": str(wait)},
    )


def usage(session: Session, allowance: Allowance | None, plan: str) -> dict[str, object]:
    """What `GET /usage` shows: this month's bounds, what was used and the quotas."""
    start, end = period_bounds()
    used = dict.fromkeys(METRICS, 0)
    if allowance is not None:
        rows = session.execute(
            select(UsageCounter.metric, UsageCounter.used).where(
                UsageCounter.api_key_id == allowance.api_key_id,
                UsageCounter.period == _period(start),
            )
        )
        used.update({metric: count for metric, count in rows})
    quota = allowance.limits if allowance is not None else dict.fromkeys(METRICS)
    return {
        "period": {"start": isoformat(start), "end": isoformat(end)},
        "plan": plan,
        "used": used,
        "quota": quota,
        "remaining": {
            metric: None if quota[metric] is None else max(0, quota[metric] - used[metric])
            for metric in METRICS
        },
    }
