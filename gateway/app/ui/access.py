"""Who may see a page: logged in, with the scope an action needs."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import redirect, request, url_for
from flask_login import current_user

from gateway.app.errors import Forbidden

F = TypeVar("F", bound=Callable[..., Any])


def ui_access(scope: str = "read") -> Callable[[F], F]:
    """Anonymous visitors go to the login page; operators without `scope` get a 403 page."""

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return redirect(url_for("ui.login", next=request.full_path.rstrip("?")))
            if not current_user.can(scope):
                raise Forbidden(f"your role ({current_user.role}) may not do this ({scope})")
            return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
