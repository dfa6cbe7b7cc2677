"""The accounts feature's per-app handle: the keyring that authenticates and meters API keys."""

from __future__ import annotations

from flask import Flask, current_app
from sqlalchemy import Engine

from gateway.app.accounts.keyring import Keyring
from gateway.app.accounts.sessions import LoginThrottle
from gateway.app.extensions import db
from gateway.app.settings import Settings

EXTENSION = "keyring"


def init_app(app: Flask, settings: Settings) -> Keyring:
    def engine() -> Engine:
        with app.app_context():
            return db.engine

    keyring = Keyring(
        engine,
        ttl_seconds=settings.api_key_cache_seconds,
        flush_seconds=settings.api_key_usage_flush_seconds,
    )
    app.extensions[EXTENSION] = keyring
    return keyring


def keyring() -> Keyring:
    """This app's keyring."""
    return current_app.extensions[EXTENSION]


def login_throttle() -> LoginThrottle:
    """This app's throttle on operator log-ins (built by `accounts.sessions.init_app`)."""
    return current_app.extensions["login_throttle"]
