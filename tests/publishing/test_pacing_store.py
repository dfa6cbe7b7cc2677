"""Printify pacing windows in the database: one budget for every process, never overspent."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from limits.storage import RedisStorage
from sqlalchemy import Engine, create_engine

from gateway.app.clients.pacing import CATALOG, GLOBAL, PUBLISH, Pacer, PacingDelay, build_pacer
from gateway.app.database import sqlite_transactions
from gateway.app.publishing.pacing_store import DatabasePacingStorage
from tests.clients.test_pacing import budgets


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
    first, second, _ = (
        Pacer(DatabasePacingStorage(engine), budgets()) for engine in process_engines
    )
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
        pacer = Pacer(DatabasePacingStorage(engine), budgets(publish="25/minute"))
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
    storage = DatabasePacingStorage(process_engines[0])
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
    assert isinstance(app.extensions["publishing"].pacer.storage, DatabasePacingStorage)
    settings = app.extensions["publishing"].settings
    database = DatabasePacingStorage(app.extensions["generation"].engine)
    shared = build_pacer(settings.model_copy(update={"redis_url": redis_url}), database)
    assert isinstance(shared.storage, RedisStorage)
