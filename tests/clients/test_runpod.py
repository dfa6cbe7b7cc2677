"""RunPodClient against the RunPod emulator running as a real process."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
import requests

from gateway.app.clients import runpod as runpod_client
from gateway.app.clients.http import RetryPolicy, Timeouts, send_once
from gateway.app.clients.runpod import (
    RunPodClient,
    RunPodConfigError,
    RunPodJob,
    RunPodJobNotFound,
    RunPodOutputError,
    RunPodUnavailable,
)
from gateway.app.generation.backends.base import GenerationRequest
from gateway.app.generation.workflows import build_workflow
from tests.emulators.process import EmulatorProcess
from tests.emulators.runpod import API_KEY, ENDPOINT_ID

FAST_RETRIES = RetryPolicy(attempts=4, max_elapsed=5, backoff_min=0.01, backoff_max=0.05)
WORKFLOW = build_workflow(
    GenerationRequest(job_id="emu", prompt="test", width=32, height=32, seed=1, batch_size=1)
)


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorProcess]:
    process = EmulatorProcess("tests.emulators.runpod").start()
    yield process
    process.stop()


@pytest.fixture(autouse=True)
def fresh(emulator: EmulatorProcess) -> None:
    emulator.configure(reset=True, queue_delay=0.02, execution_time=0.1, retry_after=0.01)


def make_client(base_url: str, **overrides: object) -> RunPodClient:
    options: dict = {"api_key": API_KEY, "endpoint_id": ENDPOINT_ID, "retry_policy": FAST_RETRIES}
    options.update(overrides)
    return RunPodClient(base_url=f"{base_url}/v2", **options)


@pytest.fixture
def client(emulator: EmulatorProcess) -> Iterator[RunPodClient]:
    client = make_client(emulator.url)
    yield client
    client.close()


def stats(emulator: EmulatorProcess) -> dict:
    return requests.get(f"{emulator.url}/_emulator/stats", timeout=5).json()


def wait_until_terminal(client: RunPodClient, job_id: str) -> RunPodJob:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        job = client.status(job_id)
        if job.is_terminal:
            return job
        time.sleep(0.02)
    raise AssertionError("job did not finish")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_run_queues_a_job_and_status_reports_the_result_with_timing(client: RunPodClient) -> None:
    job = client.run({"workflow": WORKFLOW, "request_id": "r1"})
    assert job.status == "IN_QUEUE" and job.id
    done = wait_until_terminal(client, job.id)
    assert done.status == "COMPLETED"
    assert done.output["images"][0]["type"] == "base64"  # type: ignore[index]
    assert done.delay_time_ms is not None and done.execution_time_ms is not None


def test_status_while_running_carries_progress_output_but_is_not_terminal(
    emulator: EmulatorProcess, client: RunPodClient
) -> None:
    emulator.configure(execution_time=2)
    job_id = client.run({"workflow": WORKFLOW}).id
    deadline = time.monotonic() + 3
    while (job := client.status(job_id)).status != "IN_PROGRESS" and time.monotonic() < deadline:
        time.sleep(0.02)
    assert job.output == {"progress": "0/4"}
    assert not job.is_terminal
    assert client.cancel(job_id).status == "CANCELLED"


def test_status_of_an_unknown_job_is_not_found(client: RunPodClient) -> None:
    with pytest.raises(RunPodJobNotFound):
        client.status("forgotten-u1")


def test_wrong_api_key_is_a_configuration_error_tried_once(emulator: EmulatorProcess) -> None:
    client = make_client(emulator.url, api_key="wrong")
    with pytest.raises(RunPodConfigError):
        client.run({"workflow": WORKFLOW})
    with pytest.raises(RunPodConfigError):
        client.status("any-u1")
    assert stats(emulator)["requests"] == {"run": 1, "status": 1}


def test_unknown_endpoint_is_a_configuration_error(emulator: EmulatorProcess) -> None:
    with pytest.raises(RunPodConfigError, match="not found"):
        make_client(emulator.url, endpoint_id="nope").run({"workflow": WORKFLOW})


def test_run_is_retried_after_429_and_queues_exactly_one_job(
    emulator: EmulatorProcess, client: RunPodClient
) -> None:
    emulator.configure(fail_next_n={"run": 2})
    client.run({"workflow": WORKFLOW, "request_id": "r-429"})
    seen = stats(emulator)
    assert seen["requests"]["run"] == 3
    assert seen["jobs_created"] == 1 and seen["request_ids"] == {"r-429": 1}


def test_run_5xx_is_ambiguous_transient_and_not_retried(
    emulator: EmulatorProcess, client: RunPodClient
) -> None:
    emulator.configure(fail_next_n_5xx={"run": 1}, error_5xx_status=502)
    with pytest.raises(RunPodUnavailable) as caught:
        client.run({"workflow": WORKFLOW})
    assert caught.value.status == 502 and caught.value.ambiguous is True
    assert stats(emulator)["requests"]["run"] == 1


def test_run_read_timeout_is_not_retried_although_the_job_gets_queued(
    emulator: EmulatorProcess,
) -> None:
    emulator.configure(hang=0.4, hang_ops=["run"])
    client = make_client(emulator.url, request_timeouts=Timeouts(connect=1, read=0.1))
    with pytest.raises(RunPodUnavailable) as caught:
        client.run({"workflow": WORKFLOW, "request_id": "r-slow"})
    assert caught.value.ambiguous is True
    deadline = time.monotonic() + 3
    while stats(emulator)["jobs_created"] == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    seen = stats(emulator)
    assert seen["requests"]["run"] == 1 and seen["request_ids"] == {"r-slow": 1}


def test_run_is_retried_when_the_connection_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    attempts = []

    def counting_send_once(*args: object, **kwargs: object) -> requests.Response:
        attempts.append(args[2])
        return send_once(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(runpod_client, "send_once", counting_send_once)
    client = make_client(f"http://127.0.0.1:{closed_port()}")
    with pytest.raises(RunPodUnavailable) as caught:
        client.run({"workflow": WORKFLOW})
    assert caught.value.status is None and not caught.value.ambiguous
    assert len(attempts) == FAST_RETRIES.attempts


def test_status_is_retried_through_429s_and_5xx(
    emulator: EmulatorProcess, client: RunPodClient
) -> None:
    job_id = client.run({"workflow": WORKFLOW}).id
    emulator.configure(fail_next_n={"status": 2}, fail_next_n_5xx={"status": 1})
    assert client.status(job_id).id == job_id
    assert stats(emulator)["requests"]["status"] == 4


def test_status_that_hangs_times_out_and_is_retried(emulator: EmulatorProcess) -> None:
    emulator.configure(hang=0.5, hang_ops=["status"])
    client = make_client(
        emulator.url,
        request_timeouts=Timeouts(connect=1, read=0.1),
        retry_policy=RetryPolicy(attempts=2, backoff_min=0.01, backoff_max=0.01),
    )
    with pytest.raises(RunPodUnavailable) as caught:
        client.status("any-u1")
    assert caught.value.status is None
    assert stats(emulator)["requests"]["status"] == 2


def test_persistent_429_surfaces_retry_after(
    emulator: EmulatorProcess, client: RunPodClient
) -> None:
    emulator.configure(fail_next_n={"health": 10}, retry_after=0.02)
    with pytest.raises(RunPodUnavailable) as caught:
        client.health()
    assert caught.value.status == 429 and caught.value.retry_after == pytest.approx(0.02)


def test_health_returns_typed_counters(emulator: EmulatorProcess, client: RunPodClient) -> None:
    emulator.configure(workers=0)
    client.run({"workflow": WORKFLOW})
    health = client.health()
    assert health.jobs["inQueue"] == 1
    assert health.workers["idle"] == 0 and health.workers["running"] == 0


def test_purge_queue_returns_the_number_removed(
    emulator: EmulatorProcess, client: RunPodClient
) -> None:
    emulator.configure(workers=0)
    for _ in range(2):
        client.run({"workflow": WORKFLOW})
    assert client.purge_queue() == 2


def test_purge_queue_is_not_retried_on_429(emulator: EmulatorProcess, client: RunPodClient) -> None:
    emulator.configure(fail_next_n={"purge-queue": 1})
    with pytest.raises(RunPodUnavailable):
        client.purge_queue()
    assert stats(emulator)["requests"]["purge-queue"] == 1


def test_download_fetches_an_s3_url_image(emulator: EmulatorProcess, client: RunPodClient) -> None:
    emulator.configure(output_type="s3_url")
    done = wait_until_terminal(client, client.run({"workflow": WORKFLOW}).id)
    url = done.output["images"][0]["data"]  # type: ignore[index]
    assert client.download(url).startswith(b"\x89PNG")


@pytest.mark.parametrize("location", ["simulated_uploaded/a.png", "file:///etc/passwd", "s3://b/k"])
def test_download_rejects_locations_that_are_not_http_urls(
    client: RunPodClient, location: str
) -> None:
    with pytest.raises(RunPodOutputError, match="not an http"):
        client.download(location)


def test_download_of_a_missing_object_is_an_output_error(
    emulator: EmulatorProcess, client: RunPodClient
) -> None:
    with pytest.raises(RunPodOutputError, match="404"):
        client.download(f"{emulator.url}/_emulator/files/none/none.png")
