"""Operators in the browser: Flask-Login sessions, their API principal, and login throttling."""

from __future__ import annotations

from flask import Flask, Response, request
from flask_login import UserMixin, current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from limits import RateLimitItem, RateLimitItemPerMinute
from limits.storage import Storage
from limits.strategies import SlidingWindowCounterRateLimiter
from wtforms import ValidationError

from gateway.app.accounts.models import Operator
from gateway.app.accounts.principal import Principal
from gateway.app.accounts.service import ROLE_SCOPES
from gateway.app.audit.service import Actor
from gateway.app.errors import Forbidden, error_response
from gateway.app.extensions import db, login_manager

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
    """Failed logins slow down their own source, never the operator's other sessions.

    Counted in the rate limiter's shared store (Redis, or the machine's file), so every process
    sees the same numbers. Refused (429, no password check) while either is spent:
    - `per_pair` failures for one username from one address (guessing one account);
    - `per_address` failures from one address (spraying many accounts).
    Failures for one username from anywhere only add `slow_seconds` before each further attempt
    once `per_username` is reached: a distributed guesser is slowed, while the right password from
    another address still logs in. Windows are `minutes` long.
    """

    def __init__(
        self,
        storage: Storage,
        *,
        per_pair: int = 5,
        per_address: int = 20,
        per_username: int = 10,
        minutes: int = 15,
        slow_seconds: float = 1.0,
    ) -> None:
        self._strategy = SlidingWindowCounterRateLimiter(storage)
        self._pair = RateLimitItemPerMinute(per_pair, minutes)
        self._address = RateLimitItemPerMinute(per_address, minutes)
        self._username = RateLimitItemPerMinute(per_username, minutes)
        self.slow_seconds = slow_seconds

    def _counts(self, username: str, address: str) -> list[tuple[RateLimitItem, tuple[str, ...]]]:
        name = username.strip().lower()
        return [
            (self._pair, ("login-pair", name, address)),
            (self._address, ("login-address", address)),
            (self._username, ("login-user", name)),
        ]

    def blocked(self, username: str, address: str) -> bool:
        pair, by_address, _ = self._counts(username, address)
        return not all(self._strategy.test(item, *keys) for item, keys in (pair, by_address))

    def delay(self, username: str, address: str) -> float:
        """Seconds to wait before checking this attempt's password."""
        _, _, (item, keys) = self._counts(username, address)
        return 0.0 if self._strategy.test(item, *keys) else self.slow_seconds

    def failed(self, username: str, address: str) -> None:
        for item, keys in self._counts(username, address):
            self._strategy.hit(item, *keys)

    def succeeded(self, username: str, address: str) -> None:
        pair, _, _ = self._counts(username, address)
        self._strategy.clear(pair[0], *pair[1])


def _csrf_refused(error: CSRFError) -> Response:
    return error_response("FORBIDDEN", f"CSRF check failed: {error.description}")


def init_app(app: Flask, storage: Storage) -> None:
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.login_view = "ui.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.session_protection = "strong"
    app.extensions["login_throttle"] = LoginThrottle(storage)
    app.register_error_handler(CSRFError, _csrf_refused)
