"""Upscale over real HTTP: gunicorn + worker, on the local backend and through the ComfyUI and
RunPod (worker-comfyui) emulators, each making one child image pending review.

One gateway has all three backends configured (local the default), so each test names its backend
in the request, as an operator would.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
import requests
from PIL import Image, ImageChops, ImageStat

from tests.e2e.conftest import GatewayFactory
from tests.e2e.harness import Gateway
from tests.emulators.process import EmulatorProcess
from tests.emulators.runpod import API_KEY, ENDPOINT_ID

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def gateway(
    module_gateways: GatewayFactory,
    comfyui_emulator: EmulatorProcess,
    runpod_emulator: EmulatorProcess,
) -> Gateway:
    return module_gateways(
        {
            "COMFYUI_URL": comfyui_emulator.url,
            "RUNPOD_API_KEY": API_KEY,
            "RUNPOD_ENDPOINT_ID": ENDPOINT_ID,
            "RUNPOD_BASE_URL": f"{runpod_emulator.url}/v2",
            "RUNPOD_POLL_INTERVAL_SECONDS": "0.1",
        }
    )


@pytest.fixture(scope="module")
def source(gateway: Gateway) -> dict[str, Any]:
    """A 256 px local design to upscale, the same every run (a random seed made the resampling
    error below vary from run to run)."""
    job = gateway.wait_job(
        gateway.generate(prompt="retro surf club badge", width=256, height=256, seed=11)
    )
    assert job["status"] == "completed", job
    return gateway.get(f"/api/v1/images/{job['image_ids'][0]}").json()


def _stats(emulator: EmulatorProcess) -> dict[str, Any]:
    return requests.get(f"{emulator.url}/_emulator/stats", timeout=5).json()


def _pixels(gateway: Gateway, image_id: str) -> Image.Image:
    data = gateway.get(f"/api/v1/images/{image_id}/file").content
    return Image.open(io.BytesIO(data)).convert("RGB")


@pytest.mark.parametrize(
    ("backend", "factor"), [("local", 2), ("local", 4), ("comfyui", 2), ("runpod", 4)]
)
def test_an_upscale_job_makes_one_pending_child_of_the_enlarged_design(
    gateway: Gateway,
    source: dict[str, Any],
    comfyui_emulator: EmulatorProcess,
    runpod_emulator: EmulatorProcess,
    backend: str,
    factor: int,
) -> None:
    response = gateway.post(
        f"/api/v1/images/{source['id']}/upscale", json={"factor": factor, "backend": backend}
    )
    assert response.status_code == 202, response.text
    job = gateway.wait_job(response.json()["job_id"])

    assert job["status"] == "completed", job
    assert (job["mode"], job["backend"], job["source_image_id"]) == (
        "upscale",
        backend,
        source["id"],
    )
    [child_id] = job["image_ids"]
    child = gateway.get(f"/api/v1/images/{child_id}").json()
    assert child["parent_id"] == source["id"]
    assert (child["status"], child["source"], child["backend"]) == ("pending", "upscale", backend)
    assert (child["width"], child["height"]) == (256 * factor, 256 * factor)
    original = _pixels(gateway, source["id"])
    shrunk = _pixels(gateway, child_id).resize(original.size, Image.Resampling.LANCZOS)
    assert max(ImageStat.Stat(ImageChops.difference(shrunk, original)).mean) < 6
    if backend == "comfyui":
        assert _stats(comfyui_emulator)["prompts_queued"] >= 1
    if backend == "runpod":
        assert _stats(runpod_emulator)["request_ids"] == {job["job_id"]: 1}


def test_a_replayed_idempotency_key_queues_no_second_upscale(
    gateway: Gateway, source: dict[str, Any]
) -> None:
    headers = {"Idempotency-Key": "e2e-upscale-once"}
    url = f"/api/v2/images/{source['id']}/upscale"
    first = gateway.post(url, json={"factor": 2}, headers=headers)
    again = gateway.post(url, json={"factor": 2}, headers=headers)

    assert first.status_code == again.status_code == 202
    assert again.json() == first.json()
    assert gateway.wait_job(first.json()["job_id"])["status"] == "completed"
    children = gateway.get("/api/v2/images", params={"limit": 200}).json()["items"]
    made = [i for i in children if i["job_id"] == first.json()["job_id"]]
    assert len(made) == 1


def test_a_misnamed_upscale_model_fails_the_comfyui_job_with_the_servers_reason(
    gateway: Gateway, source: dict[str, Any], comfyui_emulator: EmulatorProcess
) -> None:
    comfyui_emulator.configure(upscale_models=["4x-UltraSharp.pth"])
    try:
        response = gateway.post(
            f"/api/v1/images/{source['id']}/upscale", json={"factor": 2, "backend": "comfyui"}
        )
        job = gateway.wait_job(response.json()["job_id"])
    finally:
        comfyui_emulator.configure(reset=True)

    assert job["status"] == "failed"
    assert "RealESRGAN_x4plus.pth" in job["error"]["message"]
    assert job["image_ids"] == []
