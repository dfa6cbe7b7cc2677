"""The ComfyUI emulator itself, as a real process: routes, guards and the WebSocket protocol."""

from __future__ import annotations

import io
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import websocket
from PIL import Image

from gateway.app.generation.backends.base import GenerationRequest
from gateway.app.generation.workflows import build_workflow
from tests.emulators.process import EmulatorProcess


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    root = tmp_path_factory.mktemp("comfyui")
    args = ("--output-dir", str(root / "output"), "--input-dir", str(root / "input"))
    process = EmulatorProcess("tests.emulators.comfyui", args=(*args, "--max-upload-size", "1"))
    yield process.start()
    process.stop()


@pytest.fixture(autouse=True)
def fresh(emulator: EmulatorProcess) -> None:
    emulator.configure(reset=True, wipe=True, execution_time=0.05, steps=2)


def workflow(job_id: str, **overrides: object) -> dict:
    params: dict = {"job_id": job_id, "prompt": "a fox", "width": 64, "height": 48, "seed": 7}
    return build_workflow(GenerationRequest(**{**params, **overrides}))


def queue(emulator: EmulatorProcess, graph: dict, **extra: object) -> requests.Response:
    prompt_id = str(uuid.uuid4())
    body = {"prompt": graph, "prompt_id": prompt_id, **extra}
    return requests.post(f"{emulator.url}/prompt", json=body, timeout=5)


def finished(emulator: EmulatorProcess, prompt_id: str, timeout: float = 5.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = requests.get(f"{emulator.url}/history/{prompt_id}", timeout=5).json()
        if answer:
            return answer[prompt_id]
        time.sleep(0.02)
    raise AssertionError(f"{prompt_id} did not finish")


def running(emulator: EmulatorProcess, prompt_id: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = requests.get(f"{emulator.url}/queue", timeout=5).json()
        if any(item[1] == prompt_id for item in answer["queue_running"]):
            return
        time.sleep(0.01)
    raise AssertionError(f"{prompt_id} never ran")


def listen(ws: websocket.WebSocket, prompt_id: str, timeout: float = 5.0) -> tuple[list, int]:
    """(JSON messages, binary frame count) until the final `executing` null of `prompt_id`."""
    messages, binary = [], 0
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        opcode, data = ws.recv_data()
        if opcode == websocket.ABNF.OPCODE_BINARY:
            binary += 1
            continue
        message = json.loads(data)
        messages.append(message)
        done = message["data"].get("node", "") is None
        if message["type"] == "executing" and done and message["data"]["prompt_id"] == prompt_id:
            return messages, binary
    raise AssertionError("no final executing message")


def messages_of(messages: list[dict], kind: str) -> list[dict]:
    return [m["data"] for m in messages if m["type"] == kind]


def test_every_route_is_also_served_under_the_api_prefix(emulator: EmulatorProcess) -> None:
    for path in ("/queue", "/system_stats", "/prompt", "/object_info/KSampler", "/history"):
        plain = requests.get(f"{emulator.url}{path}", timeout=5)
        prefixed = requests.get(f"{emulator.url}/api{path}", timeout=5)
        assert plain.status_code == prefixed.status_code == 200
        assert plain.json() == prefixed.json()


def test_a_mismatched_origin_on_a_loopback_host_is_refused(emulator: EmulatorProcess) -> None:
    url = f"{emulator.url}/queue"
    evil = requests.get(url, headers={"Origin": "http://evil.example"}, timeout=5)
    same = requests.get(url, headers={"Origin": f"http://127.0.0.1:{emulator.port}"}, timeout=5)
    assert evil.status_code == 403
    assert same.status_code == 200


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"filename": "../secret.png"}, 400),
        ({"filename": "/etc/passwd"}, 400),
        ({"filename": "a.png", "subfolder": "../../"}, 403),
        ({"filename": "a.png", "type": "models"}, 400),
        ({"filename": "missing.png"}, 404),
    ],
)
def test_view_refuses_path_tricks_like_comfyui(
    emulator: EmulatorProcess, params: dict, status: int
) -> None:
    assert requests.get(f"{emulator.url}/view", params=params, timeout=5).status_code == status


