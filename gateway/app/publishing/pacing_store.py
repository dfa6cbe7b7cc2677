"""Printify pacing windows kept in the database, for deployments without Redis.

The pacer (`clients.pacing`) counts Printify calls in moving windows; with no Redis, the processes
of one deployment still share a database, so the windows live in the `pacing_hits` table.
"""

from __future__ import annotations

import time

from sqlalchemy import Connection, Engine, delete, func, insert, select, text

from gateway.app.publishing.models import PacingHit

HITS = PacingHit.__table__


class DatabasePacingStorage:
    """Moving windows kept in the `pacing_hits` table, for processes that share a database only.

    Taking a slot is one short transaction that first locks the key (SQLite: the write lock its
    first statement takes; PostgreSQL: a transaction-level advisory lock), then drops hits that
    left the window, counts the rest and adds the new hit when there is room, so no two processes
    can both take the last slot. It is the pacer's `WindowStore`: the two moving-window calls and
    `clear`, as `limits`' own storages offer them.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _lock_and_expire(self, connection: Connection, key: str, now: float, expiry: int) -> None:
        """Hold the key for this transaction, and drop its hits that left the window."""
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})
        connection.execute(delete(HITS).where(HITS.c.key == key, HITS.c.at <= now - expiry))

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        if amount > limit:
            return False
        now = time.time()
        with self.engine.begin() as connection:
            self._lock_and_expire(connection, key, now, expiry)
            taken = connection.execute(
                select(func.count()).select_from(HITS).where(HITS.c.key == key)
            ).scalar_one()
            if taken + amount > limit:
                return False
            connection.execute(insert(HITS), [{"key": key, "at": now}] * amount)
        return True

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        now = time.time()
        with self.engine.connect() as connection:
            oldest, count = connection.execute(
                select(func.min(HITS.c.at), func.count()).where(
                    HITS.c.key == key, HITS.c.at > now - expiry
                )
            ).one()
        return (oldest if oldest is not None else now), count

    def clear(self, key: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(HITS).where(HITS.c.key == key))
