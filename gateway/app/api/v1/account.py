"""GET /me: who this key is (Zapier's and n8n's connection test)."""

from __future__ import annotations

from flask_restx import Namespace, Resource, fields

from gateway.app.api.v1 import schemas
from gateway.app.database import isoformat
from gateway.app.security import api_access, require_principal

ns = Namespace("account", description="The calling API key", path="/")
m = schemas.register(ns)
me_model = ns.model(
    "Me",
    {
        "name": fields.String(),
        "type": fields.String(enum=["api_key", "operator"]),
        "plan": fields.String(enum=["free", "pro", "enterprise"]),
        "scopes": fields.List(fields.String()),
        "usage": fields.Raw(example={"requests": 42, "last_used_at": "2026-11-23T12:00:00Z"}),
    },
)


@ns.route("/me")
class Me(Resource):
    @ns.response(200, "The caller", me_model)
    @ns.response(401, "Missing or invalid key", m["Error"])
    @api_access("account.me")
    def get(self) -> dict:
        """The key's name, plan, scopes and usage."""
        principal = require_principal()
        usage = {}
        if principal.key is not None:
            usage = {
                "requests": principal.key.request_count,
                "last_used_at": isoformat(principal.key.last_used_at),
                "created_at": isoformat(principal.key.created_at),
            }
        return {
            "name": principal.actor.name,
            "type": principal.actor.kind,
            "plan": principal.plan,
            "scopes": sorted(principal.scopes),
            "usage": usage,
        }
