"""The newcomer's path over real HTTP: gunicorn + worker, local backend, images in pending."""

from __future__ import annotations

import json

import requests
from websocket import create_connection

from tests.e2e.harness import wait_for


def test_local_generation_over_http_yields_pending_images(gateway):
    job_id = gateway.generate(
        prompt="coffee lover typography", width=512, height=512, batch_size=4, seed=11
    )
    job = gateway.wait_job(job_id)
    assert job["status"] == "completed", job
    assert job["progress"] == 1.0
    assert len(job["image_ids"]) == 4
    listing = gateway.get("/api/v1/images", params={"status": "pending"}).json()
    assert {item["id"] for item in listing["items"]} == set(job["image_ids"])
    thumbnail = gateway.get(
        f"/api/v1/images/{job['image_ids'][0]}/file", params={"variant": "thumbnail"}
    )
    assert thumbnail.headers["Content-Type"] == "image/webp"


def test_same_prompt_seed_and_size_give_byte_identical_images(gateway):
    first = gateway.wait_job(gateway.generate(prompt="neon tiger", width=256, height=256, seed=99))
    second = gateway.wait_job(gateway.generate(prompt="neon tiger", width=256, height=256, seed=99))
    a = gateway.get(f"/api/v1/images/{first['image_ids'][0]}/file").content
    b = gateway.get(f"/api/v1/images/{second['image_ids'][0]}/file").content
    assert a == b
    duplicates = gateway.get(f"/api/v1/images/{second['image_ids'][0]}").json()["duplicates"]
    assert {"image_id": first["image_ids"][0], "distance": 0} in duplicates


def test_job_websocket_streams_changes_and_closes_after_the_final_one(gateway):
    job_id = gateway.generate(
        prompt="minimal mountain line art", width=256, height=256, batch_size=3
    )
    ws = create_connection(
        f"ws://127.0.0.1:{gateway.port}/ws/jobs/{job_id}?api_key={gateway.api_key}", timeout=60
    )
    messages = []
    while True:
        try:
            raw = ws.recv()
        except Exception:
            break
        if not raw:
            break
        messages.append(json.loads(raw))
        if messages[-1]["status"] in {"completed", "failed", "cancelled"}:
            break
    ws.close()
    assert messages[-1]["status"] == "completed"
    assert all(message["job_id"] == job_id for message in messages)


def _completed_total(gateway) -> float:
    for line in requests.get(f"{gateway.url}/metrics", timeout=5).text.splitlines():
        if line.startswith("pod_generation_completed_total "):
            return float(line.split()[1])
    return 0.0


def test_health_ready_and_metrics_are_served_by_gunicorn(gateway):
    assert requests.get(f"{gateway.url}/health", timeout=5).json() == {"status": "ok"}
    ready = requests.get(f"{gateway.url}/ready", timeout=5)
    assert ready.status_code == 200
    assert ready.json()["checks"] == {
        "database": "ok",
        "queue": "ok",
        "storage": "ok",
        "workers": "ok",
    }
    before = _completed_total(gateway)
    job = gateway.wait_job(gateway.generate(prompt="metrics check", width=256, height=256))
    assert job["status"] == "completed"
    wait_for(
        lambda: _completed_total(gateway) == before + 1,
        timeout=20,
        what="the worker process's completed counter in the web process's /metrics",
    )
    text = requests.get(f"{gateway.url}/metrics", timeout=5).text
    assert "pod_api_requests_total" in text
    assert "pod_job_queue_depth" in text
