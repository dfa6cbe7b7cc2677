"""Outbound webhooks: subscriptions, signed deliveries from the event outbox, SSRF-safe sending."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from gateway.app.extensions import db
from gateway.app.queue import JobQueue
from gateway.app.settings import Settings
from gateway.app.webhooks import ssrf, tasks
from gateway.app.webhooks.context import WebhookContext


def init_app(app: Flask, settings: Settings, queue: JobQueue) -> WebhookContext:
    """Build the delivery context (after `generation`, whose deferred engine it shares)."""
    try:
        networks = ssrf.validate_networks(settings.webhook_allowed_networks)
    except ValueError as error:
        raise ValueError(f"WEBHOOK_ALLOWED_NETWORKS: {error}") from None
    with app.app_context():
        writer = db.engine
    context = WebhookContext(
        engine=app.extensions["generation"].engine,
        writer=writer,
        networks=networks,
        retry_schedule=tuple(settings.webhook_retry_schedule),
        disable_after=timedelta(hours=settings.webhook_disable_after_hours),
        lease_seconds=settings.webhook_lease_seconds,
    )
    app.extensions["webhooks"] = context
    tasks.register(queue)
    return context
