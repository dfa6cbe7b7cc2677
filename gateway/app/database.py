"""Declarative base, column types and id/time helpers shared by every feature's models."""

from __future__ import annotations

import secrets
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Engine, String, event
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id(prefix: str) -> str:
    """An opaque, unguessable id such as `img_3f9c...` (the prefix tells operators what it is)."""
    return f"{prefix}_{secrets.token_hex(12)}"


class NewId(FunctionElement[str]):
    """`new_id(prefix)` computed by the database, one per row of an INSERT ... SELECT: the same
    shape, 24 random hex digits after the prefix."""

    type = String()
    name = "new_id"
    inherit_cache = True
    _traverse_internals = [("prefix", InternalTraversal.dp_string)]  # part of the cache key

    def __init__(self, prefix: str) -> None:
        if not prefix.isalnum():
            raise ValueError(f"an id prefix is letters and digits, not {prefix!r}")
        super().__init__()
        self.prefix = prefix


@compiles(NewId, "sqlite")
def _new_id_sqlite(element: NewId, compiler: Any, **kw: Any) -> str:
    return f"'{element.prefix}_' || lower(hex(randomblob(12)))"


@compiles(NewId, "postgresql")
def _new_id_postgresql(element: NewId, compiler: Any, **kw: Any) -> str:
    """Two version-4 UUIDs' random digits (their version and variant digits left out)."""
    random_hex = "replace(CAST(gen_random_uuid() AS TEXT), '-', '')"
    return f"'{element.prefix}_' || substr({random_hex}, 1, 12) || substr({random_hex}, 18, 12)"


class Unindexed(FunctionElement[Any]):
    """`column`, as a condition's term that SQLite must not answer from an index on it.

    Without statistics SQLite's planner rates `status = ?` more selective than `id IN (500 ids)`
    and walks every image of that status once per statement; a 10,000-id batch then costs
    seconds. `+column` (SQLite's documented way to disqualify a term from an index) makes it look
    the ids up by key and test the status on each. Other engines plan from statistics: the
    column is rendered as it is.
    """

    inherit_cache = True

    def __init__(self, column: Any) -> None:
        super().__init__(column)
        self.type = column.type


@compiles(Unindexed)
def _unindexed(element: Unindexed, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(Unindexed, "sqlite")
def _unindexed_sqlite(element: Unindexed, compiler: Any, **kw: Any) -> str:
    return "+" + str(compiler.process(element.clauses, **kw))


def isoformat(value: datetime | str | None) -> str | None:
    """ISO 8601 UTC with a `Z`, the one time format of the API (text `IsoTime` made is it)."""
    if value is None or isinstance(value, str):
        return value
    if value.tzinfo is not UTC:  # what UTCDateTime reads already is UTC: no conversion
        value = value.astimezone(UTC)
    return value.isoformat().replace("+00:00", "Z")


class IsoTime(FunctionElement[str]):
    """`isoformat(column)` computed by the database: the API's time text straight from a query,
    with no datetime built and formatted again in Python for each row of a list page."""

    type = String()
    inherit_cache = True


@compiles(IsoTime, "sqlite")
def _iso_time_sqlite(element: IsoTime, compiler: Any, **kw: Any) -> str:
    """SQLite keeps `YYYY-MM-DD HH:MM:SS.ffffff` (UTC) text: a `T`, no zero fraction, a `Z`."""
    text = compiler.process(element.clauses, **kw)
    return (
        f"replace(CASE WHEN substr({text}, 20) = '.000000' THEN substr({text}, 1, 19) "
        f"ELSE {text} END, ' ', 'T') || 'Z'"
    )


@compiles(IsoTime, "postgresql")
def _iso_time_postgresql(element: IsoTime, compiler: Any, **kw: Any) -> str:
    utc = f"timezone('UTC', {compiler.process(element.clauses, **kw)})"
    return (
        f"to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || "
        f"CASE WHEN to_char({utc}, 'US') = '000000' THEN '' ELSE '.' || to_char({utc}, 'US') END"
        " || 'Z'"
    )


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every engine (SQLite drops the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """WAL, a busy timeout and enforced foreign keys for every SQLite connection.

    The driver's own transaction handling is switched off so that SQLAlchemy's BEGIN (below) and
    SAVEPOINTs work as documented.
    """
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


_reads_only = ContextVar("sqlite_reads_only", default=False)


def reads_only(value: bool) -> None:
    """Declare that this thread's current work only reads (an API GET): its SQLite transactions
    then begin deferred, sharing the database with other readers instead of queueing for the
    write lock. Work that writes after reading must never run under it."""
    _reads_only.set(value)


def sqlite_transactions(engine: Engine, *, immediate: bool) -> Engine:
    """Emit SQLAlchemy's BEGIN on a SQLite engine (the driver's own handling is off).

    The ORM session's engine begins IMMEDIATE: its units of work read then write, and a deferred
    transaction would fail at once, not wait, when another process wrote in between. Short
    single-purpose statements (leases, circuit state) use a deferred engine so they never queue
    behind a request's open session, and so do requests declared `reads_only`.
    """
    if engine.dialect.name == "sqlite":
        statement = "BEGIN IMMEDIATE" if immediate else "BEGIN"

        @event.listens_for(engine, "begin")
        def _begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN" if _reads_only.get() else statement)

    return engine
