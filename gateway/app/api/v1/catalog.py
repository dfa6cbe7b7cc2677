"""The Printify catalog (blueprints, providers, variants), cached by the gateway."""

from __future__ import annotations

from flask_restx import Namespace, Resource

from gateway.app.api import common, spec
from gateway.app.publishing import context as publishing_context
from gateway.app.security import api_access

catalog_ns = Namespace("catalog", description="The Printify catalog, cached by the gateway")


@catalog_ns.route("/blueprints")
class Blueprints(Resource):
    @spec.asks_printify(catalog_ns)
    @api_access("catalog.read")
    def get(self) -> list:
        """Printify blueprints (product types), cached."""
        common.end_transaction()
        return publishing_context.current().catalog.blueprints()


@catalog_ns.route("/blueprints/<int:blueprint_id>/print_providers")
class Providers(Resource):
    @spec.asks_printify(catalog_ns)
    @api_access("catalog.read")
    def get(self, blueprint_id: int) -> list:
        """Print providers of a blueprint, cached."""
        common.end_transaction()
        return publishing_context.current().catalog.print_providers(blueprint_id)


@catalog_ns.route("/blueprints/<int:blueprint_id>/print_providers/<int:provider_id>/variants")
class Variants(Resource):
    @spec.asks_printify(catalog_ns)
    @api_access("catalog.read")
    def get(self, blueprint_id: int, provider_id: int) -> dict:
        """Every variant (out-of-stock ones too) with its print areas' pixel sizes, cached."""
        common.end_transaction()
        return publishing_context.current().catalog.variants(blueprint_id, provider_id)


@catalog_ns.route("/refresh")
class CatalogRefresh(Resource):
    @api_access("catalog.refresh")
    def post(self) -> dict:
        """Forget the cached catalog; the next reads ask Printify again."""
        common.end_transaction()
        return {"dropped": publishing_context.current().catalog.refresh()}
