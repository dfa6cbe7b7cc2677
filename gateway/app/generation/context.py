"""What generation needs in every process (API, UI, CLI, workers), built once by `init_app`."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import Engine

from gateway.app.generation.backends.registry import BackendRegistry
from gateway.app.imaging.storage import Storage
from gateway.app.imaging.validation import ImageLimits
from gateway.app.queue import get_queue
from gateway.app.settings import Settings

RUN_TASK = "generation.run"


@dataclass(frozen=True)
class GenerationContext:
    """Everything a worker needs to run jobs, built once per process."""

    settings: Settings
    engine: Engine
    registry: BackendRegistry
    storage: Storage
    limits: ImageLimits


def current() -> GenerationContext:
    """This app's generation context (built by `generation.init_app`)."""
    return current_app.extensions["generation"]


def enqueue(job_id: str) -> None:
    """Queue a generation job for a worker."""
    get_queue(current_app).enqueue(RUN_TASK, job_id)
