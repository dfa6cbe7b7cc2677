"""GET /me: who this key is (Zapier's and n8n's connection test); GET /usage: its monthly quotas."""

from __future__ import annotations

from flask_restx import Namespace, Resource, fields

from gateway.app import context as app_context
from gateway.app.accounts import context as account_context
from gateway.app.accounts import quotas
from gateway.app.api import spec
from gateway.app.api.v1 import schemas
from gateway.app.extensions import db
from gateway.app.security import Principal, api_access, require_principal

ns = Namespace("account", description="The calling API key", path="/")
error = schemas.error_model(ns)

per_metric = {
    "images": fields.Integer(description="images generated (generate, edit)"),
    "products": fields.Integer(description="products published (dry runs are free)"),
}
nullable_per_metric = {
    name: spec.nullable(fields.Integer(description=field.description))
    for name, field in per_metric.items()
}
usage_model = ns.model(
    "Usage",
    {
        "period": fields.Nested(
            ns.model(
                "UsagePeriod",
                {
                    "start": fields.DateTime(description="first moment of this month, UTC"),
                    "end": fields.DateTime(description="when the quotas reset"),
                },
            )
        ),
        "plan": fields.String(enum=["free", "pro", "enterprise"]),
        "used": fields.Nested(ns.model("UsageUsed", per_metric)),
        "quota": fields.Nested(
            ns.model("UsageQuota", nullable_per_metric), description="null: unlimited"
        ),
        "remaining": fields.Nested(
            ns.model("UsageRemaining", nullable_per_metric), description="null: unlimited"
        ),
    },
)

me_model = ns.model(
    "Me",
    {
        "name": fields.String(),
        "type": fields.String(enum=["api_key", "operator"]),
        "plan": fields.String(enum=["free", "pro", "enterprise"]),
        "scopes": fields.List(fields.String()),
        "usage": fields.Raw(example={"requests": 42, "last_used_at": "2026-11-23T12:00:00Z"}),
        "quotas": fields.Nested(usage_model),
    },
)


def _usage(principal: Principal) -> dict:
    allowance = quotas.allowance(app_context.settings(), principal.api_key_id, principal.plan)
    return quotas.usage(db.session, allowance, principal.plan)


@ns.route("/usage")
class Usage(Resource):
    @ns.response(200, "This month's usage and quotas", usage_model)
    @ns.response(401, "Missing or invalid key", error)
    @api_access("account.usage")
    def get(self) -> dict:
        """This month's images generated and products published against the plan's quotas."""
        return _usage(require_principal())


@ns.route("/me")
class Me(Resource):
    @ns.response(200, "The caller", me_model)
    @ns.response(401, "Missing or invalid key", error)
    @api_access("account.me")
    def get(self) -> dict:
        """The key's name, plan, scopes and usage."""
        principal = require_principal()
        usage = {}
        if principal.api_key_id is not None:
            usage = account_context.keyring().usage(db.session, principal.api_key_id)
        return {
            "name": principal.actor.name,
            "type": principal.actor.kind,
            "plan": principal.plan,
            "scopes": sorted(principal.scopes),
            "usage": usage,
            "quotas": _usage(principal),
        }
