"""RunPod Serverless emulator: the queue API of EXTERNAL_APIS.md 2.8 with a worker-comfyui worker.

Run `python -m tests.emulators.runpod --port 0 [--endpoint-id EID] [--api-key KEY] [--worker W]`;
it prints `LISTENING <port>` once bound and exits cleanly on SIGTERM. Fault knobs (the `Config`
fields) are set with `POST /_emulator/config` (`{"reset": true}` also clears jobs and counters);
`GET /_emulator/stats` counts requests per operation, created jobs, submitted `request_id`s and jobs
per status, so tests can prove exactly-once submission. Output images of type `s3_url` are served
by the emulator itself under `/_emulator/files/`.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import contextlib
import dataclasses
import io
import json
import random
import signal
import time
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientSession, ClientTimeout, web
from PIL import Image, ImageDraw

ENDPOINT_ID = "test-endpoint"
API_KEY = "rp-test-key"
MB = 1024 * 1024
TERMINAL = frozenset({"COMPLETED", "FAILED", "TIMED_OUT", "CANCELLED"})
WEBHOOK_STATES = frozenset({"COMPLETED", "FAILED", "TIMED_OUT"})
SEVEN_DAYS_MS = 7 * 24 * 3600 * 1000
# RunPod's per-operation limits as [requests, window seconds]; unlisted operations are unlimited.
RATE_LIMITS = {
    "run": [1000, 10],
    "runsync": [2000, 10],
    "status": [2000, 10],
    "stream": [2000, 10],
    "cancel": [100, 10],
    "purge-queue": [2, 10],
}
CHOICES = {
    "worker": {"comfyui", "echo"},
    "outcome": {"completed", "failed", "failed_exception", "timed_out", "partial", "no_images"},
    "output_type": {"base64", "s3_url", "bad_s3_url"},
}


@dataclass
class Config:
    """Every fault and timing knob; durations are seconds (floats)."""

    worker: str = "comfyui"
    queue_delay: float = 0.05
    execution_time: float = 0.2
    progress_steps: int = 4
    workers: int = 3
    outcome: str = "completed"
    output_type: str = "base64"
    retention_seconds: float = 1800.0
    runsync_retention_seconds: float = 60.0
    default_ttl_seconds: float = 86400.0
    webhook_retry_interval: float = 10.0
    max_run_bytes: int = 10 * MB
    max_runsync_bytes: int = 20 * MB
    rate_limits: dict[str, list[float]] = field(
        default_factory=lambda: {op: list(limit) for op, limit in RATE_LIMITS.items()}
    )
    retry_after: float = 1.0
    fail_next_n: dict[str, int] = field(default_factory=dict)
    fail_next_n_5xx: dict[str, int] = field(default_factory=dict)
    lose_response_next_n: dict[str, int] = field(default_factory=dict)
    error_5xx_status: int = 500
    rate_limit_429_ratio: float = 0.0
    error_5xx_ratio: float = 0.0
    random_seed: int = 0
    hang: float = 0.0
    hang_ops: list[str] | None = None
    down: bool = False


@dataclass
class Job:
    id: str
    input: Any
    webhook: str | None
    sync: bool
    ttl: float
    execution_timeout: float
    created: float
    queued_at: float
    status: str = "IN_QUEUE"
    started_at: float | None = None
    finished_at: float | None = None
    output: Any = None
    error: Any = None
    retries: int = 0
    worker_id: str = ""
    stream: list[Any] = field(default_factory=list)
    task: asyncio.Task[None] | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def view(self, now: float) -> dict[str, Any]:
        """The `/status` object: timing fields only once a worker has picked the job up."""
        body: dict[str, Any] = {"id": self.id, "status": self.status}
        if self.started_at is not None:
            end = self.finished_at if self.finished_at is not None else now
            body["delayTime"] = round((self.started_at - self.queued_at) * 1000)
            body["executionTime"] = round((end - self.started_at) * 1000)
            body["workerId"] = self.worker_id
        if self.output is not None:
            body["output"] = self.output
        if self.error is not None:
            body["error"] = self.error
        if self.retries:
            body["retries"] = self.retries
        return body


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=headers)


def _seconds_header(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:g}"


class RunPodEmulator:
    """One endpoint's queue, its workers and the fault injection around them."""

    def __init__(self, *, endpoint_id: str, api_key: str, worker: str) -> None:
        self.endpoint_id = endpoint_id
        self.api_key = api_key
        self.worker = worker
        self.base_url = ""
        self.webhook_session: ClientSession | None = None
        self._reset()

    def _reset(self) -> None:
        self._cancel_tasks()
        self.config = Config(worker=self.worker)
        self.jobs: dict[str, Job] = {}
        self.files: dict[str, bytes] = {}
        self.windows: dict[str, deque[float]] = {}
        self.rng = random.Random(self.config.random_seed)
        self.busy: set[str] = set()  # ids of jobs holding a worker
        self.requests: Counter[str] = Counter()
        self.request_ids: Counter[str] = Counter()
        self.terminal: Counter[str] = Counter()
        self.counters: Counter[str] = Counter()
        self.deliveries: set[asyncio.Task[None]] = set()

    def _cancel_tasks(self) -> None:
        for job in getattr(self, "jobs", {}).values():
            if job.task:
                job.task.cancel()
        for delivery in getattr(self, "deliveries", ()):
            delivery.cancel()

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * MB, middlewares=[self.middleware])
        api = [
            web.post("/v2/{eid}/run", self.run, name="run"),
            web.post("/v2/{eid}/runsync", self.runsync, name="runsync"),
            web.get("/v2/{eid}/status/{job_id}", self.status, name="status"),
            web.get("/v2/{eid}/stream/{job_id}", self.stream, name="stream"),
            web.post("/v2/{eid}/cancel/{job_id}", self.cancel, name="cancel"),
            web.post("/v2/{eid}/retry/{job_id}", self.retry, name="retry"),
            web.post("/v2/{eid}/purge-queue", self.purge_queue, name="purge-queue"),
            web.get("/v2/{eid}/health", self.health, name="health"),
            web.get("/_emulator/files/{job_id}/{filename}", self.file, name="files"),
        ]
        control = [
            web.get("/_emulator/config", self.get_config, name="control-config"),
            web.post("/_emulator/config", self.set_config, name="control-set-config"),
            web.get("/_emulator/stats", self.stats, name="control-stats"),
            web.get("/_emulator/jobs/{job_id}", self.job_detail, name="control-job"),
        ]
        app.add_routes(api + control)
        app.on_startup.append(self._start_session)
        app.on_cleanup.append(self._close)
        return app

    async def _start_session(self, _app: web.Application) -> None:
        self.webhook_session = ClientSession(timeout=ClientTimeout(total=10))

    async def _close(self, _app: web.Application) -> None:
        self._cancel_tasks()
        if self.webhook_session:
            await self.webhook_session.close()

    # ---- fault injection, auth, rate limits -------------------------------------------------

    @web.middleware
    async def middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Faults first (they model the infrastructure), then auth, endpoint id and rate limits.

        `hang` delays the answer after the request took effect, like a slow or lost response.
        """
        op = request.match_info.route.name
        self._sweep()
        if op is None or op.startswith("control"):
            return await handler(request)
        self.requests[op] += 1
        cfg = self.config
        if cfg.down:
            return _error(503, "no healthy upstream")
        if self._take(cfg.fail_next_n, op) or self._chance(cfg.rate_limit_429_ratio):
            return self._too_many_requests(cfg.retry_after)
        if self._take(cfg.fail_next_n_5xx, op) or self._chance(cfg.error_5xx_ratio):
            return _error(cfg.error_5xx_status, "internal server error")
        if op != "files":
            if request.headers.get("Authorization", "") not in (
                self.api_key,
                f"Bearer {self.api_key}",
            ):
                return _error(401, "unauthorized")
            if request.match_info["eid"] != self.endpoint_id:
                return _error(404, "endpoint not found")
            wait = self._rate_limited(op)
            if wait is not None:
                return self._too_many_requests(wait)
        response = await handler(request)
        if cfg.hang and (cfg.hang_ops is None or op in cfg.hang_ops):
            await asyncio.sleep(cfg.hang)
        if self._take(cfg.lose_response_next_n, op):
            return _error(502, "bad gateway")
        return response

    @staticmethod
    def _take(counters: dict[str, int], op: str) -> bool:
        if counters.get(op, 0) > 0:
            counters[op] -= 1
            return True
        return False

    def _chance(self, ratio: float) -> bool:
        return ratio > 0 and self.rng.random() < ratio

    @staticmethod
    def _too_many_requests(retry_after: float) -> web.Response:
        return _error(429, "rate limit exceeded", {"Retry-After": _seconds_header(retry_after)})

    def _rate_limited(self, op: str) -> float | None:
        """Seconds until the sliding window has room again, or None when this request fits."""
        limit = self.config.rate_limits.get(op)
        if not limit:
            return None
        count, window = int(limit[0]), float(limit[1])
        now = time.monotonic()
        hits = self.windows.setdefault(op, deque())
        while hits and hits[0] <= now - window:
            hits.popleft()
        if len(hits) >= count:
            return max(1.0, float(int(hits[0] + window - now) + 1))
        hits.append(now)
        return None

    def _sweep(self) -> None:
        """Forget jobs past retention (terminal) or past their ttl (any state)."""
        now = time.monotonic()
        for job in list(self.jobs.values()):
            retention = (
                self.config.runsync_retention_seconds if job.sync else self.config.retention_seconds
            )
            expired = job.finished_at is not None and job.finished_at + retention <= now
            if expired or job.created + job.ttl <= now:
                if job.task:
                    job.task.cancel()
                del self.jobs[job.id]

    # ---- queue API ------------------------------------------------------------------------

    async def run(self, request: web.Request) -> web.Response:
        job = await self._submit(request, sync=False, limit=self.config.max_run_bytes)
        if isinstance(job, web.Response):
            return job
        return web.json_response({"id": job.id, "status": job.status})

    async def runsync(self, request: web.Request) -> web.Response:
        try:
            wait_ms = min(max(int(request.query.get("wait", "90000")), 1000), 300000)
        except ValueError:
            return _error(400, "wait must be an integer number of milliseconds")
        job = await self._submit(request, sync=True, limit=self.config.max_runsync_bytes)
        if isinstance(job, web.Response):
            return job
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(job.done.wait(), wait_ms / 1000)
        if job.status in TERMINAL:
            return web.json_response(job.view(time.monotonic()))
        return web.json_response({"id": job.id, "status": job.status})

    async def _submit(self, request: web.Request, *, sync: bool, limit: int) -> Job | web.Response:
        body = await request.read()
        if len(body) > limit:
            return _error(413, f"request body exceeds {limit} bytes")
        try:
            payload = json.loads(body)
        except ValueError:
            return _error(400, "body is not valid JSON")
        if not isinstance(payload, dict) or "input" not in payload:
            return _error(400, "'input' is required")
        webhook = payload.get("webhook")
        if webhook is not None and not isinstance(webhook, str):
            return _error(400, "'webhook' must be a URL string")
        policy = self._policy(payload.get("policy"))
        if isinstance(policy, str):
            return _error(400, policy)
        now = time.monotonic()
        prefix = "sync-" if sync else ""
        job = Job(
            id=f"{prefix}{uuid.uuid4()}-u1",
            input=payload["input"],
            webhook=webhook,
            sync=sync,
            ttl=policy[1],
            execution_timeout=policy[0],
            created=now,
            queued_at=now,
        )
        self.jobs[job.id] = job
        self.counters["jobs_created"] += 1
        if isinstance(job.input, dict) and isinstance(job.input.get("request_id"), str):
            self.request_ids[job.input["request_id"]] += 1
        self._start(job)
        return job

    def _policy(self, raw: object) -> tuple[float, float] | str:
        """(execution timeout, ttl) in seconds from `policy`, or the 400 message."""
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            return "'policy' must be an object"
        bounds = {"executionTimeout": (5000, SEVEN_DAYS_MS), "ttl": (10000, SEVEN_DAYS_MS)}
        for key, (low, high) in bounds.items():
            value = raw.get(key)
            if value is not None and (
                not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high
            ):
                return f"policy.{key} must be an integer between {low} and {high} ms"
        if not isinstance(raw.get("lowPriority", False), bool):
            return "policy.lowPriority must be a boolean"
        execution = raw.get("executionTimeout", 600000) / 1000
        ttl = raw["ttl"] / 1000 if "ttl" in raw else self.config.default_ttl_seconds
        return execution, ttl

    def _job_or_404(self, request: web.Request) -> Job | web.Response:
        job = self.jobs.get(request.match_info["job_id"])
        return job if job else _error(404, "job not found")

    async def status(self, request: web.Request) -> web.Response:
        job = self._job_or_404(request)
        if isinstance(job, web.Response):
            return job
        return web.json_response(job.view(time.monotonic()))

    async def stream(self, request: web.Request) -> web.Response:
        job = self._job_or_404(request)
        if isinstance(job, web.Response):
            return job
        chunks, job.stream = job.stream, []
        body = {"id": job.id, "status": job.status, "stream": [{"output": c} for c in chunks]}
        return web.json_response(body)

    async def cancel(self, request: web.Request) -> web.Response:
        job = self._job_or_404(request)
        if isinstance(job, web.Response):
            return job
        if job.status not in TERMINAL:
            job.output = None
            self._finish(job, "CANCELLED")
            if job.task:
                job.task.cancel()
        return web.json_response({"id": job.id, "status": job.status})

    async def retry(self, request: web.Request) -> web.Response:
        job = self._job_or_404(request)
        if isinstance(job, web.Response):
            return job
        if job.status not in {"FAILED", "TIMED_OUT"}:
            return _error(400, f"job is {job.status}; only FAILED or TIMED_OUT jobs can be retried")
        job.status, job.output, job.error, job.done = "IN_QUEUE", None, None, asyncio.Event()
        job.queued_at, job.started_at, job.finished_at = time.monotonic(), None, None
        job.retries += 1
        self.counters["retried"] += 1
        self._start(job)
        return web.json_response({"id": job.id, "status": job.status})

    async def purge_queue(self, _request: web.Request) -> web.Response:
        queued = [job for job in self.jobs.values() if job.status == "IN_QUEUE"]
        for job in queued:
            if job.task:
                job.task.cancel()
            del self.jobs[job.id]
        return web.json_response({"removed": len(queued), "status": "completed"})

    async def health(self, _request: web.Request) -> web.Response:
        states = Counter(job.status for job in self.jobs.values())
        idle = max(0, self.config.workers - len(self.busy))
        jobs = {
            "completed": states["COMPLETED"],
            "failed": states["FAILED"] + states["TIMED_OUT"],
            "inProgress": states["IN_PROGRESS"],
            "inQueue": states["IN_QUEUE"],
            "retried": self.counters["retried"],
        }
        workers = {
            "idle": idle,
            "ready": idle,
            "running": len(self.busy),
            "initializing": 0,
            "throttled": 0,
            "unhealthy": 0,
        }
        return web.json_response({"jobs": jobs, "workers": workers})

    async def file(self, request: web.Request) -> web.Response:
        key = f"{request.match_info['job_id']}/{request.match_info['filename']}"
        if key not in self.files:
            return _error(404, "no such object")
        return web.Response(body=self.files[key], content_type="image/png")

    # ---- control endpoint ---------------------------------------------------------------

    async def get_config(self, _request: web.Request) -> web.Response:
        return web.json_response(dataclasses.asdict(self.config))

    async def set_config(self, request: web.Request) -> web.Response:
        knobs = await request.json()
        if not isinstance(knobs, dict):
            return _error(400, "config must be a JSON object")
        if knobs.pop("reset", False):
            self._reset()
        defaults = Config()
        for key, value in knobs.items():
            problem = _knob_problem(key, value, defaults)
            if problem:
                return _error(400, problem)
            setattr(self.config, key, value)
            if key == "random_seed":
                self.rng = random.Random(value)
        return web.json_response(dataclasses.asdict(self.config))

    async def stats(self, _request: web.Request) -> web.Response:
        body = {
            "requests": dict(self.requests),
            "jobs_created": self.counters["jobs_created"],
            "request_ids": dict(self.request_ids),
            "jobs": dict(Counter(job.status for job in self.jobs.values())),
            "terminal": dict(self.terminal),
            "webhook_attempts": self.counters["webhook_attempts"],
            "webhook_deliveries": self.counters["webhook_deliveries"],
        }
        return web.json_response(body)

    async def job_detail(self, request: web.Request) -> web.Response:
        job = self._job_or_404(request)
        if isinstance(job, web.Response):
            return job
        return web.json_response({**job.view(time.monotonic()), "input": job.input})

    # ---- the worker ---------------------------------------------------------------------

    def _start(self, job: Job) -> None:
        job.task = asyncio.get_running_loop().create_task(self._execute(job))

    def _finish(self, job: Job, status: str) -> None:
        job.status, job.finished_at = status, time.monotonic()
        self.terminal[status] += 1
        job.done.set()
        if job.webhook and status in WEBHOOK_STATES:
            payload = {**job.view(job.finished_at), "input": job.input, "webhook": job.webhook}
            delivery = asyncio.get_running_loop().create_task(
                self._deliver_webhook(job.webhook, payload)
            )
            self.deliveries.add(delivery)
            delivery.add_done_callback(self.deliveries.discard)

    async def _execute(self, job: Job) -> None:
        """Queue, pick-up by a free worker, execution with progress, then the outcome."""
        cfg = dataclasses.replace(self.config)
        await asyncio.sleep(cfg.queue_delay)
        while len(self.busy) >= self.config.workers:
            await asyncio.sleep(0.01)
        self.busy.add(job.id)
        try:
            job.status, job.started_at = "IN_PROGRESS", time.monotonic()
            job.worker_id = f"emu-worker-{uuid.uuid4().hex[:8]}"
            try:
                await asyncio.wait_for(self._work(job, cfg), job.execution_timeout)
            except TimeoutError:
                job.output = None
                self._finish(job, "TIMED_OUT")
        finally:
            self.busy.discard(job.id)

    async def _work(self, job: Job, cfg: Config) -> None:
        steps = max(1, cfg.progress_steps)
        for step in range(steps):
            job.output = {"progress": f"{step}/{steps}"}
            await asyncio.sleep(cfg.execution_time / steps)
        if cfg.outcome == "timed_out":
            job.output = None
            self._finish(job, "TIMED_OUT")
            return
        handler = comfyui_handler if cfg.worker == "comfyui" else echo_handler
        files_url = f"{self.base_url}/_emulator/files/{job.id}"
        try:
            if cfg.outcome == "failed_exception":
                raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
            loop = asyncio.get_running_loop()
            result, files = await loop.run_in_executor(None, handler, job.input, cfg, files_url)
        except Exception as exc:
            job.output, job.error = None, _exception_error(job.worker_id, exc)
            self._finish(job, "FAILED")
            return
        self.files.update({f"{job.id}/{name}": data for name, data in files.items()})
        if "error" in result:
            job.error = result.pop("error")
            job.output = result or None
            self._finish(job, "FAILED")
        else:
            job.output = result or None
            job.stream.append(job.output)
            self._finish(job, "COMPLETED")

    async def _deliver_webhook(self, url: str, payload: dict[str, Any]) -> None:
        """POST the terminal status; a non-200 is retried twice, `webhook_retry_interval` apart."""
        assert self.webhook_session is not None
        for attempt in range(3):
            if attempt:
                await asyncio.sleep(self.config.webhook_retry_interval)
            self.counters["webhook_attempts"] += 1
            try:
                async with self.webhook_session.post(url, json=payload) as response:
                    if response.status == 200:
                        self.counters["webhook_deliveries"] += 1
                        return
            except (OSError, TimeoutError):
                continue


def _knob_problem(key: str, value: object, defaults: Config) -> str | None:
    if not hasattr(defaults, key):
        return f"unknown knob {key!r}"
    current = getattr(defaults, key)
    if key in CHOICES and value not in CHOICES[key]:
        return f"{key} must be one of {sorted(CHOICES[key])}"
    if isinstance(current, bool):
        ok = isinstance(value, bool)
    elif isinstance(current, int | float):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif current is None:
        ok = value is None or isinstance(value, list)
    else:
        ok = isinstance(value, type(current))
    return None if ok else f"{key} has the wrong type"


def _exception_error(worker_id: str, exc: Exception) -> str:
    """What runpod-python reports when the handler raises: a JSON-encoded string."""
    return json.dumps(
        {
            "error_type": str(type(exc)),
            "error_message": str(exc),
            "error_traceback": 'Traceback (most recent call last):\n  File "handler.py"\n'
            f"{type(exc).__name__}: {exc}\n",
            "hostname": "emulator-host",
            "worker_id": worker_id,
            "runpod_version": "1.7.9",
        }
    )


def echo_handler(job_input: Any, cfg: Config, _files_url: str) -> tuple[dict, dict[str, bytes]]:
    """The echo worker: returns its input (or the configured failure)."""
    if cfg.outcome == "failed":
        return {"error": "echo worker failed"}, {}
    return {"echo": job_input}, {}


def comfyui_handler(job_input: Any, cfg: Config, files_url: str) -> tuple[dict, dict[str, bytes]]:
    """worker-comfyui's handler: validate, "run" the workflow, return images the configured way."""
    if isinstance(job_input, str):
        try:
            job_input = json.loads(job_input)
        except ValueError:
            return {"error": "Invalid JSON format in input"}, {}
    if not isinstance(job_input, dict):
        return {"error": "Please provide input"}, {}
    workflow = job_input.get("workflow")
    if workflow is None:
        return {"error": "Missing 'workflow' parameter"}, {}
    images = job_input.get("images") or []
    if not isinstance(images, list) or not all(
        isinstance(i, dict) and "name" in i and "image" in i for i in images
    ):
        return {"error": "'images' must be a list of objects with 'name' and 'image' keys"}, {}
    uploaded, problems = _upload(images)
    if problems:
        return {"error": "Failed to upload one or more input images", "details": problems}, {}
    if cfg.outcome == "failed":
        details = ["Node 4 (CheckpointLoaderSimple): ckpt_name: value not in list"]
        return {"error": "Workflow validation failed", "details": details}, {}
    plans = _plan(workflow, uploaded)
    if isinstance(plans, str):
        return {"error": "Workflow validation failed", "details": [plans]}, {}
    if cfg.outcome == "no_images":
        return {"images": [], "status": "success_no_images"}, {}
    rendered = [
        (
            f"{prefix}_{i + 1:05d}_.png",
            render_png(width, height, seed + i, source) if seed is not None else _png(source),
        )
        for width, height, batch, seed, prefix, source in plans
        for i in range(batch)
    ]
    errors = []
    if cfg.outcome == "partial":
        errors = [f"Error fetching image data for {rendered[-1][0]}: 404 Not Found"]
        rendered = rendered[:-1] if len(rendered) > 1 else rendered
    out, files = [], {}
    for name, png in rendered:
        if cfg.output_type == "base64":
            out.append({"filename": name, "type": "base64", "data": base64.b64encode(png).decode()})
        elif cfg.output_type == "s3_url":
            files[name] = png
            url = f"{files_url}/{name}?X-Amz-Expires=604800"
            out.append({"filename": name, "type": "s3_url", "data": url})
        else:
            out.append({"filename": name, "type": "s3_url", "data": f"simulated_uploaded/{name}"})
    result: dict[str, Any] = {"images": out}
    if errors:
        result["errors"] = errors
    return result, files


