"""Client-side pacing inside Printify's published limits, shared by every process through Redis.

Printify counts 600 requests/min per account, 100/min on the catalog and 200 publishes per 30 min,
and wants fewer than 5 % of requests to fail, so the gateway never sends a request that would be
refused: each call first takes a slot in a moving window per bucket (`limits`' moving-window
strategy). Every process that calls Printify (web workers browsing the catalog, job workers
publishing) shares one budget: in Redis when `REDIS_URL` is set, else in the storage the caller
hands in (publishing's database-backed windows, for the embedded default, where gunicorn's web
workers and the job worker are separate processes). The defaults sit
5 % under the published limits to absorb the network's reordering between our clock and Printify's.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence

from limits import RateLimitItem, parse
from limits.storage import RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter

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


def build_pacer(settings: Settings, shared_storage: Storage) -> Pacer:
    """Budgets shared through Redis when configured, else through `shared_storage` (the caller's
    database-backed windows: every process of one deployment shares its database)."""
    storage: Storage
    if settings.redis_url:
        storage = RedisStorage(settings.redis_url, key_prefix=f"{settings.redis_prefix}:printify")
    else:
        storage = shared_storage
    return Pacer(
        storage,
        {
            GLOBAL: parse(settings.printify_rate_global),
            CATALOG: parse(settings.printify_rate_catalog),
            PUBLISH: parse(settings.printify_rate_publish),
        },
    )
