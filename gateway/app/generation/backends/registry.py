"""Which backends exist in this configuration, each with its circuit breaker."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, partial

import pybreaker
from sqlalchemy import Engine

from gateway.app.circuit import build_breaker, circuit_state
from gateway.app.clients.http import RetryPolicy
from gateway.app.generation.backends.base import (
    BackendError,
    BackendHealth,
    GenerationBackend,
    GenerationCancelled,
    GenerationFailed,
    GenerationTimeout,
    ResultExpired,
)
from gateway.app.generation.backends.comfyui import ComfyUIBackend
from gateway.app.generation.backends.local import LocalBackend
from gateway.app.generation.backends.runpod import RunPodBackend
from gateway.app.settings import Settings

ALL_BACKENDS = ("local", "runpod", "comfyui")

# Failures that say nothing about the backend's health do not count against its circuit.
NOT_BACKEND_FAULTS = (GenerationFailed, GenerationCancelled, GenerationTimeout, ResultExpired)


def not_a_backend_fault(error: BaseException) -> bool:
    """Only a backend's own errors count against its circuit. A job's input it cannot do
    (`GenerationFailed`, `InputRejected`), a cancel or timeout, and anything that is not a
    `BackendError` at all (our own code failing on a request's odd input: clients wrap every
    remote fault in a BackendError) say nothing about the backend, so one client cannot switch
    generation off for everyone."""
    return not isinstance(error, BackendError) or isinstance(error, NOT_BACKEND_FAULTS)


@dataclass
class BackendSlot:
    """A backend (None when disabled) and its circuit breaker, made on first use because pybreaker
    reads its stored state at construction, and the table may not exist before `db upgrade`."""

    name: str
    backend: GenerationBackend | None
    make_breaker: Callable[[], pybreaker.CircuitBreaker]
    disabled_reason: str | None = None

    @cached_property
    def breaker(self) -> pybreaker.CircuitBreaker:
        return self.make_breaker()

    @property
    def enabled(self) -> bool:
        return self.backend is not None

    @property
    def circuit(self) -> str:
        return circuit_state(self.breaker)


class BackendRegistry:
    def __init__(self, slots: dict[str, BackendSlot]) -> None:
        self._slots = slots

    def slot(self, name: str) -> BackendSlot:
        return self._slots[name]

    def all(self) -> list[BackendSlot]:
        return list(self._slots.values())

    def describe(self, *, probe: bool = True) -> list[dict[str, object]]:
        """The `/api/v1/backends` listing; `probe` asks each enabled backend for its health."""
        rows: list[dict[str, object]] = []
        for slot in self.all():
            health = BackendHealth(status="disabled")
            if slot.backend is not None:
                health = slot.backend.health() if probe else BackendHealth(status="unknown")
            rows.append(
                {
                    "name": slot.name,
                    "enabled": slot.enabled,
                    "status": health.status,
                    "circuit": slot.circuit,
                    "version": health.version,
                    "disabled_reason": slot.disabled_reason,
                }
            )
        return rows


def build_registry(settings: Settings, engine: Engine) -> BackendRegistry:
    policy = RetryPolicy(attempts=settings.backend_max_attempts)
    backends: dict[str, tuple[GenerationBackend | None, str | None]] = {
        "local": (LocalBackend(), None)
    }
    if settings.runpod_enabled:
        backends["runpod"] = (
            RunPodBackend(
                base_url=settings.runpod_base_url,
                api_key=settings.runpod_api_key or "",
                endpoint_id=settings.runpod_endpoint_id or "",
                poll_interval=settings.runpod_poll_interval_seconds,
                retry_policy=policy,
            ),
            None,
        )
    else:
        backends["runpod"] = (None, "RUNPOD_API_KEY / RUNPOD_ENDPOINT_ID unset")
    if settings.comfyui_url:
        backends["comfyui"] = (
            ComfyUIBackend(base_url=settings.comfyui_url, retry_policy=policy),
            None,
        )
    else:
        backends["comfyui"] = (None, "COMFYUI_URL unset")
    slots = {
        name: BackendSlot(
            name=name,
            backend=backend,
            make_breaker=partial(
                build_breaker,
                engine,
                f"backend:{name}",
                fail_max=settings.circuit_fail_max,
                reset_seconds=settings.circuit_reset_seconds,
                exclude=(not_a_backend_fault,),
            ),
            disabled_reason=reason,
        )
        for name, (backend, reason) in backends.items()
    }
    return BackendRegistry(slots)
