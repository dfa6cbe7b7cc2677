"""ComfyUIClient against the ComfyUI emulator running as a real process."""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Iterator

import pytest
import requests
from PIL import Image

from gateway.app.clients.comfyui import (
    ComfyUIClient,
    EventStreamClosed,
    HistoryEntry,
    PromptRejected,
)
from gateway.app.clients.http import HTTPError, RetryPolicy, Timeouts, TransientHTTPError
from gateway.app.generation.backends.base import GenerationRequest
from gateway.app.generation.workflows import build_workflow
from tests.emulators.process import EmulatorProcess

FAST_RETRIES = RetryPolicy(attempts=4, max_elapsed=5, backoff_min=0.01, backoff_max=0.05)


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorProcess]:
    process = EmulatorProcess("tests.emulators.comfyui").start()
    yield process
    process.stop()


@pytest.fixture(autouse=True)
def fresh(emulator: EmulatorProcess) -> None:
    emulator.configure(reset=True, wipe=True, execution_time=0.05, steps=2)


@pytest.fixture
def client(emulator: EmulatorProcess) -> ComfyUIClient:
    return ComfyUIClient(emulator.url, retry_policy=FAST_RETRIES)


def workflow(job_id: str, **overrides: object) -> dict:
    params: dict = {"job_id": job_id, "prompt": "a heron", "width": 40, "height": 32, "seed": 3}
    return build_workflow(GenerationRequest(**{**params, **overrides}))


def stats(emulator: EmulatorProcess) -> dict:
    return requests.get(f"{emulator.url}/_emulator/stats", timeout=5).json()


def wait_for_history(client: ComfyUIClient, prompt_id: str) -> HistoryEntry:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        entry = client.history(prompt_id)
        if entry is not None:
            return entry
        time.sleep(0.02)
    raise AssertionError(f"{prompt_id} never finished")


def test_a_queued_prompt_finishes_with_typed_history_and_viewable_images(
    client: ComfyUIClient,
) -> None:
    prompt_id = str(uuid.uuid4())
    queued = client.queue_prompt(workflow("typed"), prompt_id=prompt_id, client_id="c")
    entry = wait_for_history(client, prompt_id)
    data = client.view(entry.images[0].filename, entry.images[0].subfolder, entry.images[0].type)

    assert queued.prompt_id == prompt_id
    assert queued.node_errors == {}
    assert entry.succeeded and entry.completed
    assert entry.message("execution_success") is not None
    assert [(i.node_id, i.type) for i in entry.images] == [("9", "output")]
    assert Image.open(io.BytesIO(data)).size == (40, 32)


def test_history_of_an_unknown_prompt_is_none(client: ComfyUIClient) -> None:
    assert client.history(str(uuid.uuid4())) is None
    assert not client.knows(str(uuid.uuid4()))


def test_a_rejected_workflow_raises_with_the_node_messages(client: ComfyUIClient) -> None:
    with pytest.raises(PromptRejected) as caught:
        client.queue_prompt(
            workflow("bad", sampler="warp_drive"), prompt_id=str(uuid.uuid4()), client_id="c"
        )

    assert caught.value.error_type == "prompt_outputs_failed_validation"
    assert list(caught.value.node_errors) == ["3"]
    assert "node 3 (KSampler): Value not in list" in str(caught.value)
    assert "warp_drive" in str(caught.value)


@pytest.mark.parametrize("mode", ["before", "after"])
def test_a_5xx_on_submit_never_queues_the_prompt_twice(
    client: ComfyUIClient, emulator: EmulatorProcess, mode: str
) -> None:
    emulator.configure(status_5xx_next_n=1, status_5xx_path="/prompt", status_5xx_mode=mode)
    prompt_id = str(uuid.uuid4())

    queued = client.queue_prompt(workflow(f"once-{mode}"), prompt_id=prompt_id, client_id="c")

    assert queued.prompt_id == prompt_id
    assert stats(emulator)["queued_prompt_ids"] == {prompt_id: 1}
    assert wait_for_history(client, prompt_id).succeeded


def test_upload_with_overwrite_keeps_the_name(client: ComfyUIClient) -> None:
    first = client.upload_image(b"first", "source.png")
    second = client.upload_image(b"second", "source.png")
    renamed = client.upload_image(b"third", "source.png", overwrite=False)

    assert first.reference == second.reference == "source.png"
    assert renamed.name == "source (1).png"


