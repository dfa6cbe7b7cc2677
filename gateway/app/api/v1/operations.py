"""Operations over the API: status (admin), backends, cleanup (admin)."""

from __future__ import annotations

from flask_restx import Namespace, Resource, fields

from gateway.app.api import common
from gateway.app.api.spec import nullable
from gateway.app.api.v1 import schemas
from gateway.app.extensions import db
from gateway.app.generation import context as generation_context
from gateway.app.operations import cleanup
from gateway.app.operations import service as operations
from gateway.app.publishing import context as publishing_context
from gateway.app.security import api_access, require_principal

ns = Namespace("operations", description="Status, backends and maintenance", path="/")
error = schemas.error_model(ns)
backend_model = ns.model(
    "Backend",
    {
        "name": fields.String(),
        "enabled": fields.Boolean(),
        "status": fields.String(),
        "circuit": fields.String(enum=["closed", "open", "half_open"]),
        "version": nullable(fields.String()),
        "disabled_reason": nullable(fields.String()),
    },
)
cleanup_model = ns.model(
    "CleanupReport",
    {
        "images_deleted": fields.Integer(),
        "files_deleted": fields.Integer(),
        "jobs_deleted": fields.Integer(),
    },
)


@ns.route("/status")
class Status(Resource):
    @ns.response(200, "Uptime, queue, backends, host resources")
    @ns.response(403, "Admins only", error)
    @api_access("operations.status")
    def get(self) -> dict:
        """The gateway's state at a glance (admin)."""
        context = generation_context.current()
        report = operations.system_status(db.session, context.registry, context)
        report["publishing"] = operations.publishing_status(publishing_context.current())
        return report


@ns.route("/backends")
class Backends(Resource):
    @ns.response(200, "Every backend with its circuit", [backend_model])
    @api_access("operations.backends")
    def get(self) -> list:
        """Generation backends: enabled, health, circuit state, version."""
        return generation_context.current().registry.describe(probe=True)


@ns.route("/cleanup")
class Cleanup(Resource):
    @ns.response(200, "What the retention policy removed", cleanup_model)
    @ns.response(403, "Admins only", error)
    @api_access("operations.cleanup")
    @common.idempotent_call(ns)
    def post(self) -> dict:
        """Apply the retention policy now (admin)."""
        context = generation_context.current()
        return cleanup.apply_retention(
            db.session, context.storage, context.settings, require_principal().actor
        )
