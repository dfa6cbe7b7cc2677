"""The RunPod emulator itself behaves like RunPod's queue API (EXTERNAL_APIS.md 2.8)."""

from __future__ import annotations

import base64
import io
import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from PIL import Image

from gateway.app.generation.backends.base import GenerationRequest
from gateway.app.generation.workflows import build_workflow
from tests.emulators.process import EmulatorProcess
from tests.emulators.runpod import API_KEY, ENDPOINT_ID

AUTH = {"Authorization": f"Bearer {API_KEY}"}
WORKFLOW = build_workflow(
    GenerationRequest(job_id="emu", prompt="test", width=32, height=24, seed=5, batch_size=2)
)
WORKFLOW["9"]["inputs"]["filename_prefix"] = "emu"


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorProcess]:
    process = EmulatorProcess("tests.emulators.runpod").start()
    yield process
    process.stop()


@pytest.fixture(autouse=True)
def fresh(emulator: EmulatorProcess) -> None:
    emulator.configure(reset=True, queue_delay=0.02, execution_time=0.1, retry_after=0.05)


@pytest.fixture
def api(emulator: EmulatorProcess) -> str:
    return f"{emulator.url}/v2/{ENDPOINT_ID}"


def wait_for(check: Callable[[], object], timeout: float = 5.0) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def submit(api: str, job_input: object, **extra: object) -> str:
    response = requests.post(f"{api}/run", json={"input": job_input, **extra}, headers=AUTH)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "IN_QUEUE"
    return response.json()["id"]


def status(api: str, job_id: str) -> dict:
    return requests.get(f"{api}/status/{job_id}", headers=AUTH).json()