def test_prompt_validation_answers_in_comfyuis_shape(emulator: EmulatorProcess) -> None:
    url = f"{emulator.url}/prompt"
    no_prompt = requests.post(url, json={}, timeout=5).json()
    unknown = queue(emulator, {"1": {"class_type": "Nope", "inputs": {}}}).json()
    no_output = queue(emulator, {"5": workflow("v")["5"]}).json()
    bad_model = workflow("v")
    bad_model["4"]["inputs"]["ckpt_name"] = "missing.safetensors"
    rejected = queue(emulator, bad_model)

    assert no_prompt["error"]["type"] == "no_prompt"
    assert unknown["error"]["type"] == "invalid_prompt"
    assert no_output["error"]["type"] == "prompt_no_outputs"
    assert rejected.status_code == 400
    body = rejected.json()
    assert body["error"]["type"] == "prompt_outputs_failed_validation"
    assert body["node_errors"]["4"]["class_type"] == "CheckpointLoaderSimple"
    assert body["node_errors"]["4"]["dependent_outputs"] == ["9"]
    assert body["node_errors"]["4"]["errors"][0]["type"] == "value_not_in_list"


def test_a_client_chosen_prompt_id_is_honoured_and_must_be_a_uuid(
    emulator: EmulatorProcess,
) -> None:
    prompt_id = str(uuid.uuid4())
    body = {"prompt": workflow("id"), "prompt_id": prompt_id}
    accepted = requests.post(f"{emulator.url}/prompt", json=body, timeout=5).json()
    body["prompt_id"] = "not-a-uuid"
    refused = requests.post(f"{emulator.url}/prompt", json=body, timeout=5)

    assert accepted["prompt_id"] == prompt_id
    assert accepted["node_errors"] == {}
    assert refused.status_code == 400
    finished(emulator, prompt_id)


def test_websocket_sends_the_execution_sequence_only_to_the_submitting_client(
    emulator: EmulatorProcess,
) -> None:
    mine = websocket.create_connection(f"ws://127.0.0.1:{emulator.port}/ws?clientId=me", timeout=5)
    other = websocket.create_connection(
        f"ws://127.0.0.1:{emulator.port}/ws?clientId=you", timeout=5
    )
    greeting = json.loads(mine.recv())
    prompt_id = queue(emulator, workflow("ws", seed=99), client_id="me").json()["prompt_id"]
    messages, binary = listen(mine, prompt_id)
    other.settimeout(0.5)
    seen_by_other = []
    try:
        while True:
            seen_by_other.append(json.loads(other.recv())["type"])
    except websocket.WebSocketTimeoutException:
        pass
    mine.close()
    other.close()

    def token(message: dict) -> str:
        node = message["data"].get("node", "")
        return (
            f"{message['type']}:{node}" if message["type"].startswith("execut") else message["type"]
        )

    tokens = [token(m) for m in messages if m["type"] not in ("status", "progress_state")]
    cached = messages_of(messages, "execution_cached")[0]["nodes"]
    sampler = tokens.index("executing:3")
    assert greeting == {
        "type": "status",
        "data": {"status": {"exec_info": {"queue_remaining": 0}}, "sid": "me"},
    }
    assert tokens[:2] == ["execution_start:", "execution_cached:"]
    assert sorted(tokens[2:sampler]) == [f"executing:{n}" for n in "4567" if n not in cached]
    assert tokens[sampler:] == [
        "executing:3",
        "progress",
        "progress",
        "executing:8",
        "executing:9",
        "executed:9",
        "execution_success:",
        "executing:None",
    ]
    assert all(m["data"]["prompt_id"] == prompt_id for m in messages if m["type"] != "status")
    assert binary == 1
    assert set(seen_by_other) == {"status"}


def test_history_records_outputs_and_view_serves_a_png_of_the_workflow_size(
    emulator: EmulatorProcess,
) -> None:
    prompt_id = queue(emulator, workflow("hist", batch_size=2)).json()["prompt_id"]
    entry = finished(emulator, prompt_id)
    images = entry["outputs"]["9"]["images"]
    png = requests.get(f"{emulator.url}/view", params=images[1], timeout=5)

    assert entry["status"]["status_str"] == "success"
    assert entry["status"]["completed"] is True
    assert [m[0] for m in entry["status"]["messages"]] == [
        "execution_start",
        "execution_cached",
        "execution_success",
    ]
    assert entry["prompt"][1] == prompt_id
    assert len(images) == 2
    assert png.headers["Content-Type"] == "image/png"
    assert png.content[16:24] == (64).to_bytes(4, "big") + (48).to_bytes(4, "big")


