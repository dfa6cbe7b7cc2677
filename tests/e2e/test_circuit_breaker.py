"""The RunPod circuit breaker over real HTTP: an outage opens it, submissions are refused at once,
and after the reset timeout a successful trial job closes it again; the local backend never notices.

The breaker's state lives in the database, so what the worker process learns (failures) is what the
API processes answer with (503, `/api/v1/backends`, `/metrics`). Each outage scenario ends with the
circuit closed, so the scenarios share one gateway.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.e2e.conftest import GatewayFactory
from tests.e2e.harness import Gateway, wait_for
from tests.emulators.process import EmulatorProcess
from tests.emulators.runpod import API_KEY, ENDPOINT_ID

pytestmark = pytest.mark.e2e
SIZE = {"width": 256, "height": 256}
FAIL_MAX = 2


@pytest.fixture(scope="module")
def gateway(module_gateways: GatewayFactory, runpod_emulator: EmulatorProcess) -> Gateway:
    return module_gateways(
        {
            "RUNPOD_API_KEY": API_KEY,
            "RUNPOD_ENDPOINT_ID": ENDPOINT_ID,
            "RUNPOD_BASE_URL": f"{runpod_emulator.url}/v2",
            "RUNPOD_POLL_INTERVAL_SECONDS": "0.1",
            "CIRCUIT_FAIL_MAX": str(FAIL_MAX),
            "CIRCUIT_RESET_SECONDS": "5",
            "BACKEND_MAX_ATTEMPTS": "1",
        }
    )


class Outage:
    """Takes the RunPod emulator away (503 for everything, or the process stopped) and back."""

    def __init__(self, emulator: EmulatorProcess, kind: str) -> None:
        self.emulator, self.kind, self.active = emulator, kind, False

    def begin(self) -> None:
        self.active = True
        if self.kind == "down":
            self.emulator.configure(down=True)
        else:
            self.emulator.stop()

    def end(self) -> None:
        if not self.active:
            return
        self.active = False
        if self.kind == "down":
            self.emulator.configure(down=False)
        else:
            self.emulator.start()


@pytest.fixture(params=["down", "stopped"])
def outage(request: pytest.FixtureRequest, runpod_emulator: EmulatorProcess) -> Iterator[Outage]:
    runpod_emulator.configure(reset=True)
    outage = Outage(runpod_emulator, request.param)
    yield outage
    outage.end()


def backend(gateway: Gateway, name: str) -> dict[str, Any]:
    listing = gateway.get("/api/v1/backends")
    assert listing.status_code == 200, listing.text
    return next(row for row in listing.json() if row["name"] == name)


def circuit_metric(gateway: Gateway, service: str) -> float:
    text = requests.get(f"{gateway.url}/metrics", timeout=10).text
    match = re.search(rf'^pod_circuit_breaker_state{{service="{service}"}} (\S+)$', text, re.M)
    assert match, f"no circuit gauge for {service}"
    return float(match.group(1))


def local_generation_completes(gateway: Gateway) -> None:
    job = gateway.wait_job(gateway.generate(backend="local", prompt="still fine", **SIZE))
    assert job["status"] == "completed", job


def test_runpod_outage_opens_the_circuit_refuses_at_once_and_a_trial_job_closes_it(gateway, outage):
    assert backend(gateway, "runpod")["circuit"] == "closed"
    outage.begin()

    for _ in range(FAIL_MAX):
        failed = gateway.wait_job(gateway.generate(backend="runpod", prompt="outage", **SIZE))
        assert failed["status"] == "failed", failed
        assert failed["error"]["code"] == "BACKEND_UNAVAILABLE"
        assert failed["error"]["message"].startswith("RunPod run failed")

    refused = gateway.post("/api/v1/generate", json={"backend": "runpod", "prompt": "no", **SIZE})
    assert refused.status_code == 503, refused.text
    body = refused.json()
    assert body["code"] == "SERVICE_UNAVAILABLE"
    assert "circuit open" in body["error"]
    assert body["details"]["backend"] == "runpod"
    assert body["request_id"]
    assert int(refused.headers["Retry-After"]) >= 1
    runpod = backend(gateway, "runpod")
    assert (runpod["circuit"], runpod["status"]) == ("open", "down")
    assert circuit_metric(gateway, "runpod") == 2.0
    assert backend(gateway, "local")["circuit"] == "closed"
    assert circuit_metric(gateway, "local") == 0.0
    local_generation_completes(gateway)

    outage.end()
    wait_for(
        lambda: backend(gateway, "runpod")["circuit"] == "half_open",
        timeout=30,
        interval=0.5,
        what="the runpod circuit to turn half-open after the reset timeout",
    )
    assert circuit_metric(gateway, "runpod") == 1.0
    trial = gateway.wait_job(gateway.generate(backend="runpod", prompt="trial", seed=5, **SIZE))

    assert trial["status"] == "completed", trial
    assert backend(gateway, "runpod")["circuit"] == "closed"
    assert circuit_metric(gateway, "runpod") == 0.0
    local_generation_completes(gateway)
