"""The job queue: Huey on SQLite (embedded) or Redis (distributed), tasks run in an app context.

Huey is the transport only. Each task takes ids, and the durable rows it works on (generation jobs)
carry their own state and lease, so a lost queue message or a killed worker is repaired by the reaper
rather than by the queue.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from typing import Any

import redis
from flask import Flask
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey

from gateway.app.extensions import db
from gateway.app.settings import Settings

log = logging.getLogger(__name__)
TRANSPORT_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, sqlite3.Error)


def build_huey(settings: Settings, *, immediate: bool = False) -> Huey:
    """SQLite storage in the state dir without REDIS_URL, Redis with it; in-memory when immediate."""
    name = f"{settings.redis_prefix}-jobs"
    if immediate:
        return MemoryHuey(name, immediate=True)
    if settings.redis_url:
        return RedisHuey(name, url=settings.redis_url)
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=str(settings.state_dir / "queue.db"), timeout=30)


class JobQueue:
    """Named tasks over one Huey instance, plus the periodic maintenance the worker runs."""

    def __init__(self, app: Flask, huey: Huey) -> None:
        self.app = app
        self.huey = huey
        self._tasks: dict[str, Any] = {}
        self._maintenance: list[tuple[str, float, Callable[[], object]]] = []
        self._on_stop: list[Callable[..., None]] = []

    def _in_app_context(self, fn: Callable[..., object]) -> Callable[..., None]:
        app = self.app

        def run(*args: object) -> None:
            with app.app_context():
                try:
                    fn(*args)
                finally:
                    db.session.remove()

        run.__name__ = fn.__name__
        return run

    def register(self, name: str, fn: Callable[..., object]) -> None:
        self._tasks[name] = self.huey.task(name=name)(self._in_app_context(fn))

    def register_maintenance(
        self, name: str, every_seconds: float, fn: Callable[[], object]
    ) -> None:
        """A function every worker calls on a fixed interval (the reaper, outbox sweeps)."""
        self._maintenance.append((name, every_seconds, self._in_app_context(fn)))

    def register_shutdown(self, fn: Callable[[], object]) -> None:
        """A function a worker calls once when it stops cleanly (after its consumer)."""
        self._on_stop.append(self._in_app_context(fn))

    def enqueue(self, name: str, *args: object) -> None:
        """Send a task. A transport that cannot be reached (Redis down, the SQLite queue locked)
        loses only the message: every task's durable row is already committed and the workers'
        sweeps re-send what has no message, so the caller's request still succeeds."""
        try:
            self._tasks[name](*args)
        except TRANSPORT_ERRORS as error:
            log.warning("queue unreachable, %s%s left to the sweeps: %s", name, args, error)

    def check(self) -> None:
        """Raise if the transport cannot be reached (readiness probe)."""
        self.huey.pending_count()

    def run_worker(self, concurrency: int) -> None:
        """Run a consumer with `concurrency` threads and the maintenance loops until signalled."""
        stop = threading.Event()
        for name, interval, fn in self._maintenance:
            threading.Thread(
                target=_every, args=(name, interval, fn, stop), name=name, daemon=True
            ).start()
        consumer = self.huey.create_consumer(workers=concurrency, worker_type="thread")
        try:
            consumer.run()
        finally:
            stop.set()
            for fn in self._on_stop:
                try:
                    fn()
                except Exception:
                    log.exception("shutdown task %s failed", fn.__name__)


def _every(name: str, interval: float, fn: Callable[[], object], stop: threading.Event) -> None:
    while True:
        try:
            fn()
        except Exception:
            log.exception("maintenance task %s failed", name)
        if stop.wait(interval):
            return


def init_app(app: Flask, settings: Settings) -> JobQueue:
    queue = JobQueue(app, build_huey(settings, immediate=app.config.get("QUEUE_IMMEDIATE", False)))
    app.extensions["queue"] = queue
    return queue


def get_queue(app: Flask) -> JobQueue:
    return app.extensions["queue"]