def test_view_of_a_missing_file_is_a_permanent_error(client: ComfyUIClient) -> None:
    with pytest.raises(HTTPError) as caught:
        client.view("gone.png")
    assert caught.value.status == 404
    assert not isinstance(caught.value, TransientHTTPError)


def test_interrupt_and_delete_touch_only_the_named_prompts(
    client: ComfyUIClient, emulator: EmulatorProcess
) -> None:
    emulator.configure(execution_time=0.5)
    running_id, pending_id = str(uuid.uuid4()), str(uuid.uuid4())
    client.queue_prompt(workflow("run"), prompt_id=running_id, client_id="c")
    client.queue_prompt(workflow("wait"), prompt_id=pending_id, client_id="c")
    deadline = time.monotonic() + 5
    while running_id not in client.queue().running:
        assert time.monotonic() < deadline, "the first prompt never ran"
        time.sleep(0.01)

    client.delete_from_queue([pending_id, running_id])
    assert client.queue().running == [running_id]
    client.interrupt(pending_id)
    client.interrupt(running_id)
    entry = wait_for_history(client, running_id)

    assert entry.message("execution_interrupted") is not None
    assert client.history(pending_id) is None
    assert stats(emulator)["interrupts"] == 1


def test_events_yield_the_json_messages_and_skip_binary_previews(client: ComfyUIClient) -> None:
    prompt_id = str(uuid.uuid4())
    with client.events("listener") as events:
        events.connect()
        client.queue_prompt(workflow("events", seed=11), prompt_id=prompt_id, client_id="listener")
        kinds = []
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            event = events.receive(timeout=1)
            if event is None:
                continue
            kinds.append(event.type)
            if event.type == "executing" and event.data["node"] is None:
                break

    assert kinds[0] == "status"
    assert "progress" in kinds
    assert [k for k in kinds if k != "status"][-2:] == ["execution_success", "executing"]


def test_events_report_a_closed_socket(client: ComfyUIClient, emulator: EmulatorProcess) -> None:
    emulator.configure(drop_ws="close", execution_time=0.3)
    with client.events("dropped") as events:
        events.connect()
        client.queue_prompt(workflow("drop"), prompt_id=str(uuid.uuid4()), client_id="dropped")
        with pytest.raises(EventStreamClosed):
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                events.receive(timeout=0.5)
        assert not events.connected


def test_a_down_server_raises_transient_errors(
    client: ComfyUIClient, emulator: EmulatorProcess
) -> None:
    emulator.configure(down=True)
    with pytest.raises(TransientHTTPError) as caught:
        client.system_stats()
    assert caught.value.status == 503
    with pytest.raises(EventStreamClosed):
        client.events("down").connect()


def test_a_hanging_server_times_out_as_transient(emulator: EmulatorProcess) -> None:
    emulator.configure(hang=True)
    impatient = ComfyUIClient(
        emulator.url, timeouts=Timeouts(connect=1, read=0.2), retry_policy=FAST_RETRIES
    )
    try:
        with pytest.raises(TransientHTTPError) as caught:
            impatient.queue()
    finally:
        emulator.configure(hang=False)
    assert caught.value.status == 0


def test_an_origin_header_from_a_proxy_gets_a_403(emulator: EmulatorProcess) -> None:
    session = requests.Session()
    session.headers["Origin"] = "https://studio.example"
    proxied = ComfyUIClient(emulator.url, retry_policy=FAST_RETRIES, session=session)
    with pytest.raises(HTTPError) as caught:
        proxied.queue()
    assert caught.value.status == 403


def test_system_stats_reports_the_version(client: ComfyUIClient) -> None:
    stats = client.system_stats()
    assert stats.version
    assert stats.devices[0]["type"] == "cuda"


def test_a_view_slower_than_the_read_timeout_is_transient(emulator: EmulatorProcess) -> None:
    emulator.configure(slow_view=0.5)
    impatient = ComfyUIClient(emulator.url, timeouts=Timeouts(connect=1, read=0.1))
    with pytest.raises(TransientHTTPError):
        impatient.view("anything.png")
