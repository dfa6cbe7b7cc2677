"""The one small interface every generation backend implements, and its domain errors."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from gateway.app.generation.params import DEFAULT_GUIDANCE, DEFAULT_SAMPLER, DEFAULT_STEPS


@dataclass(frozen=True)
class GenerationRequest:
    """What to make: one job's parameters, already validated by the service layer.

    `source_image` (encoded PNG/JPEG/WebP bytes) is set in edit and upscale mode, `instruction`
    only in edit mode, `upscale_factor` (2 or 4) only in upscale mode.
    """

    job_id: str
    prompt: str
    width: int
    height: int
    seed: int
    batch_size: int = 1
    negative_prompt: str = ""
    steps: int = DEFAULT_STEPS
    guidance: float = DEFAULT_GUIDANCE
    sampler: str = DEFAULT_SAMPLER
    instruction: str | None = None
    source_image: bytes | None = None
    upscale_factor: int | None = None

    @property
    def is_edit(self) -> bool:
        return self.source_image is not None and self.upscale_factor is None

    @property
    def is_upscale(self) -> bool:
        return self.source_image is not None and self.upscale_factor is not None


@dataclass(frozen=True)
class GeneratedImage:
    """One encoded image (PNG, JPEG or WebP bytes) and the seed that made it."""

    data: bytes
    seed: int


@dataclass(frozen=True)
class GenerationOutput:
    """A backend's result: the images it made and its non-fatal errors (partial output)."""

    images: list[GeneratedImage]
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class BackendHealth:
    status: str  # "ok" | "degraded" | "down" | "disabled"
    version: str | None = None
    details: dict[str, object] = field(default_factory=dict)


class JobControl(Protocol):
    """What a running backend call may ask of the job that runs it."""

    @property
    def deadline(self) -> float:
        """`time.monotonic()` value after which the backend must give up with GenerationTimeout."""
        ...

    @property
    def external_id(self) -> str | None:
        """The backend's own id remembered by an earlier attempt of this job (crash recovery)."""
        ...

    def remember_external_id(self, external_id: str) -> None:
        """Persist the backend's id for this job (RunPod job id, ComfyUI prompt id) at once."""
        ...

    def report_progress(self, fraction: float) -> None:
        """Record progress between 0.0 and 1.0."""
        ...

    def should_stop(self) -> bool:
        """True once the job was cancelled or this worker lost its lease."""
        ...


class GenerationBackend(Protocol):
    name: str

    def generate(self, request: GenerationRequest, control: JobControl) -> GenerationOutput:
        """Run the request to completion; raise a BackendError subclass on failure."""
        ...

    def health(self) -> BackendHealth: ...

    def cancel(self, external_id: str) -> None:
        """Best-effort cancel of a remote job; never raises for an already finished job."""
        ...

    def check_edit_source(self, width: int, height: int) -> None:
        """Raise InputRejected when this backend cannot edit an image of this size."""
        ...


class BackendError(Exception):
    """Base of every backend failure; `code` is the job's error code in the API."""

    code = "BACKEND_ERROR"

    def __init__(self, message: str, *, details: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class TransientBackendError(BackendError):
    """Network error, 408, 429 or 5xx: worth retrying, counts against the circuit breaker."""

    code = "BACKEND_UNAVAILABLE"

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        status: int | None = None,
        details: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message, details=details)
        self.retry_after = retry_after
        self.status = status


class BackendConfigurationError(BackendError):
    """Bad credentials or endpoint (401/403/404 on submit): never retried."""

    code = "BACKEND_MISCONFIGURED"


class GenerationFailed(BackendError):
    """The backend ran the job and reported failure (the backend itself is healthy)."""

    code = "GENERATION_FAILED"


class InputRejected(GenerationFailed):
    """The job's own input cannot be done (say, a source image too small for an edit).

    The request's fault, not the backend's: never retried, and (as a GenerationFailed) never
    counted against the circuit breaker. Where it can be known before queueing, the API answers
    it as a 400 instead.
    """

    code = "VALIDATION_ERROR"


class GenerationTimeout(BackendError):
    code = "TIMEOUT"


class GenerationCancelled(BackendError):
    code = "CANCELLED"


class ResultExpired(BackendError):
    """The backend no longer knows a job it accepted (RunPod retention, ComfyUI restart)."""

    code = "RESULT_EXPIRED"


def stop_if_asked(
    control: JobControl,
    abort: Callable[[], None],
    details: dict[str, object],
    timeout_message: str,
) -> None:
    """Abort the remote work and raise once the job was cancelled or its deadline passed.

    A cancelled job raises GenerationCancelled, one past its deadline GenerationTimeout (with
    `timeout_message`); both carry `details`.
    """
    if control.should_stop():
        abort()
        raise GenerationCancelled("the job was cancelled", details=details)
    if time.monotonic() >= control.deadline:
        abort()
        raise GenerationTimeout(timeout_message, details=details)
