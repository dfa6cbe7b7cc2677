"""Rate-limit counters every process of one machine shares, for deployments without Redis.

`make run` serves with several gunicorn workers and a job worker; per-process memory counters
would let a key through once per process. This is a `limits` storage over a small SQLite file in
the state dir (not the gateway's database, so counting a request never takes the database's write
lock): each acquisition is one `INSERT ... ON CONFLICT` statement under a kernel file lock, which
makes the check and the increment one atomic step across processes. Durability is not needed (a
lost counter after a crash only forgives a few requests), so the file runs with `synchronous=OFF`
in WAL mode.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from limits.storage import Storage
from limits.storage.base import SlidingWindowCounterSupport, TimestampedSlidingWindow

SCHEMA = """
CREATE TABLE IF NOT EXISTS counters (
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL,
    expires_at REAL NOT NULL
)
"""

# Count `amount` in the current window's counter (restarted when expired) unless the weighted
# previous window plus the current one would exceed `limit`; a row comes back only if counted.
ACQUIRE = """
INSERT INTO counters (key, value, expires_at)
SELECT :current_key, :amount, :expires_at
WHERE CAST(
        COALESCE(
            (SELECT value FROM counters WHERE key = :previous_key AND expires_at > :now), 0
        ) * :weight AS INTEGER
    )
    + COALESCE((SELECT value FROM counters WHERE key = :current_key AND expires_at > :now), 0)
    + :amount <= :limit
ON CONFLICT(key) DO UPDATE SET
    value = CASE WHEN expires_at > :now THEN value + excluded.value ELSE excluded.value END,
    expires_at = CASE WHEN expires_at > :now THEN expires_at ELSE excluded.expires_at END
RETURNING value
"""


@contextmanager
def _locked(handle: BinaryIO) -> Iterator[None]:
    fcntl.flock(handle, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)


class MachineStorage(Storage, SlidingWindowCounterSupport, TimestampedSlidingWindow):
    """Fixed-window counters and sliding windows in a SQLite file shared by local processes."""

    STORAGE_SCHEME = ["podgw+sqlite"]
    PURGE_EVERY = 1000  # acquisitions between sweeps of expired counters

    def __init__(self, uri: str, wrap_exceptions: bool = False, **_: str) -> None:
        self.path = Path(uri.split("://", 1)[1])
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._writer = threading.Lock()
        self._lock_file_pid = 0
        self._lock_handle: BinaryIO | None = None
        self._acquisitions = 0
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        with self._transaction() as connection:
            connection.execute(SCHEMA)

    @property
    def base_exceptions(self) -> type[Exception]:
        return sqlite3.Error

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=OFF")
            self._local.connection = connection
        return connection

    def _lock_file(self) -> BinaryIO:
        """This process's handle on the lock file: a forked child must open its own, as flock
        locks belong to the open file, which a fork shares."""
        if self._lock_handle is None or self._lock_file_pid != os.getpid():
            self._lock_handle = open(self.path.with_suffix(".lock"), "a+b")  # noqa: SIM115
            self._lock_file_pid = os.getpid()
        return self._lock_handle

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One writer at a time, queued on a kernel file lock (and a thread lock within the
        process) rather than in SQLite's busy handler, whose sleeps of up to 100 ms made the
        slowest requests wait seconds under load."""
        connection = self._connection()
        with self._writer, _locked(self._lock_file()):
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    @staticmethod
    def _value(connection: sqlite3.Connection, key: str, now: float) -> tuple[int, float]:
        row = connection.execute(
            "SELECT value, expires_at FROM counters WHERE key = ?", (key,)
        ).fetchone()
        if row is None or row[1] <= now:
            return 0, now
        return int(row[0]), float(row[1])

    @staticmethod
    def _add(
        connection: sqlite3.Connection, key: str, amount: int, expiry: float, now: float
    ) -> int:
        """Add `amount` to a live counter, or start a new one that expires after `expiry` s."""
        value, expires_at = MachineStorage._value(connection, key, now)
        if value == 0:
            expires_at = now + expiry
        connection.execute(
            "INSERT INTO counters (key, value, expires_at) VALUES (?, ?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at",
            (key, value + amount, expires_at),
        )
        return value + amount

    # -- fixed windows ---------------------------------------------------------------------------
    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        with self._transaction() as connection:
            return self._add(connection, key, amount, expiry, time.time())

    def get(self, key: str) -> int:
        return self._value(self._connection(), key, time.time())[0]

    def get_expiry(self, key: str) -> float:
        now = time.time()
        value, expires_at = self._value(self._connection(), key, now)
        return expires_at if value else now

    def clear(self, key: str) -> None:
        with self._transaction() as connection:
            connection.execute("DELETE FROM counters WHERE key = ?", (key,))

    def check(self) -> bool:
        self._connection().execute("SELECT 1").fetchone()
        return True

    def reset(self) -> int | None:
        with self._transaction() as connection:
            return connection.execute("DELETE FROM counters").rowcount

    # -- sliding windows -------------------------------------------------------------------------
    def _window(
        self, connection: sqlite3.Connection, key: str, expiry: int, now: float
    ) -> tuple[str, int, float, int, float]:
        previous_key, current_key = self.sliding_window_keys(key, expiry, now)
        previous, _ = self._value(connection, previous_key, now)
        current, _ = self._value(connection, current_key, now)
        previous_ttl = 0.0 if previous == 0 else (1 - (((now - expiry) / expiry) % 1)) * expiry
        current_ttl = (1 - ((now / expiry) % 1)) * expiry + expiry
        return current_key, previous, previous_ttl, current, current_ttl

    def acquire_sliding_window_entry(
        self, key: str, limit: int, expiry: int, amount: int = 1
    ) -> bool:
        """Check and count as one statement: exact however many processes ask at once.

        The check and the increment are one `INSERT ... ON CONFLICT` (atomic in SQLite without a
        transaction around it), so the file lock is held for one statement: a holder that had to
        win the GIL back after each of a transaction's statements, among a worker's busy threads,
        kept every other process's requests queued behind the lock.
        """
        if amount > limit:
            return False
        now = time.time()
        previous_key, current_key = self.sliding_window_keys(key, expiry, now)
        parameters = {
            "previous_key": previous_key,
            "current_key": current_key,
            "amount": amount,
            "limit": limit,
            "now": now,
            "expires_at": now + 2 * expiry,
            # The previous window's weight: the share of it still inside the sliding window.
            "weight": 1 - (((now - expiry) / expiry) % 1),
        }
        connection = self._connection()
        with self._writer, _locked(self._lock_file()):
            acquired = connection.execute(ACQUIRE, parameters).fetchone() is not None
            self._acquisitions += 1
            if self._acquisitions % self.PURGE_EVERY == 0:
                connection.execute("DELETE FROM counters WHERE expires_at <= ?", (now,))
        return acquired

    def get_sliding_window(self, key: str, expiry: int) -> tuple[int, float, int, float]:
        _, previous, previous_ttl, current, current_ttl = self._window(
            self._connection(), key, expiry, time.time()
        )
        return previous, previous_ttl, current, current_ttl

    def clear_sliding_window(self, key: str, expiry: int) -> None:
        previous_key, current_key = self.sliding_window_keys(key, expiry, time.time())
        with self._transaction() as connection:
            connection.execute(
                "DELETE FROM counters WHERE key IN (?, ?)", (previous_key, current_key)
            )
