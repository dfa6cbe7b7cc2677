"""RunPodBackend end to end against the RunPod emulator running as a real process."""

from __future__ import annotations

import io
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
import requests
from PIL import Image

from gateway.app.clients.http import RetryPolicy
from gateway.app.clients.runpod import RunPodClient
from gateway.app.generation.backends.base import (
    BackendConfigurationError,
    GenerationCancelled,
    GenerationFailed,
    GenerationRequest,
    GenerationTimeout,
    ResultExpired,
    TransientBackendError,
)
from gateway.app.generation.backends.runpod import RunPodBackend
from gateway.app.generation.workflows import build_workflow
from tests.emulators.process import EmulatorProcess
from tests.emulators.runpod import API_KEY, ENDPOINT_ID

FAST_RETRIES = RetryPolicy(attempts=6, max_elapsed=5, backoff_min=0.01, backoff_max=0.05)


@dataclass
class FakeControl:
    """The JobControl a job runner would pass, recording what the backend asked of it."""

    deadline: float = field(default_factory=lambda: time.monotonic() + 15)
    external_id: str | None = None
    stop_when: Callable[[FakeControl], bool] = lambda control: False
    on_progress: Callable[[FakeControl], None] = lambda control: None
    remembered: list[str] = field(default_factory=list)
    progress: list[float] = field(default_factory=list)

    def remember_external_id(self, external_id: str) -> None:
        self.remembered.append(external_id)
        self.external_id = external_id

    def report_progress(self, fraction: float) -> None:
        self.progress.append(fraction)
        self.on_progress(self)

    def should_stop(self) -> bool:
        return self.stop_when(self)


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorProcess]:
    process = EmulatorProcess("tests.emulators.runpod").start()
    yield process
    process.stop()


@pytest.fixture(autouse=True)
def fresh(emulator: EmulatorProcess) -> None:
    emulator.configure(reset=True, queue_delay=0.02, execution_time=0.2, retry_after=0.01)


def make_backend(url: str, **overrides: object) -> RunPodBackend:
    options: dict = {
        "base_url": f"{url}/v2",
        "api_key": API_KEY,
        "endpoint_id": ENDPOINT_ID,
        "poll_interval": 0.02,
        "retry_policy": FAST_RETRIES,
    }
    options.update(overrides)
    return RunPodBackend(**options)


@pytest.fixture
def backend(emulator: EmulatorProcess) -> RunPodBackend:
    return make_backend(emulator.url)


def make_request(**overrides: object) -> GenerationRequest:
    options: dict = {
        "job_id": f"job-{uuid.uuid4().hex[:8]}",
        "prompt": "a red fox",
        "width": 64,
        "height": 48,
        "seed": 100,
    }
    options.update(overrides)
    return GenerationRequest(**options)


def stats(emulator: EmulatorProcess) -> dict:
    return requests.get(f"{emulator.url}/_emulator/stats", timeout=5).json()