def test_an_identical_prompt_is_served_from_the_cache(emulator: EmulatorProcess) -> None:
    first = finished(emulator, queue(emulator, workflow("cache")).json()["prompt_id"])
    second = finished(emulator, queue(emulator, workflow("cache")).json()["prompt_id"])

    cached = second["status"]["messages"][1][1]["nodes"]
    assert sorted(cached) == ["3", "4", "5", "6", "7", "8", "9"]
    assert second["outputs"] == first["outputs"]


def test_upload_renames_on_collision_unless_overwrite(emulator: EmulatorProcess) -> None:
    def upload(data: bytes, **fields: str) -> dict:
        files = {"image": ("same.png", data, "image/png")}
        url = f"{emulator.url}/upload/image"
        return requests.post(url, files=files, data=fields, timeout=5).json()

    upload(b"one", overwrite="true")
    duplicate = upload(b"one")
    renamed = upload(b"two")
    overwritten = upload(b"three", overwrite="true")

    assert duplicate["name"] == "same.png"
    assert renamed["name"] == "same (1).png"
    assert overwritten == {"name": "same.png", "subfolder": "", "type": "input"}


def test_bodies_over_the_upload_cap_get_413(emulator: EmulatorProcess) -> None:
    files = {"image": ("big.png", b"x" * (2 * 1024 * 1024), "image/png")}
    answer = requests.post(f"{emulator.url}/upload/image", files=files, timeout=5)
    assert answer.status_code == 413


def test_interrupt_with_another_prompt_id_leaves_the_running_prompt_alone(
    emulator: EmulatorProcess,
) -> None:
    emulator.configure(execution_time=0.4)
    prompt_id = queue(emulator, workflow("keep")).json()["prompt_id"]
    running(emulator, prompt_id)
    requests.post(f"{emulator.url}/interrupt", json={"prompt_id": str(uuid.uuid4())}, timeout=5)
    kept = finished(emulator, prompt_id)
    other_id = queue(emulator, workflow("stop")).json()["prompt_id"]
    running(emulator, other_id)
    requests.post(f"{emulator.url}/interrupt", json={"prompt_id": other_id}, timeout=5)
    stopped = finished(emulator, other_id)

    assert kept["status"]["status_str"] == "success"
    assert stopped["status"]["status_str"] == "error"
    assert stopped["status"]["messages"][-1][0] == "execution_interrupted"


def test_fault_knobs_down_and_5xx_spare_the_control_routes(emulator: EmulatorProcess) -> None:
    emulator.configure(status_5xx_next_n=1, status_5xx_code=502, status_5xx_path="/queue")
    first = requests.get(f"{emulator.url}/api/queue", timeout=5).status_code
    second = requests.get(f"{emulator.url}/queue", timeout=5).status_code
    emulator.configure(down=True)
    down = requests.get(f"{emulator.url}/system_stats", timeout=5).status_code
    stats = requests.get(f"{emulator.url}/_emulator/stats", timeout=5)

    assert (first, second, down) == (502, 200, 503)
    assert stats.json()["injected_5xx"] == 1


def test_a_restart_loses_queue_and_history_but_keeps_files(emulator: EmulatorProcess) -> None:
    prompt_id = queue(emulator, workflow("restart")).json()["prompt_id"]
    image = finished(emulator, prompt_id)["outputs"]["9"]["images"][0]
    emulator.restart()

    history = requests.get(f"{emulator.url}/history/{prompt_id}", timeout=5).json()
    view = requests.get(f"{emulator.url}/view", params=image, timeout=5)
    assert history == {}
    assert view.status_code == 200
    assert Path(emulator.args[1], image["filename"]).exists()


def test_object_info_describes_every_node_class_the_templates_use(
    emulator: EmulatorProcess,
) -> None:
    edit = build_workflow(
        GenerationRequest(
            job_id="info", prompt="p", width=8, height=8, seed=1, source_image=b"png"
        ),
        source_image_name="source.png",
    )
    used = {node["class_type"] for node in [*workflow("info").values(), *edit.values()]}
    info = requests.get(f"{emulator.url}/object_info", timeout=5).json()

    assert used <= set(info)
    assert info["SaveImage"]["output_node"] is True
    assert (
        "sd_xl_base_1.0.safetensors"
        in info["CheckpointLoaderSimple"]["input"]["required"]["ckpt_name"][0]
    )


