"""Operators in the browser: Flask-Login sessions, their API principal, and login throttling."""

from __future__ import annotations

from flask import Flask, Response, request
from flask_login import UserMixin, current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from limits import RateLimitItemPerMinute
from limits.strategies import MovingWindowRateLimiter
from wtforms import ValidationError

from gateway.app.accounts.models import Operator
from gateway.app.accounts.service import ROLE_SCOPES
from gateway.app.audit.service import Actor
from gateway.app.errors import Forbidden, error_response
from gateway.app.extensions import db, login_manager
from gateway.app.security import Principal

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
OPERATOR_PLAN = "enterprise"


class OperatorUser(UserMixin):
    """The logged-in operator as Flask-Login sees it (a detached copy, not a live row)."""

    def __init__(self, operator: Operator) -> None:
        self.id = operator.id
        self.username = operator.username
        self.role = operator.role

    @property
    def scopes(self) -> frozenset[str]:
        return ROLE_SCOPES[self.role]

    def can(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def load_user(operator_id: str) -> OperatorUser | None:
    operator = db.session.get(Operator, operator_id)
    if operator is None or not operator.active:
        return None
    return OperatorUser(operator)


def session_principal() -> Principal | None:
    """The API principal of a logged-in operator; unsafe methods must carry the CSRF token.

    A session cookie rides along on cross-site requests, so the review UI's own API calls prove
    their origin with the `X-CSRFToken` header.
    """
    if not current_user.is_authenticated:
        return None
    if request.method not in SAFE_METHODS:
        try:
            validate_csrf(request.headers.get("X-CSRFToken"))
        except ValidationError as error:
            raise Forbidden(f"CSRF check failed: {error}") from None
    return operator_principal(current_user)  # type: ignore[arg-type]


def operator_principal(user: OperatorUser) -> Principal:
    """The principal services see for an operator, whether acting through the API or a page."""
    return Principal(
        actor=Actor("operator", user.id, user.username),
        scopes=user.scopes,
        plan=OPERATOR_PLAN,
    )


class LoginThrottle:
    """Failed logins per username and per client address, counted in a moving window."""

    def __init__(
        self, storage: object, *, per_username: int = 5, per_address: int = 20, minutes: int = 15
    ) -> None:
        self._strategy = MovingWindowRateLimiter(storage)  # type: ignore[arg-type]
        self._username = RateLimitItemPerMinute(per_username, minutes)
        self._address = RateLimitItemPerMinute(per_address, minutes)

    def blocked(self, username: str, address: str) -> bool:
        return not (
            self._strategy.test(self._username, "login-user", username.lower())
            and self._strategy.test(self._address, "login-ip", address)
        )

    def failed(self, username: str, address: str) -> None:
        self._strategy.hit(self._username, "login-user", username.lower())
        self._strategy.hit(self._address, "login-ip", address)

    def succeeded(self, username: str) -> None:
        self._strategy.clear(self._username, "login-user", username.lower())


def _csrf_refused(error: CSRFError) -> Response:
    return error_response("FORBIDDEN", f"CSRF check failed: {error.description}")


def init_app(app: Flask, storage: object) -> None:
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.login_view = "ui.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.session_protection = "strong"
    app.extensions["session_principal"] = session_principal
    app.extensions["login_throttle"] = LoginThrottle(storage)
    app.register_error_handler(CSRFError, _csrf_refused)
