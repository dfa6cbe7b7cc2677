"""gunicorn settings for `make run`: threads for WebSockets, multiprocess metrics, embedded worker.

With EMBEDDED_WORKER=1 (the default) the gunicorn master also starts one job worker process
(`flask --app wsgi worker`), restarts it whenever it dies (`gateway.supervisor`, with backoff) and
stops it on exit, so one command serves everything.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from gateway.supervisor import ProcessSupervisor

host = os.environ.get("HOST", "127.0.0.1")
port = os.environ.get("PORT", "8000")
bind = f"{host}:{port}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "32"))  # each open review tab holds one (SSE)
timeout = 120
# Kept-alive connections idle up to 75 s (gunicorn's default is 2 s): a client polling a job every
# few seconds keeps its connection instead of racing the server's close. gthread parks idle
# connections in its poller, so they hold no thread.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "75"))
graceful_timeout = 20
accesslog = None
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

_state_dir = Path(os.environ.get("GATEWAY_STATE_DIR", "state")).resolve()
control_socket = str(_state_dir / "gunicorn.ctl")  # one per instance, not one per user
_metrics_dir = Path(
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(_state_dir / "prometheus"))
)
_job_worker: ProcessSupervisor | None = None


def on_starting(server: object) -> None:
    """With the embedded worker, this master owns every process: it starts the metrics directory
    afresh and then the worker. Otherwise the deployment manages the directory (a volume shared
    with the separate worker processes), so it is only created."""
    global _job_worker
    embedded = os.environ.get("EMBEDDED_WORKER", "1").lower() in {"1", "true", "yes"}
    if embedded:
        shutil.rmtree(_metrics_dir, ignore_errors=True)
    _metrics_dir.mkdir(parents=True, exist_ok=True)
    if embedded:
        _job_worker = ProcessSupervisor(
            [sys.executable, "-m", "flask", "--app", "wsgi", "worker"]
        ).start()


def child_exit(server: object, worker: object) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]


def on_exit(server: object) -> None:
    if _job_worker is not None:
        _job_worker.stop(timeout=graceful_timeout)