def test_reconnecting_during_a_run_replays_the_current_node(emulator: EmulatorProcess) -> None:
    emulator.configure(execution_time=0.5)
    prompt_id = queue(emulator, workflow("again"), client_id="back").json()["prompt_id"]
    running(emulator, prompt_id)
    url = f"ws://127.0.0.1:{emulator.port}/ws?clientId=back"
    socket = websocket.create_connection(url, timeout=5)
    first, second = json.loads(socket.recv()), json.loads(socket.recv())
    socket.close()

    assert first["type"] == "status"
    assert second["type"] == "executing"
    assert "prompt_id" not in second["data"]
    assert second["data"]["node"]


def test_an_output_failing_validation_is_skipped_while_the_others_run(
    emulator: EmulatorProcess,
) -> None:
    graph = workflow("half")
    graph["10"] = {"class_type": "SaveImage", "inputs": {"images": ["8", 0]}}
    answer = queue(emulator, graph)
    entry = finished(emulator, answer.json()["prompt_id"])

    assert answer.status_code == 200
    assert answer.json()["node_errors"]["10"]["errors"][0]["type"] == "required_input_missing"
    assert list(entry["outputs"]) == ["9"]


def _upload_source(emulator: EmulatorProcess, name: str, size: tuple[int, int]) -> bytes:
    picture = Image.new("RGB", size, (200, 30, 60))
    picture.paste((20, 40, 220), (0, 0, size[0] // 2, size[1]))
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    files = {"image": (name, buffer.getvalue(), "image/png")}
    requests.post(
        f"{emulator.url}/upload/image", files=files, data={"overwrite": "true"}, timeout=5
    )
    return buffer.getvalue()


def _upscale_graph(job_id: str, factor: int) -> dict:
    """The upscale workflow for a source uploaded as `up.png`, enlarging it by `factor`."""
    return build_workflow(
        GenerationRequest(
            job_id=job_id,
            prompt="p",
            width=8,
            height=8,
            seed=1,
            source_image=b"png",
            upscale_factor=factor,
        ),
        source_image_name="up.png",
    )


@pytest.mark.parametrize("factor", [2, 4])
def test_the_upscale_workflow_saves_the_source_enlarged_by_its_factor(
    emulator: EmulatorProcess, factor: int
) -> None:
    _upload_source(emulator, "up.png", (40, 30))
    graph = _upscale_graph("up", factor)
    entry = finished(emulator, queue(emulator, graph).json()["prompt_id"])
    [saved] = entry["outputs"]["5"]["images"]
    png = requests.get(f"{emulator.url}/view", params=saved, timeout=5)
    result = Image.open(io.BytesIO(png.content))

    assert entry["status"]["status_str"] == "success"
    assert result.size == (40 * factor, 30 * factor)
    assert result.convert("RGB").getpixel((1, 1)) == (20, 40, 220)
    assert result.convert("RGB").getpixel((result.width - 2, 1)) == (200, 30, 60)


def test_an_upscale_graph_is_validated_like_any_other(emulator: EmulatorProcess) -> None:
    _upload_source(emulator, "up.png", (40, 30))
    graph = _upscale_graph("bad", 2)
    graph["2"]["inputs"]["model_name"] = "missing_x4.pth"
    graph["4"]["inputs"]["scale_by"] = 9.5
    graph["4"]["inputs"]["upscale_method"] = "magic"
    rejected = queue(emulator, graph)

    assert rejected.status_code == 400
    errors = rejected.json()["node_errors"]
    assert errors["2"]["errors"][0]["type"] == "value_not_in_list"
    assert {e["type"] for e in errors["4"]["errors"]} == {
        "value_not_in_list",
        "value_bigger_than_max",
    }
    info = requests.get(f"{emulator.url}/object_info/UpscaleModelLoader", timeout=5).json()
    assert (
        "RealESRGAN_x4plus.pth" in info["UpscaleModelLoader"]["input"]["required"]["model_name"][0]
    )
