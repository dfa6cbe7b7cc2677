"""The versioned HTTP API, its Swagger UI at /api/docs and the version list at /api/version."""

from __future__ import annotations

from flask import Blueprint, Flask, jsonify, render_template

from gateway.app.api.v1 import build_blueprint as build_v1
from gateway.app.extensions import csrf

VERSIONS = [{"version": "v1", "status": "current", "docs": "/api/v1/swagger.json"}]


def build_docs_blueprint() -> Blueprint:
    blueprint = Blueprint("api_docs", __name__)

    @blueprint.get("/api/docs")
    def docs() -> str:
        specs = [{"name": v["version"], "url": v["docs"]} for v in VERSIONS]
        return render_template("api_docs.html", specs=specs)

    @blueprint.get("/api/version")
    def versions() -> object:
        return jsonify({"versions": VERSIONS})

    return blueprint


def init_app(app: Flask) -> None:
    """API blueprints; exempt from form CSRF because API keys (not cookies) authenticate them,
    and a session caller's unsafe requests are checked in `accounts.sessions`."""
    v1 = build_v1()
    csrf.exempt(v1)
    app.register_blueprint(v1)
    app.register_blueprint(build_docs_blueprint())
