"""Queue tasks of the generation feature: they take ids and call the runner."""

from __future__ import annotations

from flask import Flask

from gateway.app.extensions import db
from gateway.app.generation import reaper, runner
from gateway.app.generation.context import RUN_TASK, GenerationContext
from gateway.app.queue import JobQueue


def register(app: Flask, queue: JobQueue) -> None:
    context: GenerationContext = app.extensions["generation"]

    def run_generation(job_id: str) -> None:
        runner.run_generation(db.session, context, job_id)

    def reap() -> None:
        reaper.reap(db.session, context, lambda job_id: queue.enqueue(RUN_TASK, job_id))

    queue.register(RUN_TASK, run_generation)
    queue.register_maintenance("generation.reap", context.settings.reaper_interval_seconds, reap)
