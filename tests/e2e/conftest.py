"""End-to-end fixtures: running gateways (gunicorn + workers) and the emulators as processes.

Starting a gateway takes seconds, so each test module shares its gateways (`module_gateways`);
tests that kill or reconfigure processes start their own (`start_gateway`).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from tests.e2e.harness import Gateway
from tests.e2e.webhooks import Hooks, start_receiver
from tests.emulators.process import EmulatorProcess

pytestmark = pytest.mark.e2e
GatewayFactory = Callable[..., Gateway]


def _factory(root: Path) -> tuple[GatewayFactory, list[Gateway]]:
    started: list[Gateway] = []

    def start(
        env: dict[str, str] | None = None, *, workers: int = 1, web_workers: int = 2
    ) -> Gateway:
        gateway = Gateway(root / f"gw{len(started)}", env or {}, web_workers=web_workers)
        started.append(gateway)
        return gateway.start(workers=workers)

    return start, started


@pytest.fixture
def start_gateway(tmp_path: Path) -> Iterator[GatewayFactory]:
    """Start a gateway for this test only; stopped when the test ends."""
    start, started = _factory(tmp_path)
    yield start
    for gateway in started:
        gateway.stop()


@pytest.fixture(scope="module")
def module_gateways(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayFactory]:
    """Start gateways shared by the tests of one module; stopped after the module."""
    start, started = _factory(tmp_path_factory.mktemp("gateways"))
    yield start
    for gateway in started:
        gateway.stop()


@pytest.fixture(scope="module")
def gateway(module_gateways: GatewayFactory) -> Gateway:
    """A gateway on embedded defaults (SQLite, SQLite queue, local storage, local backend)."""
    return module_gateways()


@pytest.fixture(scope="module")
def runpod_emulator() -> Iterator[EmulatorProcess]:
    emulator = EmulatorProcess("tests.emulators.runpod").start()
    yield emulator
    emulator.stop()


@pytest.fixture(scope="module")
def comfyui_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    output = tmp_path_factory.mktemp("comfy-output")
    emulator = EmulatorProcess("tests.emulators.comfyui", ["--output-dir", str(output)]).start()
    yield emulator
    emulator.stop()


@pytest.fixture(scope="module")
def receiver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    """The webhook receiver emulator, one process per test module."""
    process = start_receiver(tmp_path_factory.mktemp("receiver"))
    yield process
    process.stop()


@pytest.fixture
def hooks(
    gateway: Gateway, receiver: EmulatorProcess, request: pytest.FixtureRequest
) -> Iterator[Hooks]:
    """Per-test webhook subscriptions on the module's gateway, removed afterwards."""
    with Hooks(gateway, receiver, request.node.name) as helper:
        yield helper


@pytest.fixture(scope="module")
def printify_emulator() -> Iterator[EmulatorProcess]:
    """The Printify emulator, one process per test module (tests reset its knobs and state)."""
    emulator = EmulatorProcess("tests.emulators.printify").start()
    yield emulator
    emulator.stop()


@pytest.fixture(params=["embedded", "distributed"])
def mode_env(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """A gateway's engines: embedded (SQLite, SQLite queue) or distributed (PostgreSQL, Redis
    queue) under a Redis key prefix of its own, whose keys are removed afterwards."""
    prefix = f"pode2e{secrets.token_hex(4)}"
    if request.param == "embedded":
        yield {"REDIS_PREFIX": prefix}
        return
    redis_url = request.getfixturevalue("redis_url")
    database = request.getfixturevalue("make_postgres_database")()
    yield {"DATABASE_URL": database, "REDIS_URL": redis_url, "REDIS_PREFIX": prefix}
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(f"*{prefix}*"):
        client.delete(key)
