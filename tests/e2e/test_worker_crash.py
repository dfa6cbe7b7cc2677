"""A worker killed with SIGKILL mid-job loses nothing: the job completes exactly once."""

from __future__ import annotations

import pytest
import requests

from tests.e2e.harness import wait_for


@pytest.fixture
def crash_gateway(start_gateway, runpod_emulator, mode_env):
    runpod_emulator.configure(reset=True, execution_time=4.0, progress_steps=4)
    env = {
        **mode_env,
        "RUNPOD_API_KEY": "rp-test-key",
        "RUNPOD_ENDPOINT_ID": "test-endpoint",
        "RUNPOD_BASE_URL": f"{runpod_emulator.url}/v2",
        "RUNPOD_POLL_INTERVAL_SECONDS": "0.2",
        "DUPLICATE_MAX_DISTANCE": "0",
    }
    return start_gateway(env, workers=1)


def _emulator_stats(emulator) -> dict:
    return requests.get(f"{emulator.url}/_emulator/stats", timeout=5).json()


def test_sigkilled_worker_mid_job_still_completes_the_job_exactly_once(
    crash_gateway, runpod_emulator
):
    gateway = crash_gateway
    job_id = gateway.generate(prompt="crash test poster", backend="runpod", batch_size=2, seed=5)
    wait_for(
        # Progress comes from polling RunPod, which starts once the gateway stored RunPod's job
        # id: a worker killed before that leaves a resumed job nothing to resume but a resubmit.
        lambda: (
            (job := gateway.job(job_id))["status"] == "processing"
            and job["progress"] > 0
            and _emulator_stats(runpod_emulator)["request_ids"].get(job_id) == 1
        ),
        timeout=30,
        what="the job to be running on the RunPod emulator",
    )
    gateway.kill_worker(gateway.workers[0])
    assert gateway.job(job_id)["status"] == "processing"

    gateway.start_worker()
    job = gateway.wait_job(job_id, timeout=90)

    assert job["status"] == "completed", job
    assert len(job["image_ids"]) == 2
    assert job["attempts"] >= 2  # more only if a loaded machine stalled a heartbeat past the lease
    images = gateway.get("/api/v1/images", params={"limit": 200}).json()
    assert images["total"] == 2
    assert sorted(item["seed"] for item in images["items"]) == [5, 6]
    stats = _emulator_stats(runpod_emulator)
    assert stats["request_ids"][job_id] == 1, (
        "the resumed job must not be submitted to RunPod again"
    )
