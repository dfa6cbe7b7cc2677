"""Keyset pagination: pages keyed by (sort key, id), handed out as opaque cursors.

The review queue and every API v2 listing page this way rather than by offset: the database seeks
into the sort key's index at the cursor instead of counting past every earlier row, so a deep page
costs what the first does, and a page does not shift while other writers add or move rows.
"""

from __future__ import annotations

import base64
import binascii
import functools
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy.orm import InstrumentedAttribute, Session

from gateway.app.dates import parse_instant
from gateway.app.errors import ValidationFailed
from gateway.app.validation import looks_like_id

# Every list pages by these, in the API (v1 and v2), the review UI and the OpenAPI documents:
# `limit` items per page, PAGE_SIZE unless given, at most MAX_PAGE_SIZE; v1's offset pages stop at
# MAX_PAGE (an offset that deep scans more rows than any client has reason to skip).
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_PAGE = 100_000

# An integer key is a BIGINT: a cursor beyond its range could only overflow the query.
MIN_KEY, MAX_KEY = -(2**63), 2**63 - 1


@dataclass(frozen=True)
class Cursor:
    """A position in (key, id) order: a timestamp or a sequence number, then the row's id."""

    key: datetime | int
    row_id: str


@dataclass(frozen=True)
class Keyset:
    """The order a listing pages in: `key` (a timestamp or integer column) with `id` breaking
    ties, newest (largest) first unless `ascending`."""

    key: InstrumentedAttribute[Any]
    id: InstrumentedAttribute[Any]

    def cursor_of(self, row: Any) -> Cursor:
        return Cursor(getattr(row, self.key.key), getattr(row, self.id.key))

    def encode(self, cursor: Cursor) -> str:
        key = cursor.key
        value = key.astimezone(UTC).isoformat() if isinstance(key, datetime) else str(key)
        raw = f"{value}|{cursor.row_id}"
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    def decode(self, token: str, field: str = "cursor") -> Cursor:
        """The cursor in `token`; a 400 naming `field` for anything we did not hand out."""
        invalid = ValidationFailed(f"{field} is not valid", {field: "is not valid"})
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            value, row_id = raw.split("|", 1)
            key: datetime | int
            key = parse_instant(value) if self._by_time else int(value)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise invalid from None
        if isinstance(key, int) and not MIN_KEY <= key <= MAX_KEY:
            raise invalid
        if not looks_like_id(row_id):
            raise invalid
        return Cursor(key, row_id)

    @property
    def _by_time(self) -> bool:
        column_type = self.key.type
        return getattr(column_type, "impl", column_type).python_type is datetime

    def beyond(self, cursor: Cursor, *, ascending: bool = False) -> ColumnElement[bool]:
        """Rows strictly after `cursor` in the given direction.

        Spelled `key >= c AND (key > c OR id > i)` rather than as a row-value comparison: the
        first term is a range both SQLite and PostgreSQL seek to in the index, the second only
        sorts out the few rows that share the cursor's key.
        """
        key, row_id = cursor.key, cursor.row_id
        if ascending:
            return and_(self.key >= key, or_(self.key > key, self.id > row_id))
        return and_(self.key <= key, or_(self.key < key, self.id < row_id))

    def ordered(self, statement: Any, *, ascending: bool = False) -> Any:
        return statement.order_by(*self._orders[ascending])

    @functools.cached_property
    def _orders(self) -> dict[bool, tuple[ColumnElement[Any], ColumnElement[Any]]]:
        """The ORDER BY terms by `ascending`, built once (each page used to build them anew)."""
        return {
            True: (self.key.asc(), self.id.asc()),
            False: (self.key.desc(), self.id.desc()),
        }

    def page(
        self,
        session: Session,
        statement: Any,
        *,
        limit: int,
        cursor: str | None,
        rows: bool = False,
    ) -> tuple[list[Any], str | None]:
        """Up to `limit` rows of `statement` after `cursor` (newest first), and the cursor of the
        page after them (None on the last page).

        ORM objects of `select(Model)`; with `rows`, the plain rows of a select of columns, read
        on the session's connection so that no ORM loading runs for them.
        """
        if cursor:
            statement = statement.where(self.beyond(self.decode(cursor)))
        statement = self.ordered(statement).limit(limit + 1)
        found = (session.connection().execute if rows else session.scalars)(statement).all()
        items = found[:limit]
        more = len(found) > limit
        return items, (self.encode(self.cursor_of(items[-1])) if more else None)
