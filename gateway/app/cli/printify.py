"""`flask printify webhooks`: subscribe the gateway to the events Printify sends."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from gateway.app import context as app_context
from gateway.app.publishing import context as publishing_context
from gateway.app.publishing import inbound
from gateway.app.publishing.views import WEBHOOK_PATH

printify = AppGroup("printify", help="The Printify account the gateway publishes to.")


@printify.command("webhooks")
@click.option("--url", help="where Printify should send events (default: GATEWAY_BASE_URL's)")
def register_webhooks(url: str | None) -> None:
    """Register (or re-register) product:deleted and product:publish:started."""
    settings = app_context.settings()
    client = publishing_context.current().client
    if client is None:
        raise click.UsageError("set PRINTIFY_API_TOKEN and PRINTIFY_SHOP_ID first")
    if not settings.printify_webhook_secret:
        raise click.UsageError("set PRINTIFY_WEBHOOK_SECRET first (Printify signs events with it)")
    target = url or f"{settings.resolved_base_url}{WEBHOOK_PATH}"
    done = inbound.register(client, target, settings.printify_webhook_secret)
    click.echo(json.dumps(done))
