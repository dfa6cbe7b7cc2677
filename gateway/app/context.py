"""The app-wide handles every feature shares (settings, the job queue, the rate limiter), read
through typed accessors so no module spells a string-keyed `current_app.extensions` lookup."""

from __future__ import annotations

from pathlib import Path

from flask import current_app

from gateway.app.queue import JobQueue
from gateway.app.ratelimit import RateLimiter
from gateway.app.settings import Settings


def settings() -> Settings:
    """This app's validated settings (set first by `create_app`)."""
    return current_app.extensions["settings"]


def queue() -> JobQueue:
    """This app's job queue (built by `queue.init_app`)."""
    return current_app.extensions["queue"]


def rate_limiter() -> RateLimiter:
    """This app's API rate limiter."""
    return current_app.extensions["rate_limiter"]


def migrations_directory() -> Path:
    """The Alembic scripts Flask-Migrate was given."""
    return Path(current_app.extensions["migrate"].directory)
