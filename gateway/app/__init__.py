"""The application factory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from gateway.app import (
    api,
    cli,
    errors,
    generation,
    headers,
    jsonbody,
    models,
    observability,
    publishing,
    queue,
    tracing,
    ui,
    webhooks,
)
from gateway.app.accounts import context as accounts
from gateway.app.accounts import sessions
from gateway.app.extensions import cors, csrf, db, migrate, sock
from gateway.app.operations import views as operations
from gateway.app.operations import workers
from gateway.app.ratelimit import RateLimiter
from gateway.app.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
MULTIPART_OVERHEAD = 256 * 1024


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the gateway. `config` may hold `SETTINGS` (a Settings) and Flask config overrides."""
    config = dict(config or {})
    settings: Settings = config.pop("SETTINGS", None) or Settings()
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    app = Flask(
        __name__,
        instance_path=str(settings.state_dir),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    # A path with an empty segment (an id of "/", sent as %2F) names nothing: a 404 in the
    # documented shape, not Werkzeug's 308 HTML redirect to a path the client never asked for.
    app.url_map.merge_slashes = False
    app.config.update(
        SECRET_KEY=settings.resolved_secret_key(),
        SQLALCHEMY_DATABASE_URI=settings.resolved_database_url,
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        MAX_CONTENT_LENGTH=settings.max_upload_bytes + MULTIPART_OVERHEAD,
        RESTX_MASK_SWAGGER=False,
        ERROR_INCLUDE_MESSAGE=False,
        JSON_SORT_KEYS=False,
        TESTING=settings.testing,
    )
    app.config.update(config)
    app.extensions["settings"] = settings

    observability.init_app(app, settings)
    tracing.init_app(app, settings)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS), render_as_batch=True)
    app.extensions["models"] = models.__all__
    sock.init_app(app)
    cors.init_app(
        app,
        resources={r"/api/*": {"origins": settings.cors_origins}},
        expose_headers=[
            "X-Request-ID",
            "X-RateLimit-Limit",
            "X-RateLimit-Remaining",
            "X-RateLimit-Reset",
            "Retry-After",
            "RateLimit",
            "RateLimit-Policy",
        ],
    )
    app.extensions["rate_limiter"] = limiter = RateLimiter(settings)
    headers.init_app(app, settings)
    csrf.init_app(app)
    accounts.init_app(app, settings)
    sessions.init_app(app, limiter.storage)
    job_queue = queue.init_app(app, settings)
    workers.init_app(job_queue, settings)
    generation.init_app(app, settings, job_queue)
    webhooks.init_app(app, settings, job_queue)
    publishing.init_app(app, settings, job_queue)
    errors.init_app(app)
    jsonbody.init_app(app)
    api.init_app(app)
    operations.init_app(app)
    ui.init_app(app)
    cli.init_app(app)
    return app
