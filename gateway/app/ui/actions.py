"""What the UI's buttons share: the CSRF check of their form, and a service call whose refusal
is flashed on the page the button leads back to, rather than answered as an error page."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import flash
from flask_wtf import FlaskForm

from gateway.app.errors import Forbidden, GatewayError
from gateway.app.extensions import db

T = TypeVar("T")


def require_token(form: FlaskForm) -> None:
    """Refuse (403) a post whose form lacks its CSRF token."""
    if not form.validate_on_submit():
        raise Forbidden("CSRF check failed: the form is missing its token")


def attempt(call: Callable[[], T], refused: str) -> T | None:
    """What `call()` answers; None when the service refuses, after rolling back and flashing
    `refused: <the refusal's message>`."""
    try:
        return call()
    except GatewayError as error:
        db.session.rollback()
        flash(f"{refused}: {error.message}", "error")
        return None
