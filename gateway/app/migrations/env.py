"""Alembic environment: migrations run against the app's engine and models' metadata."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config
if not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
log = logging.getLogger("alembic.env")

migrate = current_app.extensions["migrate"]
engine = migrate.db.engine
config.set_main_option(
    "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
)
metadata = migrate.db.metadata


def run_migrations_offline() -> None:
    """Emit SQL to stdout instead of running it (`flask db upgrade --sql`)."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"), target_metadata=metadata, literal_binds=True
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    def skip_empty(context, revision, directives) -> None:  # noqa: ANN001
        """Do not write an empty migration when autogenerate finds no change."""
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            log.info("No changes in schema detected.")

    arguments = dict(migrate.configure_args)
    arguments.setdefault("process_revision_directives", skip_empty)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata, **arguments)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
