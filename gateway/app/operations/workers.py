"""Which job workers are alive: every worker process writes a heartbeat row every few seconds.

A worker killed by the OOM killer leaves no trace in the queue; its heartbeat simply stops. The web
side reads the rows to answer `/ready` (not ready while no live worker would take the queue's
work), `/api/v1/status`, the dashboard and `pod_workers_alive`. Rows of workers that stopped
cleanly are removed; stale rows of dead ones are swept after a day.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, String, delete, insert, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from gateway.app.database import UTCDateTime, isoformat, new_id, utcnow
from gateway.app.extensions import db
from gateway.app.queue import JobQueue
from gateway.app.settings import Settings

FORGET_AFTER = timedelta(days=1)


class WorkerHeartbeat(db.Model):
    __tablename__ = "worker_heartbeats"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


TABLE = WorkerHeartbeat.__table__


@dataclass
class Heartbeat:
    """This worker process's heartbeat: one short statement every few seconds (in an app context,
    as the queue runs its maintenance)."""

    id: str = ""
    started_at: datetime | None = None

    def beat(self) -> None:
        now = utcnow()
        with db.engine.begin() as connection:
            if self.id:
                written = connection.execute(
                    update(TABLE).where(TABLE.c.id == self.id).values(beat_at=now)
                ).rowcount
                if written:
                    return
            self.id = self.id or new_id("wrk")
            self.started_at = self.started_at or now
            connection.execute(
                insert(TABLE).values(
                    id=self.id,
                    hostname=socket.gethostname()[:255],
                    pid=os.getpid(),
                    started_at=self.started_at,
                    beat_at=now,
                )
            )
            connection.execute(delete(TABLE).where(TABLE.c.beat_at < now - FORGET_AFTER))

    def retire(self) -> None:
        """Remove this worker's row on a clean stop: it is gone, not dead."""
        if self.id:
            with db.engine.begin() as connection:
                connection.execute(delete(TABLE).where(TABLE.c.id == self.id))


def summary(session: Session, stale_after_seconds: float) -> dict[str, Any]:
    """Live workers (a heartbeat within `stale_after_seconds`) and the newest heartbeat seen."""
    now = utcnow()
    rows = session.execute(select(TABLE).order_by(TABLE.c.beat_at.desc())).all()
    live = [row for row in rows if (now - row.beat_at).total_seconds() <= stale_after_seconds]
    return {
        "alive": len(live),
        "stale_after_seconds": stale_after_seconds,
        "last_heartbeat_at": isoformat(rows[0].beat_at) if rows else None,
        "items": [
            {
                "id": row.id,
                "hostname": row.hostname,
                "pid": row.pid,
                "started_at": isoformat(row.started_at),
                "last_heartbeat_at": isoformat(row.beat_at),
            }
            for row in live
        ],
    }


def readiness(session: Session, stale_after_seconds: float) -> str:
    """`ok` while a live worker would take queued work; otherwise why not."""
    alive = summary(session, stale_after_seconds)
    if alive["alive"]:
        return "ok"
    since = alive["last_heartbeat_at"] or "never"
    return f"error: no live job worker (last heartbeat: {since}); queued jobs will not run"


def init_app(queue: JobQueue, settings: Settings) -> None:
    """Every worker process of `queue` beats every `WORKER_HEARTBEAT_SECONDS`, and retires its row
    when it stops cleanly."""
    heartbeat = Heartbeat()
    queue.register_maintenance(
        "workers.heartbeat", settings.worker_heartbeat_seconds, heartbeat.beat
    )
    queue.register_shutdown(heartbeat.retire)
