"""Query-string parameters parsed one way for the API and the review UI alike.

A typed parameter that is present must hold a value of its type: an empty `?status=` is
refused, not read as "any", because the OpenAPI document types it (boolean, enum) and a
client that sends an empty value has a bug worth hearing about. The review UI's filter
forms submit "any" as an empty value, so they alone pass `empty_means_any=True`.
"""

from __future__ import annotations

from flask import request

from gateway.app import validation as v
from gateway.app.errors import ValidationFailed


def int_arg(name: str, default: int, *, minimum: int, maximum: int) -> int:
    """The integer query parameter `name`, `default` when absent (an empty value is refused)."""
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationFailed(f"{name} must be an integer", {name: "must be an integer"}) from None
    if not minimum <= value <= maximum:
        raise ValidationFailed(
            f"{name} must be between {minimum} and {maximum}",
            {name: f"must be between {minimum} and {maximum}"},
        )
    return value


def bool_arg(name: str, *, empty_means_any: bool = False) -> bool | None:
    """The true/false query parameter `name`; None when absent (or empty, if so allowed)."""
    raw = request.args.get(name)
    if raw is None or (raw == "" and empty_means_any):
        return None
    if raw.lower() in {"1", "true", "yes"}:
        return True
    if raw.lower() in {"0", "false", "no"}:
        return False
    raise ValidationFailed(f"{name} must be true or false", {name: "must be true or false"})


def choice_arg(
    name: str, options: tuple[str, ...] | list[str], default: str | None = None
) -> str | None:
    """The query parameter `name`, one of `options`; `default` when absent."""
    raw = request.args.get(name)
    if raw is None:
        return default
    return v.choice(raw, name, options)
