"""The CLI works only on a migrated database: a clear message instead of a new empty one.

Run from a shell without the server's environment, `flask keys list` would otherwise open
`./state/gateway.db`, which SQLite creates empty on first connect, and then fail on a missing table
with a traceback. Every command but `db ...` and `config check` checks first, before any connection
that could create the file.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask.cli import with_appcontext
from sqlalchemy import make_url
from sqlalchemy.exc import SQLAlchemyError

from gateway.app import context as app_context
from gateway.app.extensions import db

GUARDED = "__database_guard__"
FIX = (
    "Run the command with the server's GATEWAY_STATE_DIR / DATABASE_URL, "
    "or create the database with `make setup` (`flask --app wsgi db upgrade`)."
)


def database_problem(url: str, migrations: Path) -> str | None:
    """Why the database at `url` cannot be worked on, or None when it is migrated to head."""
    parsed = make_url(url)
    shown = parsed.render_as_string(hide_password=True)
    on_disk = parsed.get_backend_name() == "sqlite" and parsed.database not in (
        None,
        "",
        ":memory:",
    )
    if on_disk and not Path(str(parsed.database)).exists():
        return f"no database at {parsed.database}. {FIX}"
    heads = set(ScriptDirectory(str(migrations)).get_heads())
    try:
        with db.engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError as error:
        return f"cannot open the database {shown}: {error.__class__.__name__}. {FIX}"
    if not current:
        return f"the database {shown} has no schema (it was never migrated). {FIX}"
    if current != heads:
        return (
            f"the database {shown} is at migration {', '.join(sorted(current))}, "
            f"not {', '.join(sorted(heads))}. Run `make setup` (`flask --app wsgi db upgrade`)."
        )
    return None


def _checked(callback: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(callback)
    @with_appcontext
    def run(*args: Any, **kwargs: Any) -> Any:
        settings = app_context.settings()
        problem = database_problem(
            settings.resolved_database_url, app_context.migrations_directory()
        )
        if problem:
            raise click.ClickException(problem)
        return callback(*args, **kwargs)

    setattr(run, GUARDED, True)
    return run


def guard(command: click.Command, *, exempt: frozenset[str] = frozenset()) -> None:
    """Make every leaf of `command` refuse to run on a missing or unmigrated database."""
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            if name not in exempt:
                guard(sub)
        return
    if command.callback is not None and not getattr(command.callback, GUARDED, False):
        command.callback = _checked(command.callback)
