"""RunPod backend over real HTTP: gateway + worker processes against the RunPod emulator.

One gateway serves the module; the emulator's knobs are reset before every test. The generation
timeout needs a short GENERATION_TIMEOUT_SECONDS, so that test gets a second gateway of its own.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.e2e.conftest import GatewayFactory
from tests.e2e.harness import Gateway, wait_for
from tests.emulators.process import EmulatorProcess
from tests.emulators.runpod import API_KEY, ENDPOINT_ID

pytestmark = pytest.mark.e2e
SIZE = {"width": 256, "height": 256}


def runpod_env(emulator: EmulatorProcess, **extra: str) -> dict[str, str]:
    return {
        "GENERATION_BACKEND": "runpod",
        "RUNPOD_API_KEY": API_KEY,
        "RUNPOD_ENDPOINT_ID": ENDPOINT_ID,
        "RUNPOD_BASE_URL": f"{emulator.url}/v2",
        "RUNPOD_POLL_INTERVAL_SECONDS": "0.1",
        **extra,
    }


@pytest.fixture(scope="module")
def gateway(module_gateways: GatewayFactory, runpod_emulator: EmulatorProcess) -> Gateway:
    return module_gateways(runpod_env(runpod_emulator))


@pytest.fixture(scope="module")
def short_timeout_gateway(
    module_gateways: GatewayFactory, runpod_emulator: EmulatorProcess
) -> Gateway:
    env = runpod_env(runpod_emulator, GENERATION_TIMEOUT_SECONDS="2")
    return module_gateways(env, web_workers=1)


@pytest.fixture(autouse=True)
def emulator(runpod_emulator: EmulatorProcess) -> EmulatorProcess:
    """The RunPod emulator with default knobs and no jobs or counters left from other tests."""
    runpod_emulator.configure(reset=True)
    return runpod_emulator


def stats(emulator: EmulatorProcess) -> dict[str, Any]:
    return requests.get(f"{emulator.url}/_emulator/stats", timeout=5).json()


def running_with_progress(gateway: Gateway, job_id: str) -> dict[str, Any]:
    """Wait until the job runs remotely and reports a progress strictly between 0 and 1."""
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


def test_batch_of_four_yields_pending_images_with_consecutive_seeds_and_progress(gateway, emulator):
    emulator.configure(execution_time=2.0, progress_steps=5)
    job_id = gateway.generate(prompt="retro sunset badge", batch_size=4, seed=500, **SIZE)
    running = running_with_progress(gateway, job_id)
    assert running["backend"] == "runpod"

    job = gateway.wait_job(job_id)

    assert job["status"] == "completed", job
    assert job["progress"] == 1.0
    assert len(job["image_ids"]) == 4
    found = [gateway.get(f"/api/v1/images/{image_id}").json() for image_id in job["image_ids"]]
    assert [image["seed"] for image in found] == [500, 501, 502, 503]
    assert {image["status"] for image in found} == {"pending"}
    assert {image["backend"] for image in found} == {"runpod"}
    assert stats(emulator)["request_ids"] == {job_id: 1}


def test_one_worker_runs_two_runpod_jobs_at_the_same_time(gateway, emulator):
    """WORKER_CONCURRENCY is 2 in the harness: the circuit breaker must not serialise calls."""
    emulator.configure(execution_time=3.0)
    job_ids = [gateway.generate(prompt=f"parallel {n}", seed=n, **SIZE) for n in (1, 2)]

    wait_for(
        lambda: stats(emulator)["jobs"].get("IN_PROGRESS") == 2,
        timeout=20,
        what="both RunPod jobs to run at once",
    )
    assert [gateway.wait_job(job_id)["status"] for job_id in job_ids] == ["completed"] * 2


def test_cancel_mid_run_cancels_the_job_and_the_remote_runpod_job(gateway, emulator):
    emulator.configure(execution_time=20.0, progress_steps=20)
    job_id = gateway.generate(prompt="slow watercolor fox", seed=7, **SIZE)
    running_with_progress(gateway, job_id)

    response = gateway.post(f"/api/v1/jobs/{job_id}/cancel")

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    seen = wait_for(
        lambda: (s := stats(emulator))["terminal"].get("CANCELLED") == 1 and s,
        timeout=20,
        what="the emulator to cancel the RunPod job",
    )
    assert seen["requests"].get("cancel", 0) >= 1
    assert seen["request_ids"] == {job_id: 1}
    assert seen["jobs"] == {"CANCELLED": 1}
    job = gateway.job(job_id)
    assert job["status"] == "cancelled"
    assert job["image_ids"] == []


@pytest.mark.parametrize(
    ("outcome", "backend_message"),
    [
        ("failed", "Workflow validation failed"),
        ("failed_exception", "CUDA out of memory. Tried to allocate 2.00 GiB"),
    ],
)
def test_failed_runpod_job_fails_with_generation_failed_and_the_backends_message(
    gateway, emulator, outcome, backend_message
):
    emulator.configure(outcome=outcome)
    job = gateway.wait_job(gateway.generate(prompt="doomed", seed=3, **SIZE))

    assert job["status"] == "failed", job
    assert job["error"]["code"] == "GENERATION_FAILED"
    assert backend_message in job["error"]["message"]
    assert job["image_ids"] == []
    assert stats(emulator)["jobs_created"] == 1


def test_partial_output_completes_with_the_good_images_and_warnings(gateway, emulator):
    emulator.configure(outcome="partial")
    job = gateway.wait_job(gateway.generate(prompt="half done", batch_size=3, seed=40, **SIZE))

    assert job["status"] == "completed", job
    assert len(job["image_ids"]) == 2
    assert len(job["warnings"]) == 1
    assert "404 Not Found" in job["warnings"][0]
    seeds = [gateway.get(f"/api/v1/images/{i}").json()["seed"] for i in job["image_ids"]]
    assert seeds == [40, 41]


def test_s3_url_output_images_are_downloaded_and_stored(gateway, emulator):
    emulator.configure(output_type="s3_url")
    job = gateway.wait_job(gateway.generate(prompt="bucket art", batch_size=2, seed=60, **SIZE))

    assert job["status"] == "completed", job
    assert len(job["image_ids"]) == 2
    assert stats(emulator)["requests"]["files"] == 2
    original = gateway.get(f"/api/v1/images/{job['image_ids'][0]}/file")
    assert original.status_code == 200
    assert original.content.startswith(b"\x89PNG")


def test_429_storm_on_run_and_status_still_completes_with_exactly_one_runpod_job(gateway, emulator):
    """Six refused polls outlast one call's retries, so the job-level retry resumes the same job."""
    emulator.configure(retry_after=0.2, fail_next_n={"run": 2, "status": 6})
    job_id = gateway.generate(prompt="rate limited", seed=80, **SIZE)

    job = gateway.wait_job(job_id)

    assert job["status"] == "completed", job
    assert len(job["image_ids"]) == 1
    seen = stats(emulator)
    assert seen["jobs_created"] == 1
    assert seen["request_ids"] == {job_id: 1}
    assert seen["requests"]["run"] == 3
    assert seen["requests"]["status"] > 6


