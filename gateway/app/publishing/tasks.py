"""Queue work of publishing: run one publication now, and the sweep every worker runs."""

from __future__ import annotations

from gateway.app.publishing import runner
from gateway.app.publishing.context import RUN_TASK, PublishingContext
from gateway.app.queue import JobQueue

SWEEP_INTERVAL_SECONDS = 1.0


def register(queue: JobQueue) -> None:
    """`publishing.run` starts a new publication at once; `publishing.sweep` runs retries that
    fell due, paced ones, and those a dead worker left behind."""

    def context() -> PublishingContext:
        return queue.app.extensions["publishing"]

    def run(publication_id: str) -> None:
        runner.run_publication(context(), publication_id)

    def sweep() -> None:
        runner.sweep(context())

    queue.register(RUN_TASK, run)
    queue.register_maintenance("publishing.sweep", SWEEP_INTERVAL_SECONDS, sweep)
