"""ComfyUIBackend end to end against the ComfyUI emulator running as a real process."""

from __future__ import annotations

import io
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
import requests
from PIL import Image

from gateway.app.clients.comfyui import ComfyUIClient
from gateway.app.clients.http import RetryPolicy
from gateway.app.generation.backends.base import (
    GenerationCancelled,
    GenerationFailed,
    GenerationOutput,
    GenerationRequest,
    GenerationTimeout,
    ResultExpired,
    TransientBackendError,
)
from gateway.app.generation.backends.comfyui import ComfyUIBackend, prompt_id_for
from gateway.app.generation.workflows import build_workflow
from tests.emulators.process import EmulatorProcess

RETRIES = RetryPolicy(attempts=12, max_elapsed=10, backoff_min=0.02, backoff_max=0.3)


@dataclass
class Control:
    """The JobControl a job runner gives a backend, recording what the backend asked of it."""

    deadline: float = field(default_factory=lambda: time.monotonic() + 15)
    external_id: str | None = None
    progress: list[float] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    on_progress: Callable[[float], None] | None = None

    def remember_external_id(self, external_id: str) -> None:
        self.external_id = external_id

    def report_progress(self, fraction: float) -> None:
        self.progress.append(fraction)
        if self.on_progress:
            self.on_progress(fraction)

    def should_stop(self) -> bool:
        return self.stop.is_set()


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    root = tmp_path_factory.mktemp("comfyui")
    args = ("--output-dir", str(root / "output"), "--input-dir", str(root / "input"))
    process = EmulatorProcess("tests.emulators.comfyui", args=args).start()
    yield process
    process.stop()


@pytest.fixture(autouse=True)
def fresh(emulator: EmulatorProcess) -> None:
    emulator.configure(reset=True, wipe=True, execution_time=0.1, steps=4)


@pytest.fixture
def backend(emulator: EmulatorProcess) -> ComfyUIBackend:
    return ComfyUIBackend(
        base_url=emulator.url, retry_policy=RETRIES, ws_timeout=0.5, poll_interval=0.05
    )


def make_request(**overrides: object) -> GenerationRequest:
    params: dict = {
        "job_id": f"job-{uuid.uuid4().hex[:8]}",
        "prompt": "a lighthouse at dusk",
        "width": 64,
        "height": 48,
        "seed": 1000,
    }
    return GenerationRequest(**{**params, **overrides})


def stats(emulator: EmulatorProcess) -> dict:
    return requests.get(f"{emulator.url}/_emulator/stats", timeout=5).json()


def rendered(data: bytes) -> tuple[tuple[int, int], int]:
    """(size, seed) of an emulator PNG; the seed is the one its sampler node used."""
    image = Image.open(io.BytesIO(data))
    return image.size, json.loads(image.text["emulator"])["seed"]


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition never held"
        time.sleep(0.01)


def in_background(
    backend: ComfyUIBackend, request: GenerationRequest, control: Control
) -> Callable[[], GenerationOutput | BaseException]:
    """Run generate in a thread; the returned function joins it and gives result or error."""
    outcome: list[GenerationOutput | BaseException] = []

    def run() -> None:
        try:
            outcome.append(backend.generate(request, control))
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()

    def join() -> GenerationOutput | BaseException:
        thread.join(timeout=15)
        return outcome[0]

    return join


def running_prompt(emulator: EmulatorProcess) -> str | None:
    answer = requests.get(f"{emulator.url}/queue", timeout=5).json()["queue_running"]
    return answer[0][1] if answer else None


def test_txt2img_batch_of_four_reports_progress_and_gives_each_image_its_seed(
    backend: ComfyUIBackend, emulator: EmulatorProcess
) -> None:
    control = Control()
    request = make_request(batch_size=4, width=80, height=56)

    output = backend.generate(request, control)

    assert [image.seed for image in output.images] == [1000, 1001, 1002, 1003]
    assert [rendered(image.data) for image in output.images] == [
        ((80, 56), seed) for seed in (1000, 1001, 1002, 1003)
    ]
    assert output.errors == []
    assert control.external_id == prompt_id_for(request.job_id)
    assert len(control.progress) > 4
    assert control.progress == sorted(control.progress)
    assert control.progress[-1] == 1.0
    assert stats(emulator)["prompts_queued"] == 1


