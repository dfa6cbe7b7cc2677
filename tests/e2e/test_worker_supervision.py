"""Running unattended: `make run`'s embedded worker comes back after a SIGKILL and every job still
completes exactly once; with no live worker, `/ready`, `/api/v1/status` and the dashboard say so."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
import requests

from tests.e2e.harness import ROOT, Gateway, wait_for

QUICK_RECOVERY = {
    "JOB_LEASE_SECONDS": "5",
    "REAPER_INTERVAL_SECONDS": "1",
    "WORKER_HEARTBEAT_SECONDS": "1",
    "WORKER_STALE_SECONDS": "4",
}


def job_workers(root: psutil.Process) -> list[psutil.Process]:
    """The `flask ... worker` processes under `root`."""
    found = []
    for process in root.children(recursive=True):
        try:
            if process.cmdline()[-1:] == ["worker"]:
                found.append(process)
        except psutil.NoSuchProcess:
            continue
    return found


@pytest.fixture
def make_run(tmp_path: Path) -> Iterator[Gateway]:
    """`make run` itself, configured by the environment as an operator would."""
    gateway = Gateway(tmp_path / "state", {**QUICK_RECOVERY, "EMBEDDED_WORKER": "1"})
    (gateway.state_dir / "prometheus").mkdir(parents=True)
    log = open(gateway.state_dir / "make-run.log", "ab")  # noqa: SIM115
    gateway.server = subprocess.Popen(
        ["make", "run"],
        cwd=ROOT,
        env=gateway.env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    wait_for(gateway._healthy, timeout=120, what="make run to serve /health")
    created = gateway.flask("keys", "create", "chaos", "--plan", "enterprise", "--scopes", "admin")
    gateway.api_key = created.stdout.strip().splitlines()[-1]
    yield gateway
    os.killpg(gateway.server.pid, signal.SIGTERM)
    try:
        gateway.server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(gateway.server.pid, signal.SIGKILL)
        gateway.server.wait()


def test_a_sigkilled_embedded_worker_is_restarted_and_every_job_completes_once(make_run):
    tree = psutil.Process(make_run.server.pid)
    [worker] = wait_for(lambda: job_workers(tree), timeout=60, what="the embedded worker")
    wait_for(lambda: make_run.get("/ready").status_code == 200, timeout=60, what="ready")
    job_ids = [
        make_run.generate(prompt=f"unattended {n}", width=512, height=512, seed=n, batch_size=2)
        for n in range(6)
    ]
    wait_for(
        lambda: any(make_run.job(job_id)["status"] == "processing" for job_id in job_ids),
        timeout=60,
        what="a job to start",
    )
    worker.kill()  # as the OOM killer would

    def replaced() -> list[psutil.Process]:
        return [p for p in job_workers(tree) if p.pid != worker.pid]

    wait_for(replaced, timeout=60, what="the supervisor to start a new worker")
    jobs = [make_run.wait_job(job_id, timeout=120) for job_id in job_ids]
    assert [job["status"] for job in jobs] == ["completed"] * 6
    image_ids = [image_id for job in jobs for image_id in job["image_ids"]]
    assert len(image_ids) == len(set(image_ids)) == 12
    listed = make_run.get("/api/v2/images", params={"limit": 200}).json()["items"]
    assert sorted(image["id"] for image in listed) == sorted(image_ids)
    log = (make_run.state_dir / "make-run.log").read_text(errors="replace")
    assert f"supervisor: pid {worker.pid} exited" in log
    assert make_run.get("/ready").status_code == 200


def test_without_a_live_worker_ready_fails_and_status_and_dashboard_say_so(start_gateway):
    gateway = start_gateway(QUICK_RECOVERY, workers=0)
    not_ready = gateway.get("/ready")
    assert not_ready.status_code == 503
    assert not_ready.json()["checks"]["workers"].startswith("error: no live job worker")
    assert gateway.get("/api/v1/status").json()["workers"]["alive"] == 0
    assert "pod_workers_alive 0.0" in requests.get(f"{gateway.url}/metrics", timeout=30).text

    worker = gateway.start_worker()
    wait_for(lambda: gateway.get("/ready").status_code == 200, timeout=60, what="ready")
    status = gateway.get("/api/v1/status").json()["workers"]
    assert status["alive"] == 1
    assert status["items"][0]["pid"] == worker.pid

    gateway.kill_worker(worker)  # SIGKILL: its heartbeat just stops
    wait_for(lambda: gateway.get("/ready").status_code == 503, timeout=60, what="not ready")
    gateway.flask("operators", "create", "olga", "--role", "viewer", "--password", "pw-olga-12345")
    browser = requests.Session()
    page = browser.get(f"{gateway.url}/login", timeout=30).text
    token = page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    browser.post(
        f"{gateway.url}/login",
        data={"username": "olga", "password": "pw-olga-12345", "csrf_token": token},
        timeout=30,
    )
    dashboard = browser.get(f"{gateway.url}/dashboard", timeout=30).text
    assert 'data-alert="no-worker"' in dashboard