def _upload(images: list[dict]) -> tuple[dict[str, Image.Image], list[str]]:
    uploaded, problems = {}, []
    for item in images:
        data = str(item["image"])
        if data.startswith("data:") and "," in data:
            data = data.split(",", 1)[1]
        try:
            picture = Image.open(io.BytesIO(base64.b64decode(data, validate=True)))
            picture.load()
        except (binascii.Error, ValueError, OSError) as exc:
            problems.append(f"Error decoding or uploading {item['name']}: {exc}")
            continue
        uploaded[str(item["name"])] = picture
    return uploaded, problems


# (width, height, batch, seed, filename prefix, source): a sampled chain has a seed; an upscale
# chain has none, and its source is already the enlarged image.
Plan = tuple[int, int, int, int | None, str, Image.Image | None]
UPSCALE_METHODS = {
    "nearest-exact": Image.Resampling.NEAREST,
    "bilinear": Image.Resampling.BILINEAR,
    "area": Image.Resampling.BOX,
    "bicubic": Image.Resampling.BICUBIC,
    "lanczos": Image.Resampling.LANCZOS,
}
UPSCALE_MODELS = {"RealESRGAN_x4plus.pth": 4, "4x-UltraSharp.pth": 4, "RealESRGAN_x2plus.pth": 2}


