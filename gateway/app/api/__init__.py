"""The versioned HTTP API, its Swagger UI at /api/docs and the version list at /api/version."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, jsonify, render_template, request

from gateway.app import context as app_context
from gateway.app import database, versioning
from gateway.app.api.v1 import build_blueprint
from gateway.app.extensions import csrf

READ_METHODS = frozenset({"GET", "HEAD"})


def build_docs_blueprint() -> Blueprint:
    blueprint = Blueprint("api_docs", __name__)

    @blueprint.get("/api/docs")
    def docs() -> str:
        specs = [
            {"name": v["version"], "url": v["docs"]}
            for v in versioning.versions(app_context.settings())
        ]
        return render_template("api_docs.html", specs=specs)

    @blueprint.get("/api/version")
    def versions() -> object:
        return jsonify({"versions": versioning.versions(app_context.settings())})

    return blueprint


def init_app(app: Flask) -> None:
    """API blueprints; exempt from form CSRF because API keys (not cookies) authenticate them,
    and a session caller's unsafe requests are checked in `accounts.sessions`."""
    for version in (1, 2):
        blueprint = build_blueprint(version)
        csrf.exempt(blueprint)
        app.register_blueprint(blueprint)
    app.register_blueprint(build_docs_blueprint())

    @app.before_request
    def api_reads_share_the_database() -> None:
        """API GETs only read (usage is metered in memory, caches write first): on SQLite they
        need not hold the write lock, which every request used to queue for."""
        database.reads_only(request.method in READ_METHODS and request.path.startswith("/api/"))

    @app.teardown_request
    def end_shared_reads(_error: BaseException | None) -> None:
        """The declaration ends with its request: whatever this thread runs next may write."""
        database.reads_only(False)

    @app.after_request
    def announce_v1_sunset(response: Response) -> Response:
        if versioning.request_is_v1():
            versioning.mark_deprecated(response, app_context.settings())
        return response
