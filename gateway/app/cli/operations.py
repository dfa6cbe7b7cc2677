"""`flask worker`, `flask cleanup`, `flask admin ensure`."""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from gateway.app import context as app_context
from gateway.app import tracing
from gateway.app.accounts import service as accounts
from gateway.app.audit.service import SYSTEM
from gateway.app.extensions import db
from gateway.app.generation import context as generation_context
from gateway.app.operations import cleanup as retention

admin = AppGroup("admin", help="First-start tasks.")


@click.command("worker")
@click.option("--concurrency", type=int, default=None, help="threads (default WORKER_CONCURRENCY)")
@with_appcontext
def worker(concurrency: int | None) -> None:
    """Run a job worker until SIGINT/SIGTERM."""
    settings = app_context.settings()
    threads = concurrency or settings.worker_concurrency
    click.echo(f"worker: {threads} thread(s), queue {'redis' if settings.redis_url else 'sqlite'}")
    tracing.init_worker(current_app)
    app_context.queue().run_worker(threads)


@click.command("cleanup")
@with_appcontext
def cleanup() -> None:
    """Apply the retention policy and print what it removed."""
    context = generation_context.current()
    report = retention.apply_retention(db.session, context.storage, context.settings, SYSTEM)
    click.echo(json.dumps(report))


@admin.command("ensure")
def ensure_admin() -> None:
    """Create `admin` when there is no operator, printing its password once."""
    settings = app_context.settings()
    password = accounts.ensure_admin(db.session, settings.admin_password)
    if password:
        click.echo("=" * 60)
        click.echo("Created operator 'admin'. Its password, shown only now:")
        click.echo(password)
        click.echo("=" * 60)
