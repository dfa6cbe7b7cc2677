"""API v1: one blueprint, one flask-restx Api, one Namespace per resource."""

from __future__ import annotations

from flask import Blueprint
from flask_restx import Api

from gateway.app.api.common import AUTHORIZATIONS
from gateway.app.api.v1 import (
    account,
    batch,
    generation,
    images,
    jobs,
    operations,
    publishing,
    webhooks,
)


def build_blueprint() -> Blueprint:
    blueprint = Blueprint("api_v1", __name__, url_prefix="/api/v1")
    api = Api(
        blueprint,
        version="1.0",
        title="POD Gateway API v1",
        description="Prompts to reviewed print-on-demand products. Authenticate with X-API-Key.",
        doc="/docs",
        authorizations=AUTHORIZATIONS,
        security=[{"apikey": []}],
    )

    @api.errorhandler(Exception)
    def defer_to_app(error: Exception) -> None:
        """Hand every error to the app's handler so v1 answers in the documented envelope."""
        raise error

    for namespace in (
        generation.ns,
        jobs.ns,
        images.ns,
        batch.ns,
        account.ns,
        operations.ns,
        webhooks.ns,
        publishing.templates_ns,
        publishing.publications_ns,
        publishing.products_ns,
        publishing.catalog_ns,
    ):
        api.add_namespace(namespace)
    return blueprint
