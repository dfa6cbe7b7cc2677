"""RunPod Serverless client: the queue API of one endpoint over plain HTTP, with typed results.

Failures are RunPodError subclasses: RunPodConfigError for 401/403 or an unknown endpoint,
RunPodJobNotFound for a 404 on a job id (RunPod forgets jobs after their retention or ttl),
RunPodUnavailable for network errors, 408, 429 and 5xx, RunPodRejected for a refused `/run` body,
and RunPodOutputError for an output image that cannot be fetched.

`/run` is not idempotent and RunPod offers no idempotency key, so it is retried only when the job
certainly was not queued: on a 429 (refused by the rate limiter) or when the connection never
opened. After a 5xx or a timeout the job may exist, so RunPodUnavailable is raised at once with
`ambiguous=True`; callers put a `request_id` in the input to reconcile.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from gateway.app.clients.http import (
    HTTPError,
    RetryPolicy,
    Timeouts,
    TransientHTTPError,
    build_session,
    send,
    send_once,
)

TERMINAL_STATES = frozenset({"COMPLETED", "FAILED", "TIMED_OUT", "CANCELLED"})
# EXTERNAL_APIS 2.5 and 4: run/status 10-15 s, cancel/health/purge 3-5 s; downloads are big.
REQUEST_TIMEOUTS = Timeouts(connect=5.0, read=15.0)
CONTROL_TIMEOUTS = Timeouts(connect=3.0, read=5.0)
DOWNLOAD_TIMEOUTS = Timeouts(connect=5.0, read=60.0)
MAX_DOWNLOAD_BYTES = 64 * 1024 * 1024


class RunPodError(Exception):
    """Base of every RunPod client failure; `status` is None when no HTTP answer came."""

    def __init__(
        self, message: str, *, operation: str, status: int | None = None, body: object = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.operation = operation
        self.status = status
        self.body = body


class RunPodUnavailable(RunPodError):
    """Network error, 408, 429 or 5xx; `ambiguous` when a `/run` may have queued the job anyway."""

    def __init__(
        self,
        message: str,
        *,
        operation: str,
        status: int | None = None,
        body: object = None,
        retry_after: float | None = None,
        ambiguous: bool = False,
    ) -> None:
        super().__init__(message, operation=operation, status=status, body=body)
        self.retry_after = retry_after
        self.ambiguous = ambiguous


class RunPodConfigError(RunPodError):
    """Bad API key (401/403) or unknown endpoint id (404 on an endpoint-level call)."""


class RunPodJobNotFound(RunPodError):
    """RunPod no longer knows the job: its result retention or ttl passed."""


class RunPodRejected(RunPodError):
    """RunPod refused the `/run` body (400, 413): sending it again cannot help."""


class RunPodOutputError(RunPodError):
    """An output image location is not an http(s) URL, or fetching it failed for good."""


@dataclass(frozen=True)
class RunPodJob:
    """One `/run`, `/status` or `/cancel` answer; `output` may hold progress while IN_PROGRESS."""

    id: str
    status: str
    output: object = None
    error: object = None
    delay_time_ms: int | None = None
    execution_time_ms: int | None = None

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATES

    @classmethod
    def from_payload(cls, payload: object, *, operation: str) -> RunPodJob:
        if not (
            isinstance(payload, dict)
            and isinstance(payload.get("id"), str)
            and isinstance(payload.get("status"), str)
        ):
            raise RunPodError(
                f"RunPod {operation} answered without a job id and status",
                operation=operation,
                body=str(payload)[:500],
            )
        return cls(
            id=payload["id"],
            status=payload["status"],
            output=payload.get("output"),
            error=payload.get("error"),
            delay_time_ms=_int_or_none(payload.get("delayTime")),
            execution_time_ms=_int_or_none(payload.get("executionTime")),
        )


@dataclass(frozen=True)
class RunPodHealth:
    """`/health` counters: jobs (inQueue, inProgress, ...) and workers (idle, running, ...)."""

    jobs: dict[str, int]
    workers: dict[str, int]


def _int_or_none(value: object) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _counters(value: object) -> dict[str, int]:
    if not isinstance(value, dict):
        return {}
    return {
        str(k): int(v) for k, v in value.items() if isinstance(v, int) and not isinstance(v, bool)
    }


class _MaybeQueued(Exception):
    """A `/run` failure after which the job may exist; not a TransientHTTPError, so not retried."""

    def __init__(self, error: TransientHTTPError) -> None:
        super().__init__(str(error))
        self.error = error


def _never_connected(error: TransientHTTPError) -> bool:
    """True when the request failed before a connection opened, so nothing reached RunPod."""
    cause = error.__cause__
    if isinstance(cause, requests.ConnectTimeout):
        return True
    if isinstance(cause, requests.ConnectionError) and cause.args:
        return isinstance(
            getattr(cause.args[0], "reason", None), NewConnectionError | ConnectTimeoutError
        )
    return False


class RunPodClient:
    """One RunPod endpoint: run, status, cancel, health, purge_queue and output downloads."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        endpoint_id: str,
        retry_policy: RetryPolicy | None = None,
        request_timeouts: Timeouts = REQUEST_TIMEOUTS,
        control_timeouts: Timeouts = CONTROL_TIMEOUTS,
    ) -> None:
        self.endpoint_id = endpoint_id
        self._base = f"{base_url.rstrip('/')}/{quote(endpoint_id, safe='')}"
        self._session = build_session({"Authorization": f"Bearer {api_key}"})
        # Presigned output URLs live on another host: never send them the RunPod key.
        self._download_session = build_session()
        self._policy = retry_policy or RetryPolicy()
        self._request_timeouts = request_timeouts
        self._control_timeouts = control_timeouts

    def close(self) -> None:
        self._session.close()
        self._download_session.close()

    def run(
        self,
        input: Mapping[str, Any],
        *,
        webhook: str | None = None,
        policy: Mapping[str, Any] | None = None,
    ) -> RunPodJob:
        """Queue a job (`POST /run`); retried only on 429 or when no connection was made."""
        body: dict[str, Any] = {"input": dict(input)}
        if webhook:
            body["webhook"] = webhook
        if policy:
            body["policy"] = dict(policy)
        try:
            response = self._policy.retrying()(self._submit_once, f"{self._base}/run", body)
        except _MaybeQueued as exc:
            raise self._error("run", exc.error, ambiguous=True) from exc.error
        except HTTPError as exc:
            raise self._error("run", exc) from exc
        return RunPodJob.from_payload(self._json(response, "run"), operation="run")

    def _submit_once(self, url: str, body: dict[str, Any]) -> requests.Response:
        try:
            return send_once(self._session, "POST", url, timeouts=self._request_timeouts, json=body)
        except TransientHTTPError as exc:
            if exc.status == 429 or _never_connected(exc):
                raise
            raise _MaybeQueued(exc) from exc

    def status(self, job_id: str) -> RunPodJob:
        """`GET /status/{id}`, retried on transient failures; 404 means RunPod forgot the job."""
        payload = self._call("GET", f"status/{quote(job_id, safe='')}", op="status", job_id=job_id)
        return RunPodJob.from_payload(payload, operation="status")

    def cancel(self, job_id: str) -> RunPodJob:
        """`POST /cancel/{id}`; retried, since cancelling twice does no harm."""
        payload = self._call(
            "POST",
            f"cancel/{quote(job_id, safe='')}",
            op="cancel",
            job_id=job_id,
            timeouts=self._control_timeouts,
        )
        return RunPodJob.from_payload(payload, operation="cancel")

    def health(self) -> RunPodHealth:
        payload = self._call("GET", "health", op="health", timeouts=self._control_timeouts)
        body = payload if isinstance(payload, dict) else {}
        return RunPodHealth(
            jobs=_counters(body.get("jobs")), workers=_counters(body.get("workers"))
        )

    def purge_queue(self) -> int:
        """Remove every queued job and return how many; tried once (RunPod allows 2 per 10 s)."""
        payload = self._call(
            "POST",
            "purge-queue",
            op="purge-queue",
            timeouts=self._control_timeouts,
            idempotent=False,
        )
        removed = payload.get("removed") if isinstance(payload, dict) else None
        return removed if isinstance(removed, int) else 0

    def download(self, url: str) -> bytes:
        """Fetch an output image from its presigned URL (http or https only, size-capped)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise RunPodOutputError(
                f"output image location is not an http(s) URL: {url[:200]}", operation="download"
            )
        try:
            response = send(
                self._download_session,
                "GET",
                url,
                timeouts=DOWNLOAD_TIMEOUTS,
                policy=self._policy,
                idempotent=True,
                stream=True,
            )
        except TransientHTTPError as exc:
            raise self._error("download", exc) from exc
        except HTTPError as exc:
            raise RunPodOutputError(
                f"output image download answered HTTP {exc.status}",
                operation="download",
                status=exc.status,
            ) from exc
        with response:
            data = bytearray()
            for chunk in response.iter_content(chunk_size=1 << 16):
                data += chunk
                if len(data) > MAX_DOWNLOAD_BYTES:
                    raise RunPodOutputError(
                        f"output image exceeds {MAX_DOWNLOAD_BYTES} bytes", operation="download"
                    )
        return bytes(data)

    def _call(
        self,
        method: str,
        path: str,
        *,
        op: str,
        job_id: str | None = None,
        timeouts: Timeouts | None = None,
        idempotent: bool = True,
    ) -> object:
        try:
            response = send(
                self._session,
                method,
                f"{self._base}/{path}",
                timeouts=timeouts or self._request_timeouts,
                policy=self._policy,
                idempotent=idempotent,
            )
        except HTTPError as exc:
            raise self._error(op, exc, job_id=job_id) from exc
        return self._json(response, op)

    @staticmethod
    def _json(response: requests.Response, op: str) -> object:
        try:
            return response.json()
        except ValueError as exc:
            raise RunPodError(
                f"RunPod {op} answered a body that is not JSON", operation=op
            ) from exc

    def _error(
        self,
        op: str,
        error: HTTPError,
        *,
        job_id: str | None = None,
        ambiguous: bool = False,
    ) -> RunPodError:
        """The typed error for a failed call; 404 means a forgotten job only if a job was named."""
        status = error.status or None
        body = str(error.payload)[:500] if error.payload is not None else None
        if isinstance(error, TransientHTTPError):
            return RunPodUnavailable(
                f"RunPod {op} failed: {error}",
                operation=op,
                status=status,
                body=body,
                retry_after=error.retry_after,
                ambiguous=ambiguous,
            )
        kind: type[RunPodError] = RunPodError
        message = f"RunPod {op} failed: {error}"
        if error.status in (401, 403):
            kind, message = RunPodConfigError, "RunPod rejected the API key"
        elif error.status == 404 and job_id is not None:
            kind, message = RunPodJobNotFound, f"RunPod no longer knows job {job_id}"
        elif error.status == 404:
            kind, message = RunPodConfigError, f"RunPod endpoint {self.endpoint_id!r} not found"
        elif op == "run" and error.status in (400, 413):
            kind, message = RunPodRejected, f"RunPod refused the job input: {error}"
        return kind(message, operation=op, status=status, body=body)