def finished(api: str, job_id: str) -> dict:
    def terminal() -> dict | None:
        body = status(api, job_id)
        return body if body["status"] in {"COMPLETED", "FAILED", "TIMED_OUT"} else None

    return wait_for(terminal)  # type: ignore[return-value]


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {API_KEY}", API_KEY + "x"])
def test_wrong_or_missing_key_is_401(api: str, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = requests.post(f"{api}/run", json={"input": {}}, headers=headers)
    assert response.status_code == 401
    assert "error" in response.json()


@pytest.mark.parametrize("header", [f"Bearer {API_KEY}", API_KEY])
def test_bearer_and_raw_keys_are_accepted(api: str, header: str) -> None:
    response = requests.get(f"{api}/health", headers={"Authorization": header})
    assert response.status_code == 200


def test_unknown_endpoint_is_404(emulator: EmulatorProcess) -> None:
    response = requests.post(f"{emulator.url}/v2/other/run", json={"input": {}}, headers=AUTH)
    assert response.status_code == 404


def test_run_without_input_is_400(api: str) -> None:
    assert requests.post(f"{api}/run", json={"webhook": "x"}, headers=AUTH).status_code == 400


def test_run_body_over_10_mb_is_413_but_runsync_takes_up_to_20_mb(api: str) -> None:
    body = json.dumps({"input": {"blob": "x" * (10 * 1024 * 1024)}})
    headers = {**AUTH, "Content-Type": "application/json"}
    assert requests.post(f"{api}/run", data=body, headers=headers).status_code == 413
    response = requests.post(f"{api}/runsync?wait=1000", data=body, headers=headers)
    assert response.status_code == 200
    assert response.json()["error"] == "Missing 'workflow' parameter"


@pytest.mark.parametrize(
    "policy", [{"executionTimeout": 1000}, {"ttl": 5000}, {"lowPriority": "yes"}, "fast"]
)
def test_policy_out_of_range_is_400(api: str, policy: object) -> None:
    response = requests.post(f"{api}/run", json={"input": {}, "policy": policy}, headers=AUTH)
    assert response.status_code == 400


def test_job_moves_through_queue_progress_and_completion_with_timing(
    emulator: EmulatorProcess, api: str
) -> None:
    emulator.configure(queue_delay=0.1, execution_time=0.4, progress_steps=4)
    job_id = submit(api, {"workflow": WORKFLOW})
    assert status(api, job_id) == {"id": job_id, "status": "IN_QUEUE"}
    running = wait_for(lambda: (b := status(api, job_id))["status"] == "IN_PROGRESS" and b)
    assert running["output"]["progress"].endswith("/4")
    done = finished(api, job_id)
    assert done["status"] == "COMPLETED"
    assert isinstance(done["delayTime"], int) and done["delayTime"] >= 100
    assert isinstance(done["executionTime"], int) and done["executionTime"] >= 400
    images = done["output"]["images"]
    assert [i["filename"] for i in images] == ["emu_00001_.png", "emu_00002_.png"]
    pictures = [Image.open(io.BytesIO(base64.b64decode(i["data"]))) for i in images]
    assert {p.size for p in pictures} == {(32, 24)}
    assert images[0]["data"] != images[1]["data"]


def test_rendering_is_deterministic_per_seed(api: str) -> None:
    first = finished(api, submit(api, {"workflow": WORKFLOW}))["output"]["images"]
    second = finished(api, submit(api, {"workflow": WORKFLOW}))["output"]["images"]
    assert [i["data"] for i in first] == [i["data"] for i in second]


def test_missing_workflow_fails_the_job(api: str) -> None:
    done = finished(api, submit(api, {"prompt": "no graph"}))
    assert done["status"] == "FAILED"
    assert done["error"] == "Missing 'workflow' parameter"


def test_failed_exception_reports_a_json_string_error(emulator: EmulatorProcess, api: str) -> None:
    emulator.configure(outcome="failed_exception")
    error = json.loads(finished(api, submit(api, {"workflow": WORKFLOW}))["error"])
    assert {"error_type", "error_message", "error_traceback", "worker_id"} <= error.keys()


def test_s3_url_output_is_served_by_the_emulator(emulator: EmulatorProcess, api: str) -> None:
    emulator.configure(output_type="s3_url")
    image = finished(api, submit(api, {"workflow": WORKFLOW}))["output"]["images"][0]
    assert image["type"] == "s3_url" and image["data"].startswith("http://127.0.0.1:")
    response = requests.get(image["data"])
    assert response.status_code == 200
    assert response.content.startswith(b"\x89PNG")


def test_rate_limit_answers_429_with_retry_after(emulator: EmulatorProcess, api: str) -> None:
    emulator.configure(rate_limits={"cancel": [2, 10]})
    answers = [requests.post(f"{api}/cancel/nope", headers=AUTH) for _ in range(3)]
    assert [a.status_code for a in answers] == [404, 404, 429]
    assert float(answers[2].headers["Retry-After"]) >= 1


def test_fail_next_n_answers_429_then_recovers(emulator: EmulatorProcess, api: str) -> None:
    emulator.configure(fail_next_n={"health": 2})
    codes = [requests.get(f"{api}/health", headers=AUTH).status_code for _ in range(3)]
    assert codes == [429, 429, 200]


def test_completed_run_job_is_forgotten_after_retention(
    emulator: EmulatorProcess, api: str
) -> None:
    emulator.configure(retention_seconds=0.2)
    job_id = submit(api, {"workflow": WORKFLOW})
    finished(api, job_id)
    wait_for(lambda: requests.get(f"{api}/status/{job_id}", headers=AUTH).status_code == 404)


def test_runsync_job_is_forgotten_after_its_shorter_retention(
    emulator: EmulatorProcess, api: str
) -> None:
    emulator.configure(runsync_retention_seconds=0.2)
    done = requests.post(f"{api}/runsync", json={"input": {"workflow": WORKFLOW}}, headers=AUTH)
    job_id = done.json()["id"]
    assert status(api, job_id)["status"] == "COMPLETED"
    wait_for(lambda: requests.get(f"{api}/status/{job_id}", headers=AUTH).status_code == 404)


def test_stream_returns_the_output_once_completed(api: str) -> None:
    job_id = submit(api, {"workflow": WORKFLOW})
    done = finished(api, job_id)
    streamed = requests.get(f"{api}/stream/{job_id}", headers=AUTH).json()
    assert streamed["status"] == "COMPLETED"
    assert streamed["stream"] == [{"output": done["output"]}]


def test_ttl_expiry_deletes_a_running_job(emulator: EmulatorProcess, api: str) -> None:
    emulator.configure(default_ttl_seconds=0.3, execution_time=3)
    job_id = submit(api, {"workflow": WORKFLOW})
    wait_for(lambda: requests.get(f"{api}/status/{job_id}", headers=AUTH).status_code == 404)


def test_runsync_returns_terminal_object_or_non_terminal_after_wait(
    emulator: EmulatorProcess, api: str
) -> None:
    done = requests.post(f"{api}/runsync", json={"input": {"workflow": WORKFLOW}}, headers=AUTH)
    assert done.json()["status"] == "COMPLETED" and done.json()["id"].startswith("sync-")
    emulator.configure(execution_time=3)
    pending = requests.post(
        f"{api}/runsync?wait=10", json={"input": {"workflow": WORKFLOW}}, headers=AUTH
    )
    assert pending.json()["status"] in {"IN_QUEUE", "IN_PROGRESS"}
    assert set(pending.json()) == {"id", "status"}


def test_purge_removes_only_queued_jobs(emulator: EmulatorProcess, api: str) -> None:
    emulator.configure(workers=1, execution_time=3)
    running, *queued = [submit(api, {"workflow": WORKFLOW}) for _ in range(3)]
    wait_for(lambda: status(api, running)["status"] == "IN_PROGRESS")
    response = requests.post(f"{api}/purge-queue", headers=AUTH)
    assert response.json() == {"removed": 2, "status": "completed"}
    assert status(api, running)["status"] == "IN_PROGRESS"
    for job_id in queued:
        assert requests.get(f"{api}/status/{job_id}", headers=AUTH).status_code == 404


def test_retry_from_failed_keeps_id_and_clears_output(emulator: EmulatorProcess, api: str) -> None:
    emulator.configure(outcome="failed")
    job_id = submit(api, {"workflow": WORKFLOW})
    assert finished(api, job_id)["status"] == "FAILED"
    emulator.configure(outcome="completed", queue_delay=0.2)
    response = requests.post(f"{api}/retry/{job_id}", headers=AUTH)
    assert response.json() == {"id": job_id, "status": "IN_QUEUE"}
    assert status(api, job_id) == {"id": job_id, "status": "IN_QUEUE", "retries": 1}
    assert finished(api, job_id)["status"] == "COMPLETED"
    assert requests.get(f"{api}/health", headers=AUTH).json()["jobs"]["retried"] == 1


def test_retry_of_a_completed_job_is_refused(api: str) -> None:
    job_id = submit(api, {"workflow": WORKFLOW})
    finished(api, job_id)
    assert requests.post(f"{api}/retry/{job_id}", headers=AUTH).status_code == 400


def test_cancel_of_a_queued_job_has_no_timing_fields(emulator: EmulatorProcess, api: str) -> None:
    emulator.configure(workers=0)
    job_id = submit(api, {"workflow": WORKFLOW})
    response = requests.post(f"{api}/cancel/{job_id}", headers=AUTH)
    assert response.json() == {"id": job_id, "status": "CANCELLED"}
    assert status(api, job_id) == {"id": job_id, "status": "CANCELLED"}


def test_health_counts_come_from_job_state(emulator: EmulatorProcess, api: str) -> None:
    emulator.configure(workers=1, execution_time=3)
    first = submit(api, {"workflow": WORKFLOW})
    submit(api, {"workflow": WORKFLOW})
    wait_for(lambda: status(api, first)["status"] == "IN_PROGRESS")
    health = requests.get(f"{api}/health", headers=AUTH).json()
    assert health["jobs"]["inProgress"] == 1 and health["jobs"]["inQueue"] == 1
    assert health["workers"]["running"] == 1 and health["workers"]["idle"] == 0


def test_down_answers_503_everywhere(emulator: EmulatorProcess, api: str) -> None:
    emulator.configure(down=True)
    assert requests.get(f"{api}/health", headers=AUTH).status_code == 503
    assert requests.post(f"{api}/run", json={"input": {}}, headers=AUTH).status_code == 503


def test_echo_worker_returns_its_input(emulator: EmulatorProcess, api: str) -> None:
    emulator.configure(worker="echo")
    assert finished(api, submit(api, {"say": "hi"}))["output"] == {"echo": {"say": "hi"}}


def test_unknown_knob_is_refused(emulator: EmulatorProcess) -> None:
    response = requests.post(f"{emulator.url}/_emulator/config", json={"queue_dealy": 1})
    assert response.status_code == 400


class _Receiver(BaseHTTPRequestHandler):
    answers: list[int] = []
    bodies: list[dict] = []

    def do_POST(self) -> None:
        self.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(self.answers.pop(0) if self.answers else 200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


def test_webhook_fires_on_failure_and_retries_non_200(emulator: EmulatorProcess, api: str) -> None:
    emulator.configure(outcome="failed", webhook_retry_interval=0.05)
    _Receiver.answers, _Receiver.bodies = [500], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        hook = f"http://127.0.0.1:{server.server_address[1]}/hook?token=t"
        job_id = submit(api, {"workflow": WORKFLOW}, webhook=hook)
        wait_for(lambda: len(_Receiver.bodies) == 2)
    finally:
        server.shutdown()
        server.server_close()
    body = _Receiver.bodies[-1]
    assert body["id"] == job_id and body["status"] == "FAILED" and body["webhook"] == hook
    assert body["input"] == {"workflow": WORKFLOW} and "error" in body
    stats = requests.get(f"{emulator.url}/_emulator/stats").json()
    assert stats["webhook_attempts"] == 2 and stats["webhook_deliveries"] == 1


def _upscale_input(factor: int, size: tuple[int, int] = (30, 20)) -> dict:
    picture = Image.new("RGB", size, (200, 30, 60))
    picture.paste((20, 40, 220), (0, 0, size[0] // 2, size[1]))
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    request = GenerationRequest(
        job_id="up",
        prompt="p",
        width=8,
        height=8,
        seed=1,
        source_image=buffer.getvalue(),
        upscale_factor=factor,
    )
    encoded = base64.b64encode(buffer.getvalue()).decode()
    return {
        "workflow": build_workflow(request, source_image_name="src.png"),
        "images": [{"name": "src.png", "image": encoded}],
    }


@pytest.mark.parametrize("factor", [2, 4])
def test_an_upscale_workflow_returns_the_source_enlarged_by_its_factor(
    api: str, factor: int
) -> None:
    done = finished(api, submit(api, _upscale_input(factor)))
    [image] = done["output"]["images"]
    result = Image.open(io.BytesIO(base64.b64decode(image["data"]))).convert("RGB")

    assert done["status"] == "COMPLETED"
    assert image["filename"] == "pod_up_00001_.png"
    assert result.size == (30 * factor, 20 * factor)
    assert result.getpixel((1, 1)) == (20, 40, 220)
    assert result.getpixel((result.width - 2, 1)) == (200, 30, 60)


@pytest.mark.parametrize(
    ("node", "name", "value", "message"),
    [
        ("2", "model_name", "missing_x4.pth", "'missing_x4.pth' not in list"),
        ("4", "scale_by", 9.5, "scale_by 9.5 is not between"),
        ("4", "upscale_method", "magic", "'magic' not in list"),
        ("1", "image", "elsewhere.png", "Invalid image file: elsewhere.png"),
    ],
)
def test_an_upscale_workflow_that_comfyui_would_refuse_fails_the_job(
    api: str, node: str, name: str, value: object, message: str
) -> None:
    job_input = _upscale_input(2)
    job_input["workflow"][node]["inputs"][name] = value
    done = finished(api, submit(api, job_input))

    assert done["status"] == "FAILED"
    assert done["error"] == "Workflow validation failed"
    assert message in done["output"]["details"][0]
