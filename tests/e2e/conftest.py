"""End-to-end fixtures: a running gateway (gunicorn + workers) and the emulators as processes."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.e2e.harness import Gateway
from tests.emulators.process import EmulatorProcess

pytestmark = pytest.mark.e2e


@pytest.fixture
def start_gateway(tmp_path) -> Iterator[Callable[..., Gateway]]:
    """Start a gateway with extra environment; every one started is stopped after the test."""
    started: list[Gateway] = []

    def start(
        env: dict[str, str] | None = None, *, workers: int = 1, web_workers: int = 2
    ) -> Gateway:
        gateway = Gateway(tmp_path / f"gw{len(started)}", env or {}, web_workers=web_workers)
        started.append(gateway)
        return gateway.start(workers=workers)

    yield start
    for gateway in started:
        gateway.stop()


@pytest.fixture
def gateway(start_gateway) -> Gateway:
    return start_gateway()


@pytest.fixture(scope="module")
def runpod_emulator() -> Iterator[EmulatorProcess]:
    emulator = EmulatorProcess("tests.emulators.runpod").start()
    yield emulator
    emulator.stop()


@pytest.fixture(scope="module")
def comfyui_emulator(tmp_path_factory) -> Iterator[EmulatorProcess]:
    output = tmp_path_factory.mktemp("comfy-output")
    emulator = EmulatorProcess("tests.emulators.comfyui", ["--output-dir", str(output)]).start()
    yield emulator
    emulator.stop()
