"""Reading the audit log a page at a time, filtered, newest first.

Pages are keyed by entry id (`before`/`after`), not by offset: entries written while an operator
pages through the log never shift a page, so nothing is shown twice or skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.orm import Session

from gateway.app.audit.models import AuditEntry
from gateway.app.dates import day_range

PAGE_SIZE = 100


@dataclass(frozen=True)
class AuditFilter:
    """What to show; every field is optional and they combine with AND. Dates are UTC, inclusive."""

    entity_type: str | None = None
    entity_id: str | None = None
    actor: str | None = None
    action: str | None = None
    since: date | None = None
    until: date | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.entity_type:
            found.append(AuditEntry.entity_type == self.entity_type)
        if self.entity_id:
            found.append(AuditEntry.entity_id == self.entity_id)
        if self.actor:
            found.append(
                or_(AuditEntry.actor_name == self.actor, AuditEntry.actor_id == self.actor)
            )
        if self.action:
            found.append(AuditEntry.action == self.action)
        start, end = day_range(self.since, self.until)
        if start:
            found.append(AuditEntry.at >= start)
        if end:
            found.append(AuditEntry.at < end)
        return found


@dataclass(frozen=True)
class AuditPage:
    """One page of entries, newest first, with the cursors of its neighbours (None at an end)."""

    entries: list[AuditEntry]
    newer_than: int | None
    older_than: int | None


def _filtered(filters: AuditFilter) -> Select[tuple[AuditEntry]]:
    return select(AuditEntry).where(*filters.conditions())


def _exists(session: Session, filters: AuditFilter, condition: ColumnElement[bool]) -> bool:
    query = select(AuditEntry.id).where(*filters.conditions(), condition).limit(1)
    return session.scalar(query) is not None


def page(
    session: Session,
    filters: AuditFilter,
    *,
    before: int | None = None,
    after: int | None = None,
    size: int = PAGE_SIZE,
) -> AuditPage:
    """Entries older than `before`, or else newer than `after`, or else the newest `size`."""
    if after is not None and before is None:
        rows = list(
            session.scalars(
                _filtered(filters)
                .where(AuditEntry.id > after)
                .order_by(AuditEntry.id.asc())
                .limit(size + 1)
            )
        )
        more_newer = len(rows) > size
        entries = list(reversed(rows[:size]))
        more_older = _exists(session, filters, AuditEntry.id <= after)
    else:
        query = _filtered(filters).order_by(AuditEntry.id.desc()).limit(size + 1)
        if before is not None:
            query = query.where(AuditEntry.id < before)
        rows = list(session.scalars(query))
        more_older = len(rows) > size
        entries = rows[:size]
        more_newer = before is not None and _exists(session, filters, AuditEntry.id >= before)
    return AuditPage(
        entries=entries,
        newer_than=entries[0].id if entries and more_newer else None,
        older_than=entries[-1].id if entries and more_older else None,
    )


def known_values(session: Session) -> tuple[list[str], list[str]]:
    """The entity types and actions the log holds, as suggestions for the filter form."""
    entity_types = session.scalars(
        select(AuditEntry.entity_type).distinct().order_by(AuditEntry.entity_type)
    )
    actions = session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action))
    return list(entity_types), list(actions)
