"""Query-string parameters parsed one way for the API and the review UI alike."""

from __future__ import annotations

from flask import request

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


def bool_arg(name: str) -> bool | None:
    """The true/false query parameter `name`; None when absent or empty."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if raw.lower() in {"1", "true", "yes"}:
        return True
    if raw.lower() in {"0", "false", "no"}:
        return False
    raise ValidationFailed(f"{name} must be true or false", {name: "must be true or false"})