def _linked(workflow: dict, value: object) -> tuple[str, dict] | None:
    """The node a `[node_id, output]` link points at, if any."""
    if isinstance(value, list) and value and str(value[0]) in workflow:
        node_id = str(value[0])
        return node_id, workflow[node_id]
    return None


def _plan(workflow: object, uploaded: dict[str, Image.Image]) -> list[Plan] | str:
    """One plan (size, batch, seed, filename prefix, source image) per SaveImage chain.

    Several chains in one graph (the gateway's per-seed batches) each render their own images.
    """
    if not isinstance(workflow, dict) or not all(isinstance(n, dict) for n in workflow.values()):
        return "workflow must map node ids to nodes"
    plans: list[Plan] = []
    saves = [n for n in workflow.values() if n.get("class_type") == "SaveImage"]
    if not saves:
        return "no SaveImage node in the workflow"
    for save in saves:
        inputs = save.get("inputs") or {}
        prefix = str(inputs.get("filename_prefix", "ComfyUI"))
        decoded = _linked(workflow, inputs.get("images"))
        if decoded and decoded[1].get("class_type") in ("ImageScaleBy", "ImageUpscaleWithModel"):
            upscaled = _upscale_plan(workflow, decoded[1], uploaded, prefix)
            if isinstance(upscaled, str):
                return upscaled
            plans.append(upscaled)
            continue
        sampler = decoded and _linked(workflow, (decoded[1].get("inputs") or {}).get("samples"))
        if not sampler or sampler[1].get("class_type") != "KSampler":
            return "no KSampler node in the workflow"
        sampler_inputs = sampler[1].get("inputs") or {}
        seed = int(sampler_inputs.get("seed", 0))
        latent = _linked(workflow, sampler_inputs.get("latent_image"))
        if latent is None:
            return "KSampler has no latent_image input"
        kind, latent_inputs = latent[1].get("class_type"), latent[1].get("inputs") or {}
        if kind == "VAEEncode":
            loader = _linked(workflow, latent_inputs.get("pixels"))
            name = loader and (loader[1].get("inputs") or {}).get("image")
            if name not in uploaded:
                return f"Node LoadImage: image - Invalid image file: {name}"
            source = uploaded[name].convert("RGB")
            plans.append((source.width, source.height, 1, seed, prefix, source))
            continue
        if kind != "EmptyLatentImage":
            return "no EmptyLatentImage or LoadImage node in the workflow"
        width, height = int(latent_inputs.get("width", 512)), int(latent_inputs.get("height", 512))
        batch = int(latent_inputs.get("batch_size", 1))
        if not (16 <= width <= 8192 and 16 <= height <= 8192 and 1 <= batch <= 64):
            return f"Node EmptyLatentImage: {width}x{height} x{batch} is out of range"
        plans.append((width, height, batch, seed, prefix, None))
    return plans


