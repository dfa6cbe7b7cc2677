"""Leases: claiming a row for one worker, and keeping the lease alive while its work runs.

Generation jobs, publications and webhook deliveries are claimed the same way (`claim`): one
conditional update sets `lease_owner` and `lease_expires_at` where the row is free, so of two
workers racing for a row exactly one wins; a lease that expires makes the row due for another.
A call that runs longer than the lease (a slow upload, a long generation) must not let that happen
under a live worker, so the lease is renewed every third of its length until the work ends. Once a
renewal finds the row no longer ours (cancelled, or taken over after this process stalled), `lost`
is set and the work stops at its next check.

One thread per process renews every live lease as it falls due, rather than a thread per lease:
most work (a local render, a short upload) ends long before its first renewal, and starting and
joining a thread for each cost more than the work's own bookkeeping. A renewal that waits (a
locked database) delays the others by as long; they have two thirds of a lease in hand.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, Table, and_, true, update

from gateway.app.database import utcnow

log = logging.getLogger(__name__)

# The values that hand a row's lease back (the work is done, waits, or goes to another worker).
RELEASED: dict[str, None] = {"lease_owner": None, "lease_expires_at": None}


def expiry(lease_seconds: float, now: datetime | None = None) -> datetime:
    """When a lease taken or renewed now runs out."""
    return (now or utcnow()) + timedelta(seconds=lease_seconds)


def claim(
    connection: Connection,
    table: Table,
    claimable: ColumnElement[bool],
    owner: str,
    lease_seconds: float,
    now: datetime,
    **values: Any,
) -> int:
    """Lease the rows of `table` that are `claimable` to `owner` (setting `values` with it) in one
    conditional update, so concurrent claimers never share a row; how many rows were taken."""
    result = connection.execute(
        update(table)
        .where(claimable)
        .values(lease_owner=owner, lease_expires_at=expiry(lease_seconds, now), **values)
    )
    return result.rowcount


class LeaseHeartbeat:
    """Renews `table`'s lease on `row_id` for `owner` in the background while used as a context."""

    def __init__(
        self,
        engine: Engine,
        table: Table,
        row_id: str,
        owner: str,
        lease_seconds: float,
        *,
        condition: ColumnElement[bool] | None = None,
        extra_values: Callable[[], dict[str, Any]] = dict,
    ) -> None:
        self._engine = engine
        self._table = table
        self._lease_seconds = lease_seconds
        self._owned = and_(
            table.c.id == row_id,
            table.c.lease_owner == owner,
            condition if condition is not None else true(),
        )
        self._row_id = row_id
        self._extra_values = extra_values
        self.lost = threading.Event()

    def __enter__(self) -> LeaseHeartbeat:
        _TICKER.add(self, max(0.2, self._lease_seconds / 3))
        return self

    def __exit__(self, *exc: object) -> None:
        _TICKER.remove(self)

    def renew(self) -> None:
        """Push the expiry one lease length ahead (with any extra values); `lost` if not ours."""
        values = {"lease_expires_at": expiry(self._lease_seconds), **self._extra_values()}
        try:
            with self._engine.begin() as connection:
                result = connection.execute(update(self._table).where(self._owned).values(**values))
        except Exception:
            log.exception("lease renewal failed for %s", self._row_id)
            return
        if result.rowcount != 1:
            self.lost.set()


class _Ticker:
    """The thread that renews this process's live leases, each at its own interval."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._due: dict[LeaseHeartbeat, tuple[float, float]] = {}  # (next renewal, interval)
        self._thread: threading.Thread | None = None

    def add(self, heartbeat: LeaseHeartbeat, interval: float) -> None:
        with self._changed:
            self._due[heartbeat] = (time.monotonic() + interval, interval)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, daemon=True, name="leases")
                self._thread.start()
            self._changed.notify()

    def remove(self, heartbeat: LeaseHeartbeat) -> None:
        with self._changed:
            self._due.pop(heartbeat, None)

    def _run(self) -> None:
        while True:
            with self._changed:
                now = time.monotonic()
                due = [beat for beat, (at, _) in self._due.items() if at <= now]
                for beat in due:
                    interval = self._due[beat][1]
                    self._due[beat] = (now + interval, interval)
                if not due:
                    following = min((at for at, _ in self._due.values()), default=now + 60)
                    self._changed.wait(following - now)
                    continue
            for beat in due:
                beat.renew()


_TICKER = _Ticker()
