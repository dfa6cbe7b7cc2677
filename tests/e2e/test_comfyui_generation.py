"""ComfyUI backend over real HTTP: gateway + worker processes against the ComfyUI emulator.

One gateway serves the module; before every test the emulator's knobs and stats are reset and its
queue, history and node cache wiped, so no test sees another's cached nodes or prompts.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.e2e.conftest import GatewayFactory
from tests.e2e.harness import Gateway, wait_for
from tests.emulators.process import EmulatorProcess

pytestmark = pytest.mark.e2e
SIZE = {"width": 256, "height": 256}


@pytest.fixture(scope="module")
def gateway(module_gateways: GatewayFactory, comfyui_emulator: EmulatorProcess) -> Gateway:
    return module_gateways({"GENERATION_BACKEND": "comfyui", "COMFYUI_URL": comfyui_emulator.url})


@pytest.fixture(autouse=True)
def emulator(comfyui_emulator: EmulatorProcess) -> EmulatorProcess:
    comfyui_emulator.configure(reset=True, wipe=True)
    return comfyui_emulator


def stats(emulator: EmulatorProcess) -> dict[str, Any]:
    return requests.get(f"{emulator.url}/_emulator/stats", timeout=5).json()


def running_with_progress(gateway: Gateway, job_id: str) -> dict[str, Any]:
    """Wait until the job runs on ComfyUI and reports a progress strictly between 0 and 1."""
    return wait_for(
        lambda: (
            (job := gateway.job(job_id))["status"] == "processing"
            and 0 < job["progress"] < 1
            and job
        ),
        timeout=30,
        interval=0.05,
        what=f"job {job_id} to report progress while running",
    )


def seeds_of(gateway: Gateway, job: dict[str, Any]) -> list[int]:
    return [gateway.get(f"/api/v1/images/{i}").json()["seed"] for i in job["image_ids"]]


def test_batch_of_four_yields_pending_images_with_consecutive_seeds_and_progress(gateway, emulator):
    emulator.configure(execution_time=3.0, steps=6)
    job_id = gateway.generate(prompt="botanical line art", batch_size=4, seed=1000, **SIZE)
    assert running_with_progress(gateway, job_id)["backend"] == "comfyui"

    job = gateway.wait_job(job_id)

    assert job["status"] == "completed", job
    assert job["progress"] == 1.0
    assert job["warnings"] == []
    assert seeds_of(gateway, job) == [1000, 1001, 1002, 1003]
    listing = gateway.get("/api/v1/images", params={"status": "pending"}).json()
    assert set(job["image_ids"]) <= {item["id"] for item in listing["items"]}
    assert stats(emulator)["prompts_queued"] == 1


def test_dropped_websocket_still_completes_through_history(gateway, emulator):
    emulator.configure(drop_ws="close", execution_time=1.5, steps=3)
    job = gateway.wait_job(gateway.generate(prompt="lost socket", batch_size=2, seed=2000, **SIZE))

    assert job["status"] == "completed", job
    assert seeds_of(gateway, job) == [2000, 2001]
    assert stats(emulator)["prompts_queued"] == 1


def test_execution_error_fails_the_job_with_the_servers_message(gateway, emulator):
    emulator.configure(outcome="error")
    job = gateway.wait_job(gateway.generate(prompt="out of memory", seed=3000, **SIZE))

    assert job["status"] == "failed", job
    assert job["error"]["code"] == "GENERATION_FAILED"
    assert "Allocation on device 0 would exceed allowed memory" in job["error"]["message"]
    assert job["image_ids"] == []


def test_partial_output_completes_with_the_good_images_and_warnings(gateway, emulator):
    emulator.configure(outcome="partial")
    job = gateway.wait_job(
        gateway.generate(prompt="one goes missing", batch_size=3, seed=4000, **SIZE)
    )

    assert job["status"] == "completed", job
    assert seeds_of(gateway, job) == [4000, 4001]
    assert len(job["warnings"]) == 1
    assert "/view answered 404" in job["warnings"][0]


def test_cancel_mid_run_cancels_the_job_and_interrupts_the_prompt(gateway, emulator):
    emulator.configure(execution_time=20.0, steps=20)
    job_id = gateway.generate(prompt="too slow", seed=5000, **SIZE)
    running_with_progress(gateway, job_id)

    response = gateway.post(f"/api/v1/jobs/{job_id}/cancel")

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    wait_for(
        lambda: stats(emulator).get("interrupts", 0) >= 1,
        timeout=20,
        what="the emulator to interrupt the running prompt",
    )
    queue = wait_for(
        lambda: (
            (q := requests.get(f"{emulator.url}/queue", timeout=5).json())["queue_running"] == []
            and q
        ),
        timeout=20,
        what="the interrupted prompt to stop running",
    )
    assert queue["queue_pending"] == []
    job = gateway.job(job_id)
    assert job["status"] == "cancelled"
    assert job["image_ids"] == []