def test_edit_uploads_the_source_and_returns_images_of_its_size(
    backend: ComfyUIBackend, emulator: EmulatorProcess
) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (72, 40), (10, 200, 30)).save(buffer, format="PNG")
    request = make_request(source_image=buffer.getvalue(), instruction="make it night")

    output = backend.generate(request, Control())

    assert [rendered(image.data) for image in output.images] == [((72, 40), 1000)]
    assert stats(emulator)["uploads"] == 1


@pytest.mark.parametrize("drop", ["close", "silent"])
def test_a_lost_websocket_is_survived_by_reading_history(
    backend: ComfyUIBackend, emulator: EmulatorProcess, drop: str
) -> None:
    emulator.configure(drop_ws=drop, execution_time=0.3)

    output = backend.generate(make_request(batch_size=2), Control())

    assert [image.seed for image in output.images] == [1000, 1001]
    assert stats(emulator)["prompts_queued"] == 1


def test_an_execution_error_fails_with_the_node_and_exception(
    backend: ComfyUIBackend, emulator: EmulatorProcess
) -> None:
    emulator.configure(outcome="error", error_message="CUDA out of memory")

    with pytest.raises(GenerationFailed) as caught:
        backend.generate(make_request(), Control())

    assert "KSampler" in caught.value.message
    assert "CUDA out of memory" in caught.value.message


def test_a_workflow_comfyui_rejects_fails_with_the_node_errors_and_queues_nothing(
    backend: ComfyUIBackend, emulator: EmulatorProcess
) -> None:
    with pytest.raises(GenerationFailed) as caught:
        backend.generate(make_request(sampler="warp_drive"), Control())

    assert "KSampler" in caught.value.message
    assert "warp_drive" in caught.value.message
    assert caught.value.details["error_type"] == "prompt_outputs_failed_validation"
    assert stats(emulator).get("prompts_queued", 0) == 0


def test_images_missing_from_view_give_a_partial_result(
    backend: ComfyUIBackend, emulator: EmulatorProcess
) -> None:
    emulator.configure(outcome="partial")

    output = backend.generate(make_request(batch_size=3), Control())

    assert [image.seed for image in output.images] == [1000, 1001]
    assert len(output.errors) == 1
    assert "404" in output.errors[0]


def test_a_5xx_after_the_prompt_was_accepted_does_not_queue_it_twice(
    backend: ComfyUIBackend, emulator: EmulatorProcess
) -> None:
    emulator.configure(status_5xx_next_n=1, status_5xx_path="/prompt", status_5xx_mode="after")
    request = make_request()

    output = backend.generate(request, Control())

    assert len(output.images) == 1
    assert stats(emulator)["queued_prompt_ids"] == {prompt_id_for(request.job_id): 1}


def test_a_second_attempt_of_the_same_job_collects_instead_of_queueing_again(
    backend: ComfyUIBackend, emulator: EmulatorProcess
) -> None:
    request = make_request(batch_size=2)
    first = backend.generate(request, Control())

    second = backend.generate(request, Control(external_id=prompt_id_for(request.job_id)))
    third_control = Control()
    third = backend.generate(request, third_control)

    assert [i.data for i in second.images] == [i.data for i in first.images]
    assert [i.data for i in third.images] == [i.data for i in first.images]
    assert third_control.external_id == prompt_id_for(request.job_id)
    assert stats(emulator)["prompts_queued"] == 1


