"""Client-side pacing inside Printify's published limits, shared by every process through Redis.

Printify counts 600 requests/min per account, 100/min on the catalog and 200 publishes per 30 min,
and wants fewer than 5 % of requests to fail, so the gateway never sends a request that would be
refused: each call first takes a slot in a moving window per bucket (`limits`' moving-window
strategy). Every process that calls Printify (web workers browsing the catalog, job workers
publishing) shares one budget: in Redis when `REDIS_URL` is set, else in the database (the embedded
default, where gunicorn's web workers and the job worker are separate processes). The defaults sit
5 % under the published limits to absorb the network's reordering between our clock and Printify's.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence

from limits import RateLimitItem, parse
from limits.storage import MovingWindowSupport, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import Connection, Engine, delete, func, insert, select, text
from sqlalchemy.exc import SQLAlchemyError

from gateway.app.clients.models import PacingHit
from gateway.app.settings import Settings

GLOBAL = "global"
CATALOG = "catalog"
PUBLISH = "publish"


class PacingDelay(Exception):
    """Taking a slot would mean waiting longer than the caller allows; try again after `seconds`."""

    def __init__(self, bucket: str, seconds: float) -> None:
        super().__init__(f"Printify {bucket} budget spent; next slot in {seconds:.1f} s")
        self.bucket = bucket
        self.seconds = seconds


HITS = PacingHit.__table__


class DatabaseStorage(Storage, MovingWindowSupport):
    """Moving windows kept in the `pacing_hits` table, for processes that share a database only.

    Taking a slot is one short transaction that first locks the key (SQLite: the write lock its
    first statement takes; PostgreSQL: a transaction-level advisory lock), then drops hits that
    left the window, counts the rest and adds the new hit when there is room, so no two processes
    can both take the last slot. Only the moving-window calls the pacer makes are offered.
    """

    STORAGE_SCHEME = None  # built from an engine, never from a URI

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def _lock(self, connection: Connection, key: str, now: float, expiry: int) -> None:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})
        connection.execute(delete(HITS).where(HITS.c.key == key, HITS.c.at <= now - expiry))

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        if amount > limit:
            return False
        now = time.time()
        with self.engine.begin() as connection:
            self._lock(connection, key, now, expiry)
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

    def reset(self) -> int:
        with self.engine.begin() as connection:
            return connection.execute(delete(HITS)).rowcount

    def check(self) -> bool:
        with self.engine.connect() as connection:
            connection.execute(select(func.count()).select_from(HITS))
        return True

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        raise NotImplementedError("fixed windows are not kept in the database; the pacer moves")

    def get(self, key: str) -> int:
        raise NotImplementedError("fixed windows are not kept in the database; the pacer moves")

    def get_expiry(self, key: str) -> float:
        raise NotImplementedError("fixed windows are not kept in the database; the pacer moves")


class Pacer:
    """Moving-window budgets per bucket; `acquire` blocks (briefly) until every bucket has room."""

    def __init__(
        self,
        storage: Storage,
        budgets: dict[str, RateLimitItem],
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.storage = storage
        self._limiter = MovingWindowRateLimiter(storage)
        self.budgets = budgets
        self._sleep = sleep

    def acquire(self, buckets: Sequence[str], *, max_wait: float) -> float:
        """Take one slot in each bucket (narrow ones first), waiting up to `max_wait` seconds in all.

        Returns the seconds spent waiting. A slot taken in a narrow bucket is kept while waiting for
        the global one, which only ever errs on the side of sending less.
        """
        waited = 0.0
        for bucket in sorted(buckets, key=lambda name: name == GLOBAL):
            item = self.budgets[bucket]
            while not self._limiter.hit(item, "printify", bucket):
                reset_at = self._limiter.get_window_stats(item, "printify", bucket).reset_time
                pause = max(0.01, reset_at - time.time()) + random.uniform(0, 0.05)
                if waited + pause > max_wait:
                    raise PacingDelay(bucket, pause)
                self._sleep(pause)
                waited += pause
        return waited

    def remaining(self) -> dict[str, int]:
        """Slots left now per bucket (for `/api/v1/status` and the templates page)."""
        return {
            bucket: self._limiter.get_window_stats(item, "printify", bucket).remaining
            for bucket, item in self.budgets.items()
        }

    def reset(self) -> None:
        for bucket, item in self.budgets.items():
            self._limiter.clear(item, "printify", bucket)


def build_pacer(settings: Settings, engine: Engine) -> Pacer:
    """Budgets shared through Redis when configured, else through the database behind `engine`."""
    storage: Storage
    if settings.redis_url:
        storage = RedisStorage(settings.redis_url, key_prefix=f"{settings.redis_prefix}:printify")
    else:
        storage = DatabaseStorage(engine)
    return Pacer(
        storage,
        {
            GLOBAL: parse(settings.printify_rate_global),
            CATALOG: parse(settings.printify_rate_catalog),
            PUBLISH: parse(settings.printify_rate_publish),
        },
    )
