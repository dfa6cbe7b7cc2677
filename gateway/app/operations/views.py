"""Probes and metrics: /health, /ready, /metrics (and /api/metrics)."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, jsonify

from gateway.app import context as app_context
from gateway.app import metrics
from gateway.app.extensions import db
from gateway.app.generation import context as generation_context
from gateway.app.operations import service
from gateway.app.publishing import context as publishing_context

blueprint = Blueprint("operations", __name__)


@blueprint.get("/health")
def health() -> Response:
    """Liveness: the process answers."""
    return jsonify({"status": "ok"})


@blueprint.get("/ready")
def ready() -> tuple[Response, int]:
    """Readiness: database, queue and storage all usable."""
    checks = service.readiness(db.session, app_context.queue(), generation_context.current())
    ok = all(value == "ok" for value in checks.values())
    return jsonify({"status": "ready" if ok else "not_ready", "checks": checks}), 200 if ok else 503


@blueprint.get("/metrics")
@blueprint.get("/api/metrics")
def prometheus_metrics() -> Response:
    registry = generation_context.current().registry
    publishing = publishing_context.current()
    body, content_type = metrics.render(
        lambda: service.shared_gauges(db.session, registry, publishing)
    )
    return Response(body, content_type=content_type)


def init_app(app: Flask) -> None:
    app.register_blueprint(blueprint)
