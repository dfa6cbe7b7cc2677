"""ComfyUI direct mode: queue the workflow on a ComfyUI server, follow it, fetch the images.

Rules this backend keeps (EXTERNAL_APIS.md section 3):
- One prompt per job, with an id derived from the job id (uuid5), remembered through
  `control.remember_external_id` before it is queued. A retried or recovered job therefore finds its
  prompt in `/queue` or `/history` and follows or collects it instead of queueing it again.
- Image i must come from seed `request.seed + i`. ComfyUI draws a whole latent batch from one seed,
  so a batch of N is sent as N single-image chains in the same prompt (node ids `<i>_<id>`), each
  with its own seed. ComfyUI's cache keys nodes by class and inputs, so the identical loader and
  text nodes of the chains should run once; the samplers run one after another, not as a batch.
- The WebSocket only says when to look; `/history` decides. It is read when the socket reports the
  end, every `ws_timeout` seconds while the socket is open (in case the end message was lost), and
  every `poll_interval` seconds while the socket is down; reconnecting is tried at that pace too.
- A prompt the server no longer knows (neither queued, running nor in history: a restart) is queued
  again once, with the same id; lost a second time in the same call, it ends in ResultExpired.
  While waiting, an unreachable server is polled through for the retry policy's `max_elapsed`
  before the call gives up with TransientBackendError (the job's retry then resumes the prompt).
- Cancel and deadline: the prompt is deleted from the queue, and interrupted only while it is the
  one running, so another client's prompt is never stopped.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from gateway.app.clients.comfyui import (
    ComfyUIClient,
    EventStream,
    EventStreamClosed,
    HistoryEntry,
    PromptRejected,
    describe_rejection,
)
from gateway.app.clients.http import NO_RETRY, HTTPError, RetryPolicy, Timeouts, TransientHTTPError
from gateway.app.generation.backends.base import (
    BackendConfigurationError,
    BackendHealth,
    GeneratedImage,
    GenerationFailed,
    GenerationOutput,
    GenerationRequest,
    JobControl,
    ResultExpired,
    TransientBackendError,
    stop_if_asked,
)
from gateway.app.generation.workflows import batch_workflow

PROMPT_NAMESPACE = uuid.UUID("5d8a3c3e-2f0b-4f57-9a4e-6c1f0b7e2a91")
TERMINAL_EVENTS = frozenset({"execution_success", "execution_error", "execution_interrupted"})
MAX_RECONNECTS = 5
PROBE_TIMEOUTS = Timeouts(connect=2.0, read=5.0)


def prompt_id_for(job_id: str) -> str:
    """The ComfyUI prompt id of a job: the same on every attempt, so it is never queued twice."""
    return str(uuid.uuid5(PROMPT_NAMESPACE, f"comfyui:{job_id}"))


def _client_id(prompt_id: str) -> str:
    """One WebSocket client id per prompt, so a resumed attempt hears the rest of its events."""
    return f"pod-gateway-{prompt_id}"


def _chain_index(node_id: str) -> int:
    head, _, _ = node_id.partition("_")
    return int(head) if head.isdigit() else 0


def _source_name(request: GenerationRequest, data: bytes) -> str:
    """A fixed input file name per job, so a re-upload overwrites instead of adding a copy."""
    if data.startswith(b"\xff\xd8"):
        ext = "jpg"
    elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        ext = "webp"
    else:
        ext = "png"
    return f"pod_{re.sub(r'[^A-Za-z0-9_.-]', '_', request.job_id)}_source.{ext}"


def _failure_message(entry: HistoryEntry) -> str:
    error = entry.message("execution_error")
    if error is None:
        return "ComfyUI ended the prompt with an error but gave no details"
    node = f"node {error.get('node_id')} ({error.get('node_type')})"
    return f"{node}: {error.get('exception_type')}: {error.get('exception_message')}"


@contextmanager
def _domain_errors() -> Iterator[None]:
    """Client failures as backend errors: rejected graph, transient, or misconfigured."""
    try:
        yield
    except PromptRejected as exc:
        details = {"error_type": exc.error_type, "node_errors": exc.node_errors}
        raise GenerationFailed(str(exc), details=details) from exc
    except TransientHTTPError as exc:
        status = exc.status or None
        raise TransientBackendError(str(exc), retry_after=exc.retry_after, status=status) from exc
    except HTTPError as exc:
        if exc.status in (401, 403, 404):
            raise BackendConfigurationError(str(exc), details={"status": exc.status}) from exc
        raise GenerationFailed(str(exc), details={"status": exc.status}) from exc


class ComfyUIBackend:
    """Generation on one ComfyUI server over its HTTP and WebSocket API."""

    name = "comfyui"

    def __init__(
        self,
        *,
        base_url: str,
        retry_policy: RetryPolicy | None = None,
        ws_timeout: float = 10.0,
        poll_interval: float = 1.0,
    ) -> None:
        self.client = ComfyUIClient(base_url, retry_policy=retry_policy)
        self.probe = ComfyUIClient(base_url, timeouts=PROBE_TIMEOUTS, retry_policy=NO_RETRY)
        self.ws_timeout = ws_timeout
        self.poll_interval = poll_interval

    def generate(self, request: GenerationRequest, control: JobControl) -> GenerationOutput:
        prompt_id = control.external_id or prompt_id_for(request.job_id)
        with _domain_errors(), self.client.events(_client_id(prompt_id)) as events:
            return _Attempt(self, request, control, prompt_id, events).run()

    def health(self) -> BackendHealth:
        try:
            stats = self.probe.system_stats()
        except HTTPError as exc:
            return BackendHealth("down", details={"error": str(exc)})
        devices = [device.get("name") for device in stats.devices]
        return BackendHealth("ok", version=stats.version, details={"devices": devices})

    def cancel(self, external_id: str) -> None:
        abort_prompt(self.probe, external_id)

    def check_edit_source(self, width: int, height: int) -> None:
        """Accept every size here: the remote workflow reports what it cannot do as the job's
        failure."""


def abort_prompt(client: ComfyUIClient, prompt_id: str) -> None:
    """Best effort: drop the prompt from the queue, then interrupt it only if it is running."""
    try:
        client.delete_from_queue([prompt_id])
        if prompt_id in client.queue().running:
            client.interrupt(prompt_id)
    except HTTPError:
        return


class _Attempt:
    """One `generate` call: submit or resume, follow, collect."""

    def __init__(
        self,
        backend: ComfyUIBackend,
        request: GenerationRequest,
        control: JobControl,
        prompt_id: str,
        events: EventStream,
    ) -> None:
        self.backend, self.client = backend, backend.client
        self.request, self.control = request, control
        self.prompt_id, self.events = prompt_id, events
        self.queued = control.external_id is not None
        self.resubmitted = False
        self.reconnects, self.last_connect = 0, float("-inf")
        self.unreachable_since: float | None = None
        self.warnings: list[str] = []
        self.source_name = (
            _source_name(request, request.source_image) if request.source_image else None
        )
        self.workflow = batch_workflow(request, self.source_name)
        self.samplers = {
            node_id
            for node_id, node in self.workflow.items()
            if "Sampler" in str(node.get("class_type"))
        }
        self.sampler_progress: dict[str, float] = {}
        self.reported = 0.0

    def run(self) -> GenerationOutput:
        self.check_stop()
        self.connect_events()
        entry, known = self.locate()
        if not known:
            self.submit()
        elif self.control.external_id != self.prompt_id:
            self.control.remember_external_id(self.prompt_id)
            self.queued = True
        return self.collect(entry or self.follow())

    def locate(self, policy: RetryPolicy | None = None) -> tuple[HistoryEntry | None, bool]:
        """(history entry, known): queue first, since a prompt only moves queue -> history."""
        if self.prompt_id in self.client.queue(policy=policy):
            return None, True
        entry = self.client.history(self.prompt_id, policy=policy)
        return entry, entry is not None

    def locate_while_waiting(self) -> tuple[HistoryEntry | None, bool]:
        """`locate`, riding out an unreachable server (a restart) for the retry policy's
        `max_elapsed`, since the prompt may still be running or be resubmitted afterwards."""
        try:
            found = self.locate(policy=NO_RETRY)
        except TransientHTTPError:
            now = time.monotonic()
            self.unreachable_since = self.unreachable_since or now
            if now - self.unreachable_since > self.client.policy.max_elapsed:
                raise
            return None, True
        self.unreachable_since = None
        return found

    def submit(self) -> None:
        if self.queued:
            if self.resubmitted:
                raise ResultExpired(
                    f"ComfyUI lost prompt {self.prompt_id} twice (server restarts)",
                    details={"prompt_id": self.prompt_id},
                )
            self.resubmitted = True
        if self.request.source_image is not None and self.source_name is not None:
            uploaded = self.client.upload_image(self.request.source_image, self.source_name)
            if uploaded.reference != self.source_name:
                self.workflow = batch_workflow(self.request, uploaded.reference)
        self.control.remember_external_id(self.prompt_id)
        self.queued = True
        answer = self.client.queue_prompt(
            self.workflow, prompt_id=self.prompt_id, client_id=_client_id(self.prompt_id)
        )
        if answer.node_errors:
            skipped = {"message": "ComfyUI skipped outputs that failed validation"}
            self.warnings.append(describe_rejection(skipped, answer.node_errors))

    def follow(self) -> HistoryEntry:
        """Wait for the end: WebSocket events for progress and timing, `/history` for the truth."""
        last_check, finishing = time.monotonic(), False
        while True:
            self.check_stop()
            quiet_for = time.monotonic() - last_check
            interval = (
                self.backend.ws_timeout if self.events.connected else self.backend.poll_interval
            )
            if finishing or quiet_for >= interval:
                entry, known = self.locate_while_waiting()
                if entry is not None:
                    return entry
                if not known:
                    self.submit()
                last_check, finishing = time.monotonic(), False
            wait = min(self.backend.poll_interval, self.control.deadline - time.monotonic())
            if not self.events.connected:
                self.connect_events()
            if not self.events.connected:
                time.sleep(max(wait, 0.01))
                continue
            try:
                event = self.events.receive(max(wait, 0.01))
            except EventStreamClosed:
                continue
            if event is not None and event.prompt_id == self.prompt_id:
                finishing = self.on_event(event.type, event.data) or finishing

    def on_event(self, kind: str, data: dict[str, Any]) -> bool:
        """Record progress; True when the event says the prompt has ended."""
        if kind == "progress" and data.get("node") in self.samplers and data.get("max"):
            self.sampler_progress[data["node"]] = min(data["value"] / data["max"], 1.0)
        elif kind == "execution_cached":
            self.sampler_progress.update(dict.fromkeys(self.samplers & set(data["nodes"]), 1.0))
        elif kind == "executing" and data.get("node") is None:
            return True
        if self.samplers:
            fraction = min(sum(self.sampler_progress.values()) / len(self.samplers), 0.99)
            if fraction > self.reported:
                self.reported = fraction
                self.control.report_progress(fraction)
        return kind in TERMINAL_EVENTS

    def collect(self, entry: HistoryEntry) -> GenerationOutput:
        """Fetch every output image; a missing file is a partial result, not a failure."""
        errors = list(self.warnings)
        if entry.message("execution_interrupted") is not None:
            raise GenerationFailed(
                "the prompt was interrupted on the ComfyUI server",
                details={"prompt_id": self.prompt_id},
            )
        outputs = sorted(
            (image for image in entry.images if image.type == "output"),
            key=lambda image: _chain_index(image.node_id),
        )
        if not entry.succeeded:
            message = _failure_message(entry)
            if not outputs:
                raise GenerationFailed(message, details={"prompt_id": self.prompt_id})
            errors.append(message)
        images = []
        for image in outputs:
            try:
                data = self.client.view(image.filename, image.subfolder, image.type)
            except TransientHTTPError:
                raise
            except HTTPError as exc:
                errors.append(f"{image.filename}: /view answered {exc.status}")
                continue
            images.append(GeneratedImage(data, self.request.seed + _chain_index(image.node_id)))
        if not images:
            raise GenerationFailed(
                "ComfyUI produced no images",
                details={"prompt_id": self.prompt_id, "errors": errors},
            )
        if len(outputs) < self.request.batch_size:
            errors.append(f"ComfyUI made {len(outputs)} of {self.request.batch_size} images")
        self.control.report_progress(1.0)
        return GenerationOutput(images=images, errors=errors)

    def check_stop(self) -> None:
        details: dict[str, object] = {"prompt_id": self.prompt_id}
        message = "ComfyUI did not finish before the job's deadline"
        stop_if_asked(self.control, self.abort, details, message)

    def abort(self) -> None:
        if self.queued:
            abort_prompt(self.backend.probe, self.prompt_id)

    def connect_events(self) -> None:
        """Open the socket, at most every `poll_interval` and MAX_RECONNECTS times in all; without
        it the prompt is followed by polling alone."""
        now = time.monotonic()
        if (
            self.reconnects >= MAX_RECONNECTS
            or now - self.last_connect < self.backend.poll_interval
        ):
            return
        self.reconnects, self.last_connect = self.reconnects + 1, now
        try:
            self.events.connect()
        except EventStreamClosed:
            return
