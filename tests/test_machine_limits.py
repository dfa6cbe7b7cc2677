"""The machine-wide rate-limit store: exact across processes, windows that slide and expire."""

from __future__ import annotations

import math
import multiprocessing
import time
from pathlib import Path

from limits import RateLimitItemPerHour
from limits.strategies import SlidingWindowCounterRateLimiter

from gateway.app.machine_limits import MachineStorage


def _storage(path: Path) -> MachineStorage:
    return MachineStorage(f"podgw+sqlite://{path}")


def _hammer(path: str, attempts: int, results: multiprocessing.Queue) -> None:
    limiter = SlidingWindowCounterRateLimiter(_storage(Path(path)))
    item = RateLimitItemPerHour(25)
    results.put(sum(limiter.hit(item, "generation", "key_1") for _ in range(attempts)))


def test_processes_hitting_one_limit_at_once_get_exactly_the_limit(tmp_path):
    path = tmp_path / "limits.db"
    _storage(path)
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    processes = [context.Process(target=_hammer, args=(str(path), 15, results)) for _ in range(4)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=60)
    assert sum(results.get(timeout=5) for _ in processes) == 25


def test_window_stats_are_the_same_from_every_process(tmp_path):
    path = tmp_path / "limits.db"
    first, second = (SlidingWindowCounterRateLimiter(_storage(path)) for _ in range(2))
    item = RateLimitItemPerHour(10)
    for _ in range(4):
        assert first.hit(item, "read", "key_1")
    assert second.get_window_stats(item, "read", "key_1").remaining == 6
    assert second.hit(item, "read", "key_1")
    assert first.get_window_stats(item, "read", "key_1").remaining == 5


def test_the_hour_before_weighs_in_and_a_refused_hit_counts_nothing(tmp_path):
    storage = _storage(tmp_path / "limits.db")
    limiter = SlidingWindowCounterRateLimiter(storage)
    item = RateLimitItemPerHour(5)
    key, expiry = item.key_for("read", "key_1"), item.get_expiry()
    previous_key, _ = storage.sliding_window_keys(key, expiry, time.time())
    storage.incr(previous_key, 2 * expiry, 4)
    allowed = sum(limiter.hit(item, "read", "key_1") for _ in range(7))
    previous, previous_ttl, current, _ = storage.get_sliding_window(key, expiry)
    assert (previous, current) == (4, allowed)
    assert allowed == 5 - math.floor(4 * previous_ttl / expiry)


def test_an_expired_counter_starts_again(tmp_path):
    storage = _storage(tmp_path / "limits.db")
    item = RateLimitItemPerHour(3)
    key, expiry = item.key_for("read", "key_1"), item.get_expiry()
    _, current_key = storage.sliding_window_keys(key, expiry, time.time())
    storage.incr(current_key, -1, 3)  # already expired: counts nothing
    assert storage.acquire_sliding_window_entry(key, item.amount, expiry)
    assert storage.get_sliding_window(key, expiry)[2] == 1
    assert storage.get_expiry(current_key) > time.time() + expiry


def test_clearing_and_resetting_forget_counts(tmp_path):
    storage = _storage(tmp_path / "limits.db")
    limiter = SlidingWindowCounterRateLimiter(storage)
    item = RateLimitItemPerHour(1)
    assert limiter.hit(item, "login", "rita")
    assert not limiter.hit(item, "login", "rita")
    limiter.clear(item, "login", "rita")
    assert limiter.hit(item, "login", "rita")
    storage.reset()
    assert limiter.hit(item, "login", "rita")


def test_fixed_window_counters_count_and_clear(tmp_path):
    storage = _storage(tmp_path / "limits.db")
    assert storage.incr("k", expiry=0.05) == 1
    assert storage.incr("k", expiry=0.05) == 2
    assert storage.get("k") == 2
    assert storage.get_expiry("k") > 0
    storage.clear("k")
    assert storage.get("k") == 0
    assert storage.check()
