"""Recording and reading the audit log; every state change goes through `record`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypedDict, Unpack

from sqlalchemy import Select, insert, literal, select
from sqlalchemy.orm import Session

from gateway.app.audit.models import AuditEntry
from gateway.app.database import isoformat, utcnow


@dataclass(frozen=True)
class Actor:
    """Who is acting: an operator, an API key, or the system itself (workers, reaper)."""

    kind: str
    id: str | None
    name: str

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.name}"


SYSTEM = Actor("system", None, "system")


class EntryFields(TypedDict, total=False):
    """What an entry may say beyond who did what to which entity (each None when left out)."""

    from_status: str | None
    to_status: str | None
    reason: str | None
    note: str | None
    details: dict[str, Any] | None


ENTRY_FIELDS = tuple(EntryFields.__annotations__)
AUDIT_LOG = AuditEntry.__table__


def _actor_columns(actor: Actor) -> dict[str, Any]:
    return {"actor_type": actor.kind, "actor_id": actor.id, "actor_name": actor.name}


def _entry_columns(
    actor: Actor, entity_type: str, entity_id: str, action: str, fields: Mapping[str, Any]
) -> dict[str, Any]:
    """One entry's columns but its time; `fields` left out are None."""
    unknown = set(fields) - set(ENTRY_FIELDS)
    if unknown:
        raise TypeError(f"unknown audit entry fields: {', '.join(sorted(unknown))}")
    return {
        **_actor_columns(actor),
        "entity_type": entity_type,
        "entity_id": entity_id,
        "action": action,
        **{name: fields.get(name) for name in ENTRY_FIELDS},
    }


def record(
    session: Session,
    actor: Actor,
    *,
    entity_type: str,
    entity_id: str,
    action: str,
    **fields: Unpack[EntryFields],
) -> AuditEntry:
    """Add one entry to the caller's transaction (committed with the change it describes)."""
    entry = AuditEntry(**_entry_columns(actor, entity_type, entity_id, action, fields))
    session.add(entry)
    return entry


def record_each(
    session: Session,
    actor: Actor,
    entity_ids: Select[tuple[str]],
    *,
    entity_type: str,
    action: str,
    from_status: str | None = None,
    to_status: str | None = None,
    reason: str | None = None,
    note: str | None = None,
) -> None:
    """Add one alike entry per id that `entity_ids` selects, in one INSERT ... SELECT."""
    values = {
        "at": utcnow(),
        **_actor_columns(actor),
        "entity_type": entity_type,
        "action": action,
        "from_status": from_status,
        "to_status": to_status,
        "reason": reason,
        "note": note,
    }
    ids = entity_ids.subquery()
    constants = [literal(value, AUDIT_LOG.c[name].type) for name, value in values.items()]
    session.execute(
        insert(AUDIT_LOG).from_select(
            [*values, "entity_id"], select(*constants, *ids.c).select_from(ids)
        )
    )


def record_many(
    session: Session,
    actor: Actor,
    *,
    entity_type: str,
    action: str,
    entries: dict[str, dict[str, Any]],
) -> None:
    """Add one entry per entity in one multi-row INSERT: `entries` maps each entity id to the
    rest of `record`'s arguments (from_status, to_status, reason, note, details)."""
    now = utcnow()
    rows = [
        {"at": now, **_entry_columns(actor, entity_type, entity_id, action, fields)}
        for entity_id, fields in entries.items()
    ]
    if rows:
        session.execute(insert(AUDIT_LOG), rows)


def history(session: Session, entity_type: str, entity_id: str) -> list[AuditEntry]:
    query = (
        select(AuditEntry)
        .where(AuditEntry.entity_type == entity_type, AuditEntry.entity_id == entity_id)
        .order_by(AuditEntry.id)
    )
    return list(session.scalars(query))


def to_dict(entry: AuditEntry) -> dict[str, Any]:
    return {
        "at": isoformat(entry.at),
        "actor": {"type": entry.actor_type, "id": entry.actor_id, "name": entry.actor_name},
        "action": entry.action,
        "from_status": entry.from_status,
        "to_status": entry.to_status,
        "reason": entry.reason,
        "note": entry.note,
        "details": entry.details or {},
    }