def test_cancelling_mid_run_interrupts_the_prompt(
    backend: ComfyUIBackend, emulator: EmulatorProcess
) -> None:
    emulator.configure(execution_time=3.0, steps=30)
    control = Control()
    control.on_progress = lambda fraction: control.stop.set()

    with pytest.raises(GenerationCancelled):
        backend.generate(make_request(), control)

    counters = stats(emulator)
    assert counters["interrupts"] == 1
    assert counters["queue_deletes"] == 1


def test_a_deadline_while_queued_deletes_only_our_prompt(
    backend: ComfyUIBackend, emulator: EmulatorProcess
) -> None:
    emulator.configure(execution_time=1.0)
    other = ComfyUIClient(emulator.url)
    other_id = str(uuid.uuid4())
    other.queue_prompt(
        build_workflow(make_request(prompt="someone else")), prompt_id=other_id, client_id="x"
    )
    control = Control(deadline=time.monotonic() + 0.3)
    request = make_request()

    with pytest.raises(GenerationTimeout):
        backend.generate(request, control)

    queue = other.queue()
    assert queue.running == [other_id]
    assert prompt_id_for(request.job_id) not in queue
    assert stats(emulator).get("interrupts", 0) == 0


def test_a_deadline_while_running_interrupts_the_prompt(
    backend: ComfyUIBackend, emulator: EmulatorProcess
) -> None:
    emulator.configure(execution_time=3.0)
    request = make_request()

    with pytest.raises(GenerationTimeout):
        backend.generate(request, Control(deadline=time.monotonic() + 0.4))

    client = ComfyUIClient(emulator.url)
    wait_until(lambda: client.history(prompt_id_for(request.job_id)) is not None)
    entry = client.history(prompt_id_for(request.job_id))
    assert entry is not None and entry.message("execution_interrupted") is not None


def test_a_server_restart_mid_job_resubmits_once_and_completes(
    backend: ComfyUIBackend, emulator: EmulatorProcess
) -> None:
    emulator.configure(execution_time=5.0)
    request = make_request(batch_size=2)
    prompt_id = prompt_id_for(request.job_id)
    control = Control()
    join = in_background(backend, request, control)
    wait_until(lambda: running_prompt(emulator) == prompt_id)

    emulator.restart()
    result = join()

    assert isinstance(result, GenerationOutput), result
    assert [image.seed for image in result.images] == [1000, 1001]
    assert stats(emulator)["queued_prompt_ids"] == {prompt_id: 1}


def test_a_prompt_lost_twice_in_one_call_ends_as_result_expired(
    backend: ComfyUIBackend, emulator: EmulatorProcess
) -> None:
    emulator.configure(execution_time=5.0)
    request = make_request()
    prompt_id = prompt_id_for(request.job_id)
    join = in_background(backend, request, Control())

    for _ in range(2):
        wait_until(lambda: running_prompt(emulator) == prompt_id)
        emulator.configure(wipe=True)
    result = join()

    assert isinstance(result, ResultExpired), result
    assert stats(emulator)["queued_prompt_ids"] == {prompt_id: 2}


def test_a_down_server_is_a_transient_backend_error(
    emulator: EmulatorProcess,
) -> None:
    emulator.configure(down=True)
    impatient = ComfyUIBackend(
        base_url=emulator.url,
        retry_policy=RetryPolicy(attempts=2, backoff_min=0.01, backoff_max=0.02),
    )

    with pytest.raises(TransientBackendError) as caught:
        impatient.generate(make_request(), Control())

    assert caught.value.status == 503
    assert impatient.health().status == "down"


def test_health_reports_the_comfyui_version(backend: ComfyUIBackend) -> None:
    health = backend.health()

    assert health.status == "ok"
    assert health.version == "0.3.64"


def test_cancel_of_a_finished_or_unknown_prompt_is_a_no_op(
    backend: ComfyUIBackend, emulator: EmulatorProcess
) -> None:
    request = make_request()
    backend.generate(request, Control())

    backend.cancel(prompt_id_for(request.job_id))
    backend.cancel(str(uuid.uuid4()))

    assert stats(emulator).get("interrupts", 0) == 0
