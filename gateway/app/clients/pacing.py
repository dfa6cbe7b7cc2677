"""Client-side pacing inside Printify's published limits, shared by every process.

Printify counts 600 requests/min per account, 100/min on the catalog and 200 publishes per 30 min,
and wants fewer than 5 % of requests to fail, so the gateway never sends a request that would be
refused: each call first takes a slot in a moving window per bucket, kept in a `WindowStore`
(`limits`' Redis storage, or any store offering the same moving-window calls). Every process that
calls Printify (web workers browsing the catalog, job workers publishing) shares one budget: in
Redis when `REDIS_URL` is set, else in the store the caller hands in (publishing's database-backed
windows, for the embedded default, where gunicorn's web workers and the job worker are separate
processes). The defaults sit 5 % under the published limits to absorb the network's reordering
between our clock and Printify's.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from limits import RateLimitItem, parse
from limits.storage import RedisStorage

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


class WindowStore(Protocol):
    """Where moving windows are counted: the calls `limits`' moving-window storages offer."""

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool: ...

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]: ...

    def clear(self, key: str) -> None: ...


class Pacer:
    """Moving-window budgets per bucket; `acquire` blocks (briefly) until every bucket has room."""

    def __init__(
        self,
        storage: WindowStore,
        budgets: dict[str, RateLimitItem],
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.storage = storage
        self.budgets = budgets
        self._sleep = sleep

    def _key(self, bucket: str) -> str:
        return self.budgets[bucket].key_for("printify", bucket)

    def _window(self, bucket: str) -> tuple[float, int]:
        """When the bucket's oldest counted call leaves the window, and how many slots are free."""
        item = self.budgets[bucket]
        start, taken = self.storage.get_moving_window(
            self._key(bucket), item.amount, item.get_expiry()
        )
        return start + item.get_expiry(), item.amount - taken

    def acquire(self, buckets: Sequence[str], *, max_wait: float) -> float:
        """Take one slot in each bucket (narrow ones first), waiting up to `max_wait` seconds in all.

        Returns the seconds spent waiting. A slot taken in a narrow bucket is kept while waiting for
        the global one, which only ever errs on the side of sending less.
        """
        waited = 0.0
        for bucket in sorted(buckets, key=lambda name: name == GLOBAL):
            item = self.budgets[bucket]
            while not self.storage.acquire_entry(self._key(bucket), item.amount, item.get_expiry()):
                reset_at, _ = self._window(bucket)
                pause = max(0.01, reset_at - time.time()) + random.uniform(0, 0.05)
                if waited + pause > max_wait:
                    raise PacingDelay(bucket, pause)
                self._sleep(pause)
                waited += pause
        return waited

    def remaining(self) -> dict[str, int]:
        """Slots left now per bucket (for `/api/v1/status` and the templates page)."""
        return {bucket: self._window(bucket)[1] for bucket in self.budgets}

    def reset(self) -> None:
        for bucket in self.budgets:
            self.storage.clear(self._key(bucket))


def build_pacer(settings: Settings, shared_storage: WindowStore) -> Pacer:
    """Budgets shared through Redis when configured, else through `shared_storage` (the caller's
    database-backed windows: every process of one deployment shares its database)."""
    storage: WindowStore
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
