"""Publishing to Printify: product templates, the cached catalog, print files, paced publications."""

from __future__ import annotations

from functools import partial

from flask import Flask

from gateway.app.circuit import build_breaker
from gateway.app.clients.http import RetryPolicy, Timeouts
from gateway.app.clients.pacing import build_pacer
from gateway.app.clients.printify import PrintifyClient, PrintifyConfig
from gateway.app.clients.printify_errors import NOT_PRINTIFY_FAULTS
from gateway.app.extensions import db
from gateway.app.publishing import tasks, views
from gateway.app.publishing.catalog import Catalog
from gateway.app.publishing.context import PublishingContext
from gateway.app.publishing.pacing_store import DatabasePacingStorage
from gateway.app.queue import JobQueue
from gateway.app.settings import Settings

UNSET_SHOP = "PRINTIFY_SHOP_ID"


def init_app(app: Flask, settings: Settings, queue: JobQueue) -> PublishingContext:
    """Build the publishing context (after `generation`, whose deferred engine and storage it
    shares). Without PRINTIFY_API_TOKEN and PRINTIFY_SHOP_ID there is no client: dry runs only."""
    generation = app.extensions["generation"]
    with app.app_context():
        writer = db.engine
    config = PrintifyConfig(
        base_url=settings.printify_base_url,
        token=settings.printify_api_token or "",
        shop_id=settings.printify_shop_id or UNSET_SHOP,
        timeouts=Timeouts(read=settings.printify_timeout_seconds),
        upload_timeouts=Timeouts(read=settings.printify_upload_timeout_seconds),
        policy=RetryPolicy(attempts=settings.backend_max_attempts),
    )
    pacer = build_pacer(settings, DatabasePacingStorage(generation.engine))
    make_breaker = partial(
        build_breaker,
        generation.engine,
        "printify",
        fail_max=settings.circuit_fail_max,
        reset_seconds=settings.circuit_reset_seconds,
        exclude=NOT_PRINTIFY_FAULTS,
    )
    client = PrintifyClient(config, pacer, make_breaker) if settings.printify_enabled else None
    context = PublishingContext(
        settings=settings,
        engine=generation.engine,
        writer=writer,
        storage=generation.storage,
        catalog=Catalog(
            generation.engine, writer, client, max_age_seconds=settings.catalog_cache_seconds
        ),
        pacer=pacer,
        config=config,
        client=client,
    )
    app.extensions["publishing"] = context
    app.register_blueprint(views.blueprint)
    tasks.register(queue)
    return context