def test_generation_timeout_fails_the_job_with_timeout_and_cancels_the_remote_job(
    short_timeout_gateway, emulator
):
    emulator.configure(execution_time=30.0)
    job_id = short_timeout_gateway.generate(prompt="never ends", seed=90, **SIZE)

    job = short_timeout_gateway.wait_job(job_id, timeout=30)

    assert job["status"] == "failed", job
    assert job["error"]["code"] == "TIMEOUT"
    seen = wait_for(
        lambda: (s := stats(emulator))["terminal"].get("CANCELLED") == 1 and s,
        timeout=10,
        what="the emulator to cancel the timed-out RunPod job",
    )
    assert seen["requests"].get("cancel", 0) >= 1
    assert seen["request_ids"] == {job_id: 1}


def test_a_runpod_restart_mid_job_ends_the_job_once_and_later_jobs_run(gateway, emulator):
    """The emulator restarts as a real server does: its in-memory jobs are gone."""
    emulator.configure(execution_time=4.0)
    job_id = gateway.generate(prompt="restart mid job", **SIZE)
    running_with_progress(gateway, job_id)
    emulator.restart()
    emulator.configure(reset=True)
    job = gateway.wait_job(job_id, timeout=120)
    # RunPod lost the job: the gateway says so once, clearly, and neither retries nor resubmits it
    # (resubmitting would pay twice on a real endpoint that only lost track of a result).
    assert (job["status"], job["error"]["code"]) == ("failed", "RESULT_EXPIRED")
    assert job["image_ids"] == []
    assert stats(emulator)["jobs_created"] == 0  # the restarted server was not sent it again
    after = gateway.wait_job(gateway.generate(prompt="after the restart", **SIZE))
    assert after["status"] == "completed"
    [backend] = [b for b in gateway.get("/api/v1/backends").json() if b["name"] == "runpod"]
    assert backend["circuit"] == "closed"
