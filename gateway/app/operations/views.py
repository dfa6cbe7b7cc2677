"""Probes and metrics: /health, /ready, /metrics (and /api/metrics)."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, jsonify

from gateway.app import metrics
from gateway.app.extensions import db
from gateway.app.operations import service

blueprint = Blueprint("operations", __name__)


@blueprint.get("/health")
def health() -> Response:
    """Liveness: the process answers."""
    return jsonify({"status": "ok"})


@blueprint.get("/ready")
def ready() -> tuple[Response, int]:
    """Readiness: database, queue and storage all usable."""
    checks = service.readiness(
        db.session, current_app.extensions["queue"], current_app.extensions["generation"]
    )
    ok = all(value == "ok" for value in checks.values())
    return jsonify({"status": "ready" if ok else "not_ready", "checks": checks}), 200 if ok else 503


@blueprint.get("/metrics")
@blueprint.get("/api/metrics")
def prometheus_metrics() -> Response:
    registry = current_app.extensions["generation"].registry
    publishing = current_app.extensions["publishing"]
    body, content_type = metrics.render(
        lambda: service.shared_gauges(db.session, registry, publishing)
    )
    return Response(body, content_type=content_type)


def init_app(app: Flask) -> None:
    app.register_blueprint(blueprint)