def _upscale_plan(
    workflow: dict, node: dict, uploaded: dict[str, Image.Image], prefix: str
) -> Plan | str:
    """An upscale chain (ImageScaleBy and ImageUpscaleWithModel nodes down to a LoadImage),
    checked as ComfyUI would and "run": the source resized to the size the chain makes."""
    steps: list[tuple[float, Image.Resampling]] = []
    while node.get("class_type") != "LoadImage":
        kind, inputs = node.get("class_type"), node.get("inputs") or {}
        if kind == "ImageScaleBy":
            method, scale_by = inputs.get("upscale_method"), inputs.get("scale_by")
            if method not in UPSCALE_METHODS:
                return f"Node ImageScaleBy: upscale_method: '{method}' not in list"
            if not isinstance(scale_by, int | float) or not 0.01 <= scale_by <= 8.0:
                return f"Node ImageScaleBy: scale_by {scale_by!r} is not between 0.01 and 8.0"
            steps.append((float(scale_by), UPSCALE_METHODS[method]))
        elif kind == "ImageUpscaleWithModel":
            loader = _linked(workflow, inputs.get("upscale_model"))
            name = loader and (loader[1].get("inputs") or {}).get("model_name")
            if not loader or loader[1].get("class_type") != "UpscaleModelLoader":
                return "Node ImageUpscaleWithModel: upscale_model must come from UpscaleModelLoader"
            if name not in UPSCALE_MODELS:
                return f"Node UpscaleModelLoader: model_name: '{name}' not in list"
            steps.append((float(UPSCALE_MODELS[name]), Image.Resampling.LANCZOS))
        else:
            return f"Node {kind}: not an image source or scaling node"
        linked = _linked(workflow, inputs.get("image"))
        if linked is None:
            return f"Node {kind}: image input is not linked"
        node = linked[1]
    name = (node.get("inputs") or {}).get("image")
    if name not in uploaded:
        return f"Node LoadImage: image - Invalid image file: {name}"
    picture = uploaded[name].convert("RGB")
    for scale_by, method in reversed(steps):
        size = (round(picture.width * scale_by), round(picture.height * scale_by))
        if not (1 <= size[0] <= 16384 and 1 <= size[1] <= 16384):
            return f"Node ImageScaleBy: {size[0]}x{size[1]} is out of range"
        picture = picture.resize(size, method)
    return (picture.width, picture.height, 1, None, prefix, picture)


