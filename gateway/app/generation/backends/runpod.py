"""RunPod Serverless backend: worker-comfyui jobs queued with `/run` and polled to completion.

The RunPod job id is remembered the moment `/run` answers, so an attempt that finds
`control.external_id` resumes polling that job instead of paying for a second run. A remembered job
that RunPod no longer knows (404 after retention or ttl) or that ended without images (FAILED,
TIMED_OUT, CANCELLED) belonged to the earlier attempt, and this attempt submits anew.

The input carries `request_id` (the gateway job id): RunPod has no idempotency key, and a `/run`
that failed ambiguously (5xx, timeout) is raised as TransientBackendError, not resubmitted here, so
a webhook or an operator can match a stray RunPod job to its gateway job.

A CANCELLED status this job did not ask for (someone cancelled it in RunPod) is GenerationFailed:
the gateway job's owner did not cancel it, so it must not look as if they had.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import logging
import re
import time
from typing import Any

from gateway.app.clients.http import RetryPolicy
from gateway.app.clients.runpod import (
    RunPodClient,
    RunPodConfigError,
    RunPodError,
    RunPodJob,
    RunPodJobNotFound,
    RunPodOutputError,
    RunPodRejected,
    RunPodUnavailable,
)
from gateway.app.generation.backends.base import (
    BackendConfigurationError,
    BackendError,
    BackendHealth,
    GeneratedImage,
    GenerationCancelled,
    GenerationFailed,
    GenerationOutput,
    GenerationRequest,
    GenerationTimeout,
    JobControl,
    ResultExpired,
    TransientBackendError,
    stop_if_asked,
)
from gateway.app.generation.workflows import batch_workflow
from gateway.app.imaging.pipeline import MEDIA_TYPES
from gateway.app.imaging.validation import detect_format

logger = logging.getLogger(__name__)

POLL_BACKOFF = 1.5
POLL_INTERVAL_CAP = 5  # polls slow down to at most 5x the configured interval
RUNNING_STATES = frozenset({"IN_PROGRESS", "RUNNING"})
# RunPod's policy.executionTimeout bounds, in ms.
MIN_EXECUTION_TIMEOUT_MS = 5_000
MAX_EXECUTION_TIMEOUT_MS = 7 * 24 * 3600 * 1000
_PROGRESS = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


class RunPodBackend:
    """Generation on a RunPod Serverless endpoint running worker-comfyui (v5 output format)."""

    name = "runpod"

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        endpoint_id: str,
        poll_interval: float = 1.0,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        self._client = RunPodClient(
            base_url=base_url, api_key=api_key, endpoint_id=endpoint_id, retry_policy=retry_policy
        )
        self._poll_interval = poll_interval

    def generate(self, request: GenerationRequest, control: JobControl) -> GenerationOutput:
        try:
            return self._generate(request, control)
        except RunPodError as exc:
            raise _domain_error(exc) from exc

    def _generate(self, request: GenerationRequest, control: JobControl) -> GenerationOutput:
        job = self._resume(control.external_id) if control.external_id else None
        if job is None:
            self._stop_if_asked(control, None)
            job = self._submit(request, control)
        job = self._wait(job, control)
        if job.status == "COMPLETED":
            return self._output(job, request)
        raise self._terminal_error(job, control)

    def health(self) -> BackendHealth:
        """ok, or degraded when workers are unhealthy or jobs wait with no worker at all."""
        try:
            health = self._client.health()
        except RunPodError as exc:
            code = _domain_error(exc).code
            return BackendHealth(status="down", details={"error": exc.message, "code": code})
        workers, jobs = health.workers, health.jobs
        capacity = sum(workers.get(key, 0) for key in ("idle", "ready", "running", "initializing"))
        degraded = workers.get("unhealthy", 0) > 0 or (jobs.get("inQueue", 0) > 0 and capacity == 0)
        return BackendHealth(
            status="degraded" if degraded else "ok", details={"jobs": jobs, "workers": workers}
        )

    def cancel(self, external_id: str) -> None:
        try:
            self._client.cancel(external_id)
        except RunPodJobNotFound:
            return
        except RunPodError as exc:
            logger.warning("RunPod cancel of %s failed: %s", external_id, exc.message)

    def check_edit_source(self, width: int, height: int) -> None:
        """Accept every size here: the remote workflow reports what it cannot do as the job's
        failure."""

    def _resume(self, external_id: str) -> RunPodJob | None:
        try:
            job = self._client.status(external_id)
        except RunPodJobNotFound:
            logger.info("RunPod job %s expired; submitting anew", external_id)
            return None
        if job.is_terminal and job.status != "COMPLETED":
            logger.info("RunPod job %s ended %s earlier; submitting anew", external_id, job.status)
            return None
        return job

    def _submit(self, request: GenerationRequest, control: JobControl) -> RunPodJob:
        source_name = None
        payload: dict[str, Any] = {"request_id": request.job_id}
        if request.source_image is not None:
            extension = _image_kind(request.source_image) or "png"
            source_name = f"pod_{request.job_id}_source.{extension}"
            encoded = base64.b64encode(request.source_image).decode("ascii")
            payload["images"] = [{"name": source_name, "image": encoded}]
        payload["workflow"] = batch_workflow(request, source_name)
        remaining_ms = int((control.deadline - time.monotonic()) * 1000)
        timeout_ms = min(max(remaining_ms, MIN_EXECUTION_TIMEOUT_MS), MAX_EXECUTION_TIMEOUT_MS)
        job = self._client.run(payload, policy={"executionTimeout": timeout_ms})
        control.remember_external_id(job.id)
        return job

    def _wait(self, job: RunPodJob, control: JobControl) -> RunPodJob:
        """Poll until terminal, backing off, reporting progress and honouring stop and deadline."""
        interval = self._poll_interval
        while not job.is_terminal:
            self._stop_if_asked(control, job)
            fraction = _progress(job)
            if fraction is not None:
                control.report_progress(fraction)
            time.sleep(max(0.0, min(interval, control.deadline - time.monotonic())))
            job = self._client.status(job.id)
            interval = min(interval * POLL_BACKOFF, self._poll_interval * POLL_INTERVAL_CAP)
        return job

    def _stop_if_asked(self, control: JobControl, job: RunPodJob | None) -> None:
        """Cancel the remote job and raise when the job was cancelled or its deadline passed."""
        details: dict[str, object] = {}
        if job is not None:
            details = {"external_id": job.id, "remote_status": job.status}
        where = "queued, no worker took it" if job and job.status == "IN_QUEUE" else "running"
        abort = (lambda: self.cancel(job.id)) if job is not None else (lambda: None)
        stop_if_asked(control, abort, details, f"RunPod job still {where} at the deadline")

    def _terminal_error(self, job: RunPodJob, control: JobControl) -> Exception:
        details: dict[str, object] = {"external_id": job.id, "remote_status": job.status}
        if job.status == "FAILED":
            message, failure = _failure(job)
            return GenerationFailed(f"RunPod job failed: {message}", details={**details, **failure})
        if job.status == "TIMED_OUT":
            return GenerationTimeout("RunPod timed the job out", details=details)
        if job.status == "CANCELLED" and control.should_stop():
            return GenerationCancelled("the job was cancelled", details=details)
        return GenerationFailed(
            f"RunPod job ended {job.status} outside the gateway", details=details
        )

    def _output(self, job: RunPodJob, request: GenerationRequest) -> GenerationOutput:
        """Decode every image; bad entries become errors, and no image at all is a failure."""
        output = job.output if isinstance(job.output, dict) else {}
        entries = output.get("images") if isinstance(output.get("images"), list) else []
        raw_errors = output.get("errors")
        errors = [str(e) for e in raw_errors] if isinstance(raw_errors, list) else []
        images = []
        for index, entry in enumerate(entries):
            try:
                data = self._image_bytes(entry)
            except GenerationFailed as exc:
                errors.append(exc.message)
                continue
            images.append(GeneratedImage(data=data, seed=request.seed + index))
        if not images:
            details = {
                "external_id": job.id,
                "errors": errors,
                "output_status": output.get("status"),
            }
            raise GenerationFailed("RunPod returned no images", details=details)
        return GenerationOutput(images=images, errors=errors)

    def _image_bytes(self, entry: object) -> bytes:
        if not isinstance(entry, dict) or not isinstance(entry.get("data"), str):
            raise GenerationFailed("an output image entry has no data")
        name, kind, data = entry.get("filename", "image"), entry.get("type"), entry["data"]
        if kind == "base64":
            try:
                raw = base64.b64decode(data.split(",", 1)[-1], validate=True)
            except (binascii.Error, ValueError) as exc:
                raise GenerationFailed(f"{name}: invalid base64 data") from exc
        elif kind == "s3_url":
            try:
                raw = self._client.download(data)
            except RunPodOutputError as exc:
                raise GenerationFailed(f"{name}: {exc.message}") from exc
        else:
            raise GenerationFailed(f"{name}: unknown output type {kind!r}")
        if _image_kind(raw) is None:
            raise GenerationFailed(f"{name}: not a PNG, JPEG or WebP image")
        return raw


def _domain_error(error: RunPodError) -> BackendError:
    """The backend error a job records for a client failure."""
    details: dict[str, object] = {"operation": error.operation, "status": error.status}
    if error.body is not None:
        details["body"] = error.body
    if isinstance(error, RunPodUnavailable):
        if error.ambiguous:
            details["ambiguous"] = True
        return TransientBackendError(
            error.message, retry_after=error.retry_after, status=error.status, details=details
        )
    if isinstance(error, RunPodConfigError):
        return BackendConfigurationError(error.message, details=details)
    if isinstance(error, RunPodJobNotFound):
        return ResultExpired(error.message, details=details)
    if isinstance(error, RunPodRejected | RunPodOutputError):
        return GenerationFailed(error.message, details=details)
    return BackendError(error.message, details=details)


def _progress(job: RunPodJob) -> float | None:
    """The fraction in a running job's `{"progress": "n/m"}` output, if it has one."""
    if job.status not in RUNNING_STATES or not isinstance(job.output, dict):
        return None
    match = _PROGRESS.fullmatch(str(job.output.get("progress", "")))
    if not match or int(match.group(2)) == 0:
        return None
    return min(1.0, int(match.group(1)) / int(match.group(2)))


def _failure(job: RunPodJob) -> tuple[str, dict[str, object]]:
    """The message and details of a FAILED job; a raising handler's error is a JSON string."""
    error: object = job.error
    if isinstance(error, str):
        with contextlib.suppress(ValueError):
            error = json.loads(error)
    details: dict[str, object] = {}
    if isinstance(error, dict):
        message = str(error.get("error_message") or error.get("error") or "unknown error")
        for key in ("error_type", "hostname", "worker_id", "runpod_version"):
            if key in error:
                details[key] = error[key]
        if "error_traceback" in error:
            details["traceback"] = str(error["error_traceback"])[-2000:]
    else:
        message = str(job.error) if job.error else "no error message"
    if isinstance(job.output, dict) and job.output.get("details"):
        details["details"] = job.output["details"]
    return message, details


def _image_kind(data: bytes) -> str | None:
    """The file extension for PNG, JPEG or WebP bytes, None for anything else."""
    fmt = detect_format(data)
    return MEDIA_TYPES[fmt][1] if fmt else None
