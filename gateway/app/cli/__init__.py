"""Flask CLI command groups: one per feature, registered by `init_app`; each refuses to run on a
missing or unmigrated database (`guard`)."""

from __future__ import annotations

from flask import Flask

from gateway.app.cli import accounts, config, guard, operations, printify


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
        guard.guard(command, exempt=frozenset({"check"}))
        app.cli.add_command(command)
