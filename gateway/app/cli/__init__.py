"""Flask CLI command groups: one per feature, registered by `init_app`."""

from __future__ import annotations

from flask import Flask

from gateway.app.cli import accounts, config, operations, printify


def init_app(app: Flask) -> None:
    for command in (
        config.group,
        accounts.operators,
        accounts.keys,
        operations.worker,
        operations.cleanup,
        operations.admin,
        printify.printify,
    ):
        app.cli.add_command(command)
