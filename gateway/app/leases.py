"""Lease heartbeats: a worker keeps a row's lease alive for as long as its work really runs.

Generation jobs and publications are claimed by a conditional update that sets `lease_owner` and
`lease_expires_at`; a lease that expires makes the row due for another worker. A call that runs
longer than the lease (a slow upload, a long generation) must not let that happen under a live
worker, so a thread renews the lease every third of its length until the work ends. Once a renewal
finds the row no longer ours (cancelled, or taken over after this process stalled), `lost` is set
and the work stops at its next check.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, Engine, Table, and_, true, update

from gateway.app.database import utcnow

log = logging.getLogger(__name__)


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
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True, name=f"lease-{row_id}")

    def __enter__(self) -> LeaseHeartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join(timeout=5)

    def renew(self) -> None:
        """Push the expiry one lease length ahead (with any extra values); `lost` if not ours."""
        values = {
            "lease_expires_at": utcnow() + timedelta(seconds=self._lease_seconds),
            **self._extra_values(),
        }
        try:
            with self._engine.begin() as connection:
                result = connection.execute(update(self._table).where(self._owned).values(**values))
        except Exception:
            log.exception("lease renewal failed for %s", self._row_id)
            return
        if result.rowcount != 1:
            self.lost.set()

    def _beat(self) -> None:
        interval = max(0.2, self._lease_seconds / 3)
        while not self._done.wait(interval):
            self.renew()
