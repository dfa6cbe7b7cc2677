"""The Printify pacer: moving-window budgets per bucket, in memory or shared through Redis."""

from __future__ import annotations

import secrets

import pytest
from limits import parse
from limits.storage import MemoryStorage, RedisStorage

from gateway.app.clients.pacing import CATALOG, GLOBAL, PUBLISH, Pacer, PacingDelay


def budgets(global_rate: str = "100/minute", publish: str = "3/minute") -> dict:
    return {GLOBAL: parse(global_rate), CATALOG: parse("2/minute"), PUBLISH: parse(publish)}


def test_slots_are_taken_without_waiting_while_the_budget_lasts() -> None:
    pacer = Pacer(MemoryStorage(), budgets())
    assert [pacer.acquire([PUBLISH, GLOBAL], max_wait=0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert pacer.remaining()[PUBLISH] == 0
    assert pacer.remaining()[GLOBAL] == 97


def test_a_spent_bucket_refuses_with_the_time_until_the_next_slot() -> None:
    pacer = Pacer(MemoryStorage(), budgets())
    for _ in range(3):
        pacer.acquire([PUBLISH], max_wait=0)
    with pytest.raises(PacingDelay) as caught:
        pacer.acquire([PUBLISH], max_wait=1)
    assert caught.value.bucket == PUBLISH
    assert 50 < caught.value.seconds <= 61


def test_a_short_wait_sleeps_until_the_window_frees_a_slot_then_gives_up() -> None:
    slept: list[float] = []
    pacer = Pacer(MemoryStorage(), budgets(publish="1/second"), sleep=slept.append)
    pacer.acquire([PUBLISH], max_wait=0)
    # The recorded sleep does not pass, so the window is still full after it: the pacer waits
    # once (about a second, within max_wait) and then gives up rather than send.
    with pytest.raises(PacingDelay):
        pacer.acquire([PUBLISH], max_wait=1.5)
    assert len(slept) == 1 and 0 < slept[0] <= 1.1


def test_processes_sharing_redis_share_one_budget(redis_url: str) -> None:
    prefix = f"podtest-{secrets.token_hex(4)}:printify"
    first = Pacer(RedisStorage(redis_url, key_prefix=prefix), budgets())
    second = Pacer(RedisStorage(redis_url, key_prefix=prefix), budgets())
    try:
        first.acquire([PUBLISH], max_wait=0)
        first.acquire([PUBLISH], max_wait=0)
        second.acquire([PUBLISH], max_wait=0)
        with pytest.raises(PacingDelay):
            second.acquire([PUBLISH], max_wait=0)
    finally:
        first.reset()
