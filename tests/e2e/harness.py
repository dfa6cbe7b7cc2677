"""A real gateway for end-to-end tests: gunicorn serving wsgi:app plus job worker processes.

Everything is configured through the environment, exactly as an operator would, and talked to over
HTTP. Workers are separate `flask worker` processes so tests can kill them (SIGKILL) mid-job.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(
    condition: Callable[[], Any], *, timeout: float = 60.0, interval: float = 0.1, what: str = ""
) -> Any:
    """Poll until `condition()` is truthy; fail the test with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what or condition}")


@dataclass
class Gateway:
    state_dir: Path
    env_overrides: dict[str, str] = field(default_factory=dict)
    web_workers: int = 2
    port: int = field(default_factory=free_port)
    server: subprocess.Popen[bytes] | None = None
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    api_key: str = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(
                ("GATEWAY_", "RUNPOD_", "COMFYUI_", "PRINTIFY_", "REDIS_", "DATABASE_")
            )
        }
        env.update(
            {
                "GATEWAY_STATE_DIR": str(self.state_dir),
                "GATEWAY_SECRET_KEY": "e2e-secret",
                "GATEWAY_BASE_URL": self.url,
                "HOST": "127.0.0.1",
                "PORT": str(self.port),
                "WEB_CONCURRENCY": str(self.web_workers),
                "EMBEDDED_WORKER": "0",
                "PROMETHEUS_MULTIPROC_DIR": str(self.state_dir / "prometheus"),
                "JOB_LEASE_SECONDS": "5",
                "REAPER_INTERVAL_SECONDS": "1",
                "WORKER_CONCURRENCY": "2",
                "LOG_LEVEL": "INFO",
                "PYTHONUNBUFFERED": "1",
                # A test saves a template through one web worker and reads through the other.
                "PRINT_TARGETS_CACHE_SECONDS": "0",
            }
        )
        env.update(self.env_overrides)
        return env

    def flask(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(BIN / "flask"), "--app", "wsgi", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if check and result.returncode:
            raise AssertionError(
                f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
            )
        return result

    def start(self, *, workers: int = 1) -> Gateway:
        (self.state_dir / "prometheus").mkdir(parents=True, exist_ok=True)
        self.flask("db", "upgrade")
        created = self.flask(
            "keys",
            "create",
            "e2e",
            "--plan",
            "enterprise",
            "--scopes",
            "read,generate,review,publish,admin",
        )
        self.api_key = created.stdout.strip().splitlines()[-1]
        log = open(self.state_dir / "gunicorn.log", "ab")  # noqa: SIM115
        self.server = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_for(self._healthy, timeout=60, what="gateway /health")
        for _ in range(workers):
            self.start_worker()
        return self

    def _healthy(self) -> bool:
        if self.server and self.server.poll() is not None:
            raise AssertionError(f"gunicorn exited: {self.log_tail()}")
        try:
            return requests.get(f"{self.url}/health", timeout=1).status_code == 200
        except (requests.ConnectionError, requests.Timeout):
            return False

    def start_worker(self) -> subprocess.Popen[bytes]:
        log = open(self.state_dir / f"worker-{len(self.workers)}.log", "ab")  # noqa: SIM115
        worker = subprocess.Popen(
            [str(BIN / "flask"), "--app", "wsgi", "worker"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.workers.append(worker)
        return worker

    def kill_worker(self, worker: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
        worker.send_signal(sig)
        worker.wait(timeout=20)

    def log_tail(self, lines: int = 60) -> str:
        chunks = []
        for path in sorted(self.state_dir.glob("*.log")):
            text = path.read_text(errors="replace").splitlines()[-lines:]
            chunks.append(f"--- {path.name}\n" + "\n".join(text))
        return "\n".join(chunks)

    def stop(self) -> None:
        for process in [*self.workers, self.server]:
            if process and process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in [*self.workers, self.server]:
            if process:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()

    # --- HTTP helpers -------------------------------------------------------------------------
    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"X-API-Key": self.api_key, **kwargs.pop("headers", {})}
        return requests.request(method, f"{self.url}{path}", headers=headers, timeout=30, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def generate(self, **params: Any) -> str:
        response = self.post("/api/v1/generate", json=params)
        assert response.status_code == 202, response.text
        return response.json()["job_id"]

    def job(self, job_id: str) -> dict[str, Any]:
        response = self.get(f"/api/v1/jobs/{job_id}")
        assert response.status_code == 200, response.text
        return response.json()

    def wait_job(self, job_id: str, *, timeout: float = 90) -> dict[str, Any]:
        final = {"completed", "failed", "cancelled"}
        return wait_for(
            lambda: (job := self.job(job_id))["status"] in final and job,
            timeout=timeout,
            interval=0.2,
            what=f"job {job_id} to finish",
        )
