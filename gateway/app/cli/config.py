"""`flask config check`: the configuration report."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from gateway.app import context as app_context

group = AppGroup("config", help="Inspect the configuration.")


@group.command("check")
def check() -> None:
    """Print the configuration report; exit 1 when it has errors."""
    settings = app_context.settings()
    errors, warnings = settings.configuration_report()
    click.echo(f"state dir:  {settings.state_dir}")
    click.echo(f"database:   {settings.resolved_database_url.split('@')[-1]}")
    click.echo(f"queue:      {'redis' if settings.redis_url else 'sqlite (embedded)'}")
    click.echo(f"storage:    {settings.resolved_storage_url}")
    click.echo(f"backend:    {settings.generation_backend}")
    click.echo(f"base url:   {settings.resolved_base_url}")
    for warning in warnings:
        click.echo(f"warning: {warning}")
    for error in errors:
        click.echo(f"error: {error}", err=True)
    click.echo("configuration has errors" if errors else "configuration ok")
    sys.exit(1 if errors else 0)