def _png(picture: Image.Image | None) -> bytes:
    """An upscale chain's result as worker-comfyui returns it (PNG)."""
    assert picture is not None, "an upscale plan carries its image"
    buffer = io.BytesIO()
    picture.save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


def render_png(width: int, height: int, seed: int, source: Image.Image | None) -> bytes:
    """A cheap, deterministic, seed-dependent picture: a two-colour gradient and a few shapes."""
    rng = random.Random(seed)
    first, second = (tuple(rng.randrange(256) for _ in range(3)) for _ in range(2))
    size = (width, height)
    mask = Image.linear_gradient("L").resize(size)
    picture = Image.composite(Image.new("RGB", size, first), Image.new("RGB", size, second), mask)
    if source is not None:
        picture = Image.blend(source, picture, 0.35)
    draw = ImageDraw.Draw(picture)
    for _ in range(3):
        x0, y0 = rng.randrange(width), rng.randrange(height)
        x1, y1 = x0 + rng.randrange(1, width // 2 + 2), y0 + rng.randrange(1, height // 2 + 2)
        colour = tuple(rng.randrange(256) for _ in range(3))
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape((x0, y0, x1, y1), fill=colour)
    buffer = io.BytesIO()
    picture.save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


async def serve(host: str, port: int, emulator: RunPodEmulator) -> None:
    runner = web.AppRunner(emulator.app(), access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0][1]
    emulator.base_url = f"http://{host}:{bound}"
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    print(f"LISTENING {bound}", flush=True)
    await stop.wait()
    await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--endpoint-id", default=ENDPOINT_ID)
    parser.add_argument("--api-key", default=API_KEY)
    parser.add_argument("--worker", choices=sorted(CHOICES["worker"]), default="comfyui")
    args = parser.parse_args()
    emulator = RunPodEmulator(
        endpoint_id=args.endpoint_id, api_key=args.api_key, worker=args.worker
    )
    asyncio.run(serve(args.host, args.port, emulator))


if __name__ == "__main__":
    main()
