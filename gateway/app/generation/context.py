"""What generation needs in every process (API, UI, CLI, workers), built once by `init_app`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from gateway.app.generation.backends.registry import BackendRegistry
from gateway.app.imaging.storage import Storage
from gateway.app.imaging.validation import ImageLimits
from gateway.app.settings import Settings


@dataclass(frozen=True)
class GenerationContext:
    """Everything a worker needs to run jobs, built once per process."""

    settings: Settings
    engine: Engine
    registry: BackendRegistry
    storage: Storage
    limits: ImageLimits
