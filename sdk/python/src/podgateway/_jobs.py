"""Generate, edit and jobs, and following a job over its WebSocket (polling when that fails)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import websocket

from podgateway import errors
from podgateway._base import Calls, drop_unset
from podgateway.models import Job, JobAccepted, Page

log = logging.getLogger("podgateway")

STATUS_BY_CODE = {"UNAUTHORIZED": 401, "FORBIDDEN": 403, "NOT_FOUND": 404}


class JobTimeout(errors.PodGatewayError, TimeoutError):
    """A followed job did not reach a final status in time."""


class JobCalls(Calls):
    def generate(
        self,
        prompt: str,
        *,
        negative_prompt: str | None = None,
        width: int | None = None,
        height: int | None = None,
        steps: int | None = None,
        guidance: float | None = None,
        sampler: str | None = None,
        seed: int | None = None,
        batch_size: int | None = None,
        backend: str | None = None,
        template_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> JobAccepted:
        """Queue a generation job (202); follow it with `follow_job` or `wait_for_job`."""
        body = drop_unset(
            {
                "prompt": prompt,
                "negative_prompt": negative_prompt,
                "width": width,
                "height": height,
                "steps": steps,
                "guidance": guidance,
                "sampler": sampler,
                "seed": seed,
                "batch_size": batch_size,
                "backend": backend,
                "template_id": template_id,
            }
        )
        return self._one(
            JobAccepted, "POST", "/generate", json=body, idempotency_key=idempotency_key
        )

    def edit(
        self,
        image_id: str,
        instruction: str,
        *,
        seed: int | None = None,
        backend: str | None = None,
        batch_size: int | None = None,
        idempotency_key: str | None = None,
    ) -> JobAccepted:
        """Queue an edit of an image; the results are its child images."""
        body = drop_unset(
            {
                "image_id": image_id,
                "instruction": instruction,
                "seed": seed,
                "backend": backend,
                "batch_size": batch_size,
            }
        )
        return self._one(JobAccepted, "POST", "/edit", json=body, idempotency_key=idempotency_key)

    def upscale(
        self,
        image_id: str,
        factor: int,
        *,
        backend: str | None = None,
        idempotency_key: str | None = None,
    ) -> JobAccepted:
        """Queue an upscale of an image by 2 or 4; the result is one child image, pending review."""
        body = drop_unset({"factor": factor, "backend": backend})
        path = f"/images/{image_id}/upscale"
        return self._one(JobAccepted, "POST", path, json=body, idempotency_key=idempotency_key)

    def get_job(self, job_id: str) -> Job:
        return self._one(Job, "GET", f"/jobs/{job_id}")

    def list_jobs(
        self, *, status: str | None = None, limit: int | None = None, cursor: str | None = None
    ) -> Page[Job]:
        """One page of jobs, newest first."""
        return self._page(Job, "/jobs", {"status": status, "limit": limit, "cursor": cursor})

    def iter_jobs(self, *, status: str | None = None, page_size: int = 50) -> Iterator[Job]:
        return self._iterate(Job, "/jobs", {"status": status}, page_size)

    def cancel_job(self, job_id: str, *, idempotency_key: str | None = None) -> Job:
        return self._one(Job, "POST", f"/jobs/{job_id}/cancel", idempotency_key=idempotency_key)

    def wait_for_job(self, job_id: str, *, timeout: float = 600.0) -> Job:
        """The job once final (completed, failed or cancelled)."""
        final: Job | None = None
        for update in self.follow_job(job_id, timeout=timeout):
            final = update
        if final is None:
            raise JobTimeout(f"job {job_id} sent no status")
        return final

    def follow_job(
        self,
        job_id: str,
        *,
        timeout: float = 600.0,
        poll_interval: float = 1.0,
        use_websocket: bool = True,
    ) -> Iterator[Job]:
        """Yield the job at each change until its final status (the last item yielded).

        Listens on `/ws/jobs/{job_id}`; when the socket cannot be opened or drops before the final
        message, polls `GET /jobs/{job_id}` instead. Raises `JobTimeout` after `timeout` seconds.
        """
        deadline = time.monotonic() + timeout
        last: Job | None = None
        if use_websocket:
            try:
                for job in self._socket_updates(job_id, deadline):
                    last = job
                    yield job
                    if job.is_final:
                        return
            except (websocket.WebSocketException, OSError) as exc:
                log.info("job %s: websocket failed (%s); polling instead", job_id, exc)
        yield from self._poll_updates(job_id, deadline, poll_interval, last)

    def _socket_updates(self, job_id: str, deadline: float) -> Iterator[Job]:
        url = self._http.base_url.replace("http", "ws", 1) + f"/ws/jobs/{job_id}"
        socket = websocket.create_connection(
            url,
            header=[f"X-API-Key: {self._http.api_key}"],
            timeout=max(0.1, min(self._http.timeout, deadline - time.monotonic())),
        )
        try:
            while True:
                socket.settimeout(max(0.1, deadline - time.monotonic()))
                message = socket.recv()
                if not message:
                    return
                body: dict[str, Any] = json.loads(message)
                if "job_id" not in body and "code" in body:
                    raise _socket_error(body)
                yield Job.from_dict(body)
        finally:
            socket.close()

    def _poll_updates(
        self, job_id: str, deadline: float, interval: float, last: Job | None
    ) -> Iterator[Job]:
        while True:
            job = self.get_job(job_id)
            if last is None or _change(job) != _change(last):
                last = job
                yield job
            if job.is_final:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise JobTimeout(f"job {job_id} still {job.status} after the timeout")
            time.sleep(min(interval, remaining))


def _change(job: Job) -> tuple[str, float | None, int]:
    return job.status, job.progress, len(job.image_ids)


def _socket_error(body: dict[str, Any]) -> errors.ApiError:
    code = str(body.get("code"))
    status = STATUS_BY_CODE.get(code, 429 if code == "RATE_LIMIT_EXCEEDED" else 500)
    return errors.error_class(status, code)(
        status, code, str(body.get("error", "")), request_id=body.get("request_id")
    )