def png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (10, 200, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def size_of(data: bytes) -> tuple[int, int]:
    return Image.open(io.BytesIO(data)).size


def test_generates_a_batch_of_four_reporting_progress(
    emulator: EmulatorProcess, backend: RunPodBackend
) -> None:
    emulator.configure(execution_time=0.4, progress_steps=4)
    request = make_request(batch_size=4)
    control = FakeControl()
    output = backend.generate(request, control)
    assert [image.seed for image in output.images] == [100, 101, 102, 103]
    assert {size_of(image.data) for image in output.images} == {(64, 48)}
    assert len({image.data for image in output.images}) == 4
    assert output.errors == []
    assert control.progress and control.progress == sorted(control.progress)
    assert all(0 <= fraction < 1 for fraction in control.progress)
    seen = stats(emulator)
    assert control.remembered == [control.external_id]
    assert seen["jobs_created"] == 1 and seen["request_ids"] == {request.job_id: 1}


def test_downloads_s3_url_output(emulator: EmulatorProcess, backend: RunPodBackend) -> None:
    emulator.configure(output_type="s3_url")
    output = backend.generate(make_request(batch_size=2), FakeControl())
    assert [size_of(image.data) for image in output.images] == [(64, 48), (64, 48)]
    assert stats(emulator)["requests"]["files"] == 2


def test_s3_url_values_that_are_not_urls_are_errors_and_fail_the_job(
    emulator: EmulatorProcess, backend: RunPodBackend
) -> None:
    emulator.configure(output_type="bad_s3_url")
    with pytest.raises(GenerationFailed) as caught:
        backend.generate(make_request(), FakeControl())
    assert "not an http(s) URL" in caught.value.details["errors"][0]  # type: ignore[index]


def test_edit_sends_the_source_image_and_gets_an_image_of_its_size(
    emulator: EmulatorProcess, backend: RunPodBackend
) -> None:
    request = make_request(source_image=png(40, 30), instruction="make it blue")
    control = FakeControl()
    output = backend.generate(request, control)
    assert [size_of(image.data) for image in output.images] == [(40, 30)]
    sent = requests.get(f"{emulator.url}/_emulator/jobs/{control.external_id}", timeout=5).json()
    loaded = next(n for n in sent["input"]["workflow"].values() if n["class_type"] == "LoadImage")
    assert [image["name"] for image in sent["input"]["images"]] == [loaded["inputs"]["image"]]
    assert sent["input"]["request_id"] == request.job_id


def test_completes_through_a_429_storm_on_status(
    emulator: EmulatorProcess, backend: RunPodBackend
) -> None:
    def storm(control: FakeControl) -> None:
        if len(control.progress) == 1:
            emulator.configure(fail_next_n={"status": 5})

    assert len(backend.generate(make_request(), FakeControl(on_progress=storm)).images) == 1
    seen = stats(emulator)
    assert seen["requests"]["status"] >= 7 and seen["jobs_created"] == 1


def test_429_on_run_is_retried_and_queues_one_job(
    emulator: EmulatorProcess, backend: RunPodBackend
) -> None:
    emulator.configure(fail_next_n={"run": 3})
    backend.generate(make_request(), FakeControl())
    seen = stats(emulator)
    assert seen["requests"]["run"] == 4 and seen["jobs_created"] == 1


def test_5xx_on_run_is_transient_and_not_resubmitted(
    emulator: EmulatorProcess, backend: RunPodBackend
) -> None:
    emulator.configure(fail_next_n_5xx={"run": 1}, error_5xx_status=503)
    control = FakeControl()
    with pytest.raises(TransientBackendError) as caught:
        backend.generate(make_request(), control)
    assert caught.value.status == 503 and caught.value.details["ambiguous"] is True
    assert control.remembered == []
    seen = stats(emulator)
    assert seen["requests"]["run"] == 1 and seen["jobs_created"] == 0


def test_lost_run_response_is_not_resubmitted_although_runpod_queued_it(
    emulator: EmulatorProcess, backend: RunPodBackend
) -> None:
    emulator.configure(lose_response_next_n={"run": 1})
    request = make_request()
    with pytest.raises(TransientBackendError):
        backend.generate(request, FakeControl())
    seen = stats(emulator)
    assert seen["requests"]["run"] == 1 and seen["request_ids"] == {request.job_id: 1}


def test_failed_job_raises_generation_failed_with_details(
    emulator: EmulatorProcess, backend: RunPodBackend
) -> None:
    emulator.configure(outcome="failed")
    with pytest.raises(GenerationFailed, match="Workflow validation failed") as caught:
        backend.generate(make_request(), FakeControl())
    assert caught.value.details["remote_status"] == "FAILED"
    assert "CheckpointLoaderSimple" in caught.value.details["details"][0]  # type: ignore[index]


def test_handler_exception_error_string_is_parsed(
    emulator: EmulatorProcess, backend: RunPodBackend
) -> None:
    emulator.configure(outcome="failed_exception")
    with pytest.raises(GenerationFailed) as caught:
        backend.generate(make_request(), FakeControl())
    assert caught.value.message == (
        "RunPod job failed: CUDA out of memory. Tried to allocate 2.00 GiB"
    )
    assert caught.value.details["error_type"] == "<class 'RuntimeError'>"
    assert "Traceback" in str(caught.value.details["traceback"])


def test_partial_output_keeps_the_images_and_reports_errors(
    emulator: EmulatorProcess, backend: RunPodBackend
) -> None:
    emulator.configure(outcome="partial")
    output = backend.generate(make_request(batch_size=3), FakeControl())
    assert [image.seed for image in output.images] == [100, 101]
    assert len(output.errors) == 1 and "pod_job" in output.errors[0]


def test_success_without_images_is_a_failure(
    emulator: EmulatorProcess, backend: RunPodBackend
) -> None:
    emulator.configure(outcome="no_images")
    with pytest.raises(GenerationFailed, match="no images") as caught:
        backend.generate(make_request(), FakeControl())
    assert caught.value.details["output_status"] == "success_no_images"


def test_runpod_timeout_raises_generation_timeout(
    emulator: EmulatorProcess, backend: RunPodBackend
) -> None:
    emulator.configure(outcome="timed_out")
    with pytest.raises(GenerationTimeout, match="timed the job out"):
        backend.generate(make_request(), FakeControl())


def test_should_stop_cancels_the_remote_job(
    emulator: EmulatorProcess, backend: RunPodBackend
) -> None:
    emulator.configure(execution_time=5)
    control = FakeControl(stop_when=lambda c: bool(c.progress))
    started = time.monotonic()
    with pytest.raises(GenerationCancelled):
        backend.generate(make_request(), control)
    assert time.monotonic() - started < 2
    assert stats(emulator)["terminal"] == {"CANCELLED": 1}


def test_deadline_cancels_the_remote_job_and_times_out(
    emulator: EmulatorProcess, backend: RunPodBackend
) -> None:
    emulator.configure(execution_time=5)
    control = FakeControl(deadline=time.monotonic() + 0.4)
    with pytest.raises(GenerationTimeout, match="running"):
        backend.generate(make_request(), control)
    assert stats(emulator)["terminal"] == {"CANCELLED": 1}


def test_deadline_while_queued_says_no_worker_took_it(
    emulator: EmulatorProcess, backend: RunPodBackend
) -> None:
    emulator.configure(workers=0)
    control = FakeControl(deadline=time.monotonic() + 0.3)
    with pytest.raises(GenerationTimeout, match="queued") as caught:
        backend.generate(make_request(), control)
    assert caught.value.details["remote_status"] == "IN_QUEUE"
    assert stats(emulator)["terminal"] == {"CANCELLED": 1}


def test_job_cancelled_outside_the_gateway_is_a_failure(
    emulator: EmulatorProcess, backend: RunPodBackend
) -> None:
    emulator.configure(execution_time=2)
    client = RunPodClient(base_url=f"{emulator.url}/v2", api_key=API_KEY, endpoint_id=ENDPOINT_ID)
    control = FakeControl(on_progress=lambda c: client.cancel(c.external_id or ""))
    with pytest.raises(GenerationFailed, match="CANCELLED outside the gateway"):
        backend.generate(make_request(), control)


def test_resumes_the_remembered_running_job_without_submitting_again(
    emulator: EmulatorProcess, backend: RunPodBackend
) -> None:
    emulator.configure(execution_time=0.4)
    request = make_request(batch_size=2)
    client = RunPodClient(base_url=f"{emulator.url}/v2", api_key=API_KEY, endpoint_id=ENDPOINT_ID)
    earlier = client.run({"workflow": build_workflow(request), "request_id": request.job_id})
    control = FakeControl(external_id=earlier.id)
    output = backend.generate(request, control)
    assert [image.seed for image in output.images] == [100, 101]
    assert control.remembered == [] and control.progress
    assert stats(emulator)["requests"]["run"] == 1


def test_resumed_job_that_completed_is_collected(
    emulator: EmulatorProcess, backend: RunPodBackend
) -> None:
    first = FakeControl()
    backend.generate(make_request(), first)
    output = backend.generate(make_request(), FakeControl(external_id=first.external_id))
    assert len(output.images) == 1
    assert stats(emulator)["requests"]["run"] == 1


def test_expired_remembered_job_is_submitted_anew(
    emulator: EmulatorProcess, backend: RunPodBackend
) -> None:
    control = FakeControl(external_id="expired-job-u1")
    assert len(backend.generate(make_request(), control).images) == 1
    assert control.remembered == [control.external_id] and control.external_id != "expired-job-u1"
    assert stats(emulator)["requests"]["run"] == 1


def test_remembered_job_that_failed_is_submitted_anew(
    emulator: EmulatorProcess, backend: RunPodBackend
) -> None:
    emulator.configure(outcome="failed")
    first = FakeControl()
    with pytest.raises(GenerationFailed):
        backend.generate(make_request(), first)
    emulator.configure(outcome="completed")
    again = FakeControl(external_id=first.external_id)
    assert len(backend.generate(make_request(), again).images) == 1
    assert again.external_id != first.external_id
    assert stats(emulator)["requests"]["run"] == 2


def test_job_forgotten_while_polling_raises_result_expired(
    emulator: EmulatorProcess, backend: RunPodBackend
) -> None:
    emulator.configure(default_ttl_seconds=0.3, execution_time=3)
    with pytest.raises(ResultExpired):
        backend.generate(make_request(), FakeControl())


def test_wrong_api_key_is_a_configuration_error_and_nothing_is_retried(
    emulator: EmulatorProcess,
) -> None:
    backend = make_backend(emulator.url, api_key="wrong")
    with pytest.raises(BackendConfigurationError):
        backend.generate(make_request(), FakeControl())
    assert stats(emulator)["requests"] == {"run": 1}


def test_unknown_endpoint_is_a_configuration_error(emulator: EmulatorProcess) -> None:
    with pytest.raises(BackendConfigurationError):
        make_backend(emulator.url, endpoint_id="missing").generate(make_request(), FakeControl())


def test_endpoint_answering_503_is_transient(
    emulator: EmulatorProcess, backend: RunPodBackend
) -> None:
    emulator.configure(down=True)
    with pytest.raises(TransientBackendError) as caught:
        backend.generate(make_request(), FakeControl())
    assert caught.value.status == 503
    assert stats(emulator)["requests"] == {"run": 1}


def test_unreachable_endpoint_is_transient() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    backend = make_backend(f"http://127.0.0.1:{port}")
    with pytest.raises(TransientBackendError):
        backend.generate(make_request(), FakeControl())
    assert backend.health().status == "down"


def test_health_is_ok_with_workers(backend: RunPodBackend) -> None:
    health = backend.health()
    assert health.status == "ok" and health.details["workers"]["idle"] == 3  # type: ignore[index]


def test_health_is_degraded_when_jobs_wait_without_workers(
    emulator: EmulatorProcess, backend: RunPodBackend
) -> None:
    emulator.configure(workers=0)
    client = RunPodClient(base_url=f"{emulator.url}/v2", api_key=API_KEY, endpoint_id=ENDPOINT_ID)
    client.run({"workflow": {}})
    assert backend.health().status == "degraded"


def test_health_is_down_with_a_wrong_key(emulator: EmulatorProcess) -> None:
    health = make_backend(emulator.url, api_key="wrong").health()
    assert health.status == "down" and health.details["code"] == "BACKEND_MISCONFIGURED"


def test_cancel_of_an_unknown_job_does_not_raise(backend: RunPodBackend) -> None:
    backend.cancel("never-existed-u1")
