"""`flask operators ...` and `flask keys ...`."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from gateway.app.accounts import service
from gateway.app.accounts.models import PLANS, ROLES, SCOPES
from gateway.app.audit.service import Actor
from gateway.app.errors import GatewayError
from gateway.app.extensions import db

CLI_ACTOR = Actor("cli", None, "cli")
operators = AppGroup("operators", help="Manage operators (people using the review UI).")
keys = AppGroup("keys", help="Manage API keys.")


def _fail(error: GatewayError) -> None:
    raise click.ClickException(error.message)


@operators.command("create")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), default="reviewer", show_default=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_operator(name: str, role: str, password: str) -> None:
    """Create an operator."""
    try:
        operator = service.create_operator(db.session, name, password, role=role, actor=CLI_ACTOR)
    except GatewayError as error:
        _fail(error)
    click.echo(f"created operator {operator.username} ({operator.role})")


@keys.command("create")
@click.argument("name")
@click.option("--plan", type=click.Choice(PLANS), default="free", show_default=True)
@click.option(
    "--scopes",
    default="read,generate,review",
    show_default=True,
    help=f"comma-separated, from: {', '.join(SCOPES)}",
)
def create_key(name: str, plan: str, scopes: str) -> None:
    """Create a key; it is printed once, alone on the last line."""
    try:
        new = service.create_key(
            db.session,
            name,
            plan=plan,
            scopes=[s.strip() for s in scopes.split(",") if s.strip()],
            actor=CLI_ACTOR,
        )
    except GatewayError as error:
        _fail(error)
    click.echo(
        f"created key {new.record.name} (prefix {new.record.prefix}, plan {new.record.plan}, "
        f"scopes {','.join(new.record.scopes)}); it is shown only now:"
    )
    click.echo(new.secret)


@keys.command("revoke")
@click.argument("prefix")
def revoke_key(prefix: str) -> None:
    """Revoke the key with this prefix."""
    try:
        record = service.revoke_key(db.session, prefix, CLI_ACTOR)
    except GatewayError as error:
        _fail(error)
    click.echo(f"revoked key {record.name} ({record.prefix})")


@keys.command("list")
def list_keys() -> None:
    """List keys (prefixes only; secrets are never stored)."""
    for record in service.list_keys(db.session):
        state = "revoked" if record.revoked_at else "active"
        click.echo(
            f"{record.prefix}  {state:8} {record.plan:10} {','.join(record.scopes):30} {record.name}"
        )
