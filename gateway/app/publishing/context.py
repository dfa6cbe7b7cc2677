"""What publishing needs in every process, built once by `publishing.init_app`."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import Engine

from gateway.app import context as app_context
from gateway.app.clients.pacing import Pacer
from gateway.app.clients.printify import PrintifyClient, PrintifyConfig
from gateway.app.clients.printify_dry_run import DryRunPrintify
from gateway.app.imaging.storage import Storage
from gateway.app.imaging.validation import ImageLimits, generated_image_limits
from gateway.app.publishing.catalog import Catalog
from gateway.app.settings import Settings

RUN_TASK = "publishing.run"


@dataclass(frozen=True)
class PublishingContext:
    """`engine` begins deferred on SQLite (reads, single-statement claims and step saves);
    `writer` is the session's engine for the units of work that read before they write."""

    settings: Settings
    engine: Engine
    writer: Engine
    storage: Storage
    catalog: Catalog
    pacer: Pacer
    config: PrintifyConfig
    client: PrintifyClient | None

    @property
    def live(self) -> bool:
        """Whether Printify is configured; without it every publication is a dry run."""
        return self.client is not None

    @property
    def generated_limits(self) -> ImageLimits:
        """The size limits on images the gateway makes, which an upscale must keep."""
        settings = self.settings
        return generated_image_limits(settings.max_upload_bytes, settings.max_image_dimension)

    def client_for(self, dry_run: bool) -> PrintifyClient:
        if dry_run or self.client is None:
            return DryRunPrintify(self.config, self.pacer)
        return self.client


def current() -> PublishingContext:
    """This app's publishing context (built by `publishing.init_app`)."""
    return current_app.extensions["publishing"]


def enqueue(publication_id: str) -> None:
    """Queue a publication for a worker to run now."""
    app_context.queue().enqueue(RUN_TASK, publication_id)
