"""The Printify pacer: moving-window budgets per bucket, in memory or shared by every process
through Redis or the database."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from limits import parse
from limits.storage import MemoryStorage, RedisStorage
from sqlalchemy import Engine, create_engine

from gateway.app.clients.pacing import (
    CATALOG,
    GLOBAL,
    PUBLISH,
    DatabaseStorage,
    Pacer,
    PacingDelay,
    build_pacer,
)
from gateway.app.database import sqlite_transactions


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


@pytest.fixture
def process_engines(app: Flask) -> Iterator[list[Engine]]:
    """Three engines on the app's database, each standing for a separate process's pool."""
    url = app.extensions["generation"].engine.url
    engines = [sqlite_transactions(create_engine(url), immediate=False) for _ in range(3)]
    yield engines
    for engine in engines:
        engine.dispose()


def test_without_redis_processes_share_one_budget_through_the_database(
    process_engines: list[Engine],
) -> None:
    first, second, _ = (Pacer(DatabaseStorage(engine), budgets()) for engine in process_engines)
    first.acquire([PUBLISH, GLOBAL], max_wait=0)
    first.acquire([PUBLISH, GLOBAL], max_wait=0)
    second.acquire([PUBLISH, GLOBAL], max_wait=0)
    with pytest.raises(PacingDelay) as caught:
        second.acquire([PUBLISH], max_wait=0)
    assert 50 < caught.value.seconds <= 61
    assert first.remaining() == {GLOBAL: 97, CATALOG: 2, PUBLISH: 0}


def test_concurrent_takers_on_the_database_never_share_out_more_than_the_budget(
    process_engines: list[Engine],
) -> None:
    taken: list[bool] = []
    lock = threading.Lock()

    def take(engine: Engine) -> None:
        pacer = Pacer(DatabaseStorage(engine), budgets(publish="25/minute"))
        for _ in range(15):
            try:
                pacer.acquire([PUBLISH], max_wait=0)
                outcome = True
            except PacingDelay:
                outcome = False
            with lock:
                taken.append(outcome)

    threads = [threading.Thread(target=take, args=(engine,)) for engine in process_engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(taken) == 45
    assert taken.count(True) == 25


def test_database_windows_forget_hits_once_they_leave_the_window(
    process_engines: list[Engine],
) -> None:
    storage = DatabaseStorage(process_engines[0])
    assert storage.acquire_entry("printify/publish", 2, 60)
    assert storage.acquire_entry("printify/publish", 2, 60)
    assert not storage.acquire_entry("printify/publish", 2, 60)
    assert storage.get_moving_window("printify/publish", 2, 60)[1] == 2
    # With a zero-length window every earlier hit is outside it and is dropped on the next take.
    assert storage.acquire_entry("printify/publish", 2, 0)
    storage.clear("printify/publish")
    assert storage.get_moving_window("printify/publish", 2, 60)[1] == 0
    assert not storage.acquire_entry("printify/publish", 2, 60, amount=3)


def test_the_gateway_paces_through_redis_when_configured_and_the_database_otherwise(
    app: Flask, redis_url: str
) -> None:
    settings = app.extensions["publishing"].settings
    engine = app.extensions["generation"].engine
    embedded = build_pacer(settings, engine)
    assert isinstance(embedded.storage, DatabaseStorage)
    shared = build_pacer(settings.model_copy(update={"redis_url": redis_url}), engine)
    assert isinstance(shared.storage, RedisStorage)
