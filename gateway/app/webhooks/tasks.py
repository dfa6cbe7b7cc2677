"""Queue work of the webhooks feature: the sweep every worker runs, and a send-now task."""

from __future__ import annotations

from gateway.app.queue import JobQueue
from gateway.app.webhooks import delivery
from gateway.app.webhooks.context import DELIVER_TASK, WebhookContext

SWEEP_INTERVAL_SECONDS = 1.0


def register(queue: JobQueue) -> None:
    """`webhooks.sweep` dispatches the outbox and sends what is due, in every worker process;
    `webhooks.deliver` sends one delivery at once (test events and redeliveries)."""

    def context() -> WebhookContext:
        return queue.app.extensions["webhooks"]

    def sweep() -> None:
        delivery.sweep(context())

    def deliver(delivery_id: str) -> None:
        delivery.deliver_now(context(), delivery_id)

    queue.register(DELIVER_TASK, deliver)
    queue.register_maintenance("webhooks.sweep", SWEEP_INTERVAL_SECONDS, sweep)
