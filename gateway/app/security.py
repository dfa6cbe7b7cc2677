"""Who is calling, and may they? API keys (header) or an operator's session; scopes; rate tiers."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import g, request

from gateway.app import context as app_context
from gateway.app.accounts import context as account_context
from gateway.app.accounts import scopes
from gateway.app.accounts.principal import Principal
from gateway.app.accounts.sessions import session_principal
from gateway.app.audit.service import Actor
from gateway.app.errors import Forbidden, Unauthorized
from gateway.app.extensions import db

F = TypeVar("F", bound=Callable[..., Any])


def presented_key() -> str | None:
    """The API key from `X-API-Key` or `Authorization: Bearer`, if any."""
    key = request.headers.get("X-API-Key")
    if key:
        return key.strip()
    authorization = request.headers.get("Authorization", "")
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def _principal_for_key(key: str) -> Principal | None:
    identity = account_context.keyring().authenticate(db.session, key)
    if identity is None:
        return None
    return Principal(
        actor=Actor("api_key", identity.id, identity.name),
        scopes=identity.scopes,
        plan=identity.plan,
        api_key_id=identity.id,
    )


def current_principal() -> Principal | None:
    """The authenticated caller of this request, resolved once."""
    if "principal" not in g:
        g.principal = None
        key = presented_key()
        if key:
            g.principal = _principal_for_key(key)
            if g.principal is None:
                raise Unauthorized("invalid or revoked API key")
        else:
            g.principal = session_principal()
    return g.principal


def require_principal() -> Principal:
    principal = current_principal()
    if principal is None:
        raise Unauthorized(
            "authentication required: send X-API-Key (or Authorization: Bearer)",
            headers={"WWW-Authenticate": 'Bearer realm="pod-gateway"'},
        )
    return principal


WRITE_METHODS = frozenset({"post", "put", "patch", "delete"})


def api_access(operation: str) -> Callable[[F], F]:
    """Decorate an API method as `operation` of `accounts.scopes.OPERATIONS`: authenticate, check
    its scope, count it against its rate tier. A writing method given `read` fails at import."""
    access = scopes.access_for(operation)

    def decorate(fn: F) -> F:
        if fn.__name__ in WRITE_METHODS and access.scope == "read":
            raise TypeError(f"{operation}: the read scope never changes anything ({fn.__name__})")

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            principal = require_principal()
            if access.scope not in principal.scopes and not principal.is_admin:
                raise Forbidden(
                    f"this operation needs the {access.scope!r} scope",
                    details={"required_scope": access.scope, "scopes": sorted(principal.scopes)},
                )
            limiter = app_context.rate_limiter()
            if app_context.settings().rate_limit_enabled:
                g.rate_state = limiter.hit(access.tier, principal.plan, principal.rate_identity)
            return fn(*args, **kwargs)

        wrapper.__access__ = access  # type: ignore[attr-defined]
        apidoc = getattr(fn, "__apidoc__", {})
        wrapper.__apidoc__ = {  # type: ignore[attr-defined]
            **apidoc,
            "security": [{"apikey": []}, {"bearer": []}],
            # `api.spec` turns these into the scope sentence, 401/403/429 and rate headers.
            "vendor": {
                **apidoc.get("vendor", {}),
                "x-required-scope": access.scope,
                "x-rate-tier": access.tier,
            },
        }
        return wrapper  # type: ignore[return-value]

    return decorate
