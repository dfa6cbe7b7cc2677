"""The API's resources: one flask-restx Namespace per resource, served as v1 and as v2.

v2 (`/api/v2`) serves these same namespaces; where the versions differ for a resource (lists,
links) it answers through `api.representation`, errors differ in `errors`, the required
Idempotency-Key in `idempotency`, and `api.spec` documents each version.
"""

from __future__ import annotations

from flask import Blueprint
from flask_restx import Namespace

from gateway.app.api.common import AUTHORIZATIONS, output_json
from gateway.app.api.spec import VersionedApi
from gateway.app.api.v1 import (
    account,
    batch,
    catalog,
    generation,
    images,
    jobs,
    operations,
    previews,
    products,
    publications,
    templates,
    webhooks,
)

NAMESPACES: tuple[Namespace, ...] = (
    generation.ns,
    jobs.ns,
    images.ns,
    previews.ns,
    batch.ns,
    account.ns,
    operations.ns,
    webhooks.ns,
    templates.templates_ns,
    publications.publications_ns,
    products.products_ns,
    catalog.catalog_ns,
)
DESCRIPTIONS = {
    1: "Deprecated: every answer carries `Deprecation`, `Sunset` and a `Link` to v2. "
    "Errors are `{error, code, details, request_id}`; lists page by `page`.",
    2: "Errors are RFC 9457 problem+json; lists page by `cursor` (`{items, next_cursor}`); "
    "`Idempotency-Key` is required on generate and batch calls.",
}


def build_blueprint(version: int = 1) -> Blueprint:
    """The API at /api/v{version}: every namespace, documented for that version."""
    blueprint = Blueprint(f"api_v{version}", __name__, url_prefix=f"/api/v{version}")
    api = VersionedApi(
        blueprint,
        api_version=version,
        version=f"{version}.0",
        title=f"POD Gateway API v{version}",
        description="Prompts to reviewed print-on-demand products. Authenticate with X-API-Key. "
        + DESCRIPTIONS[version],
        doc="/docs",
        authorizations=AUTHORIZATIONS,
        security=[{"apikey": []}],
    )

    api.representation("application/json")(output_json)

    @api.errorhandler(Exception)
    def defer_to_app(error: Exception) -> None:
        """Hand every error to the app's handler so each version answers in its own shape."""
        raise error

    for namespace in NAMESPACES:
        api.add_namespace(namespace)
    return blueprint
