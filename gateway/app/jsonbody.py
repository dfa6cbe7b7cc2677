"""Refuse JSON bodies that no handler could use, before any handler reads them.

Python's parser recurses once per nesting level (a deep enough body is a RecursionError), accepts
`NaN` and `Infinity` (not JSON, and not storable in a JSON column), and decodes `"\\ud800"` to a
lone surrogate that no encoder takes, ours or the database's; PostgreSQL text cannot hold NUL
either. Each of these reached some handler, or the idempotency fingerprint ahead of it, as a 500.
One check ahead of every view answers them all with the documented 400, and the app's JSON
provider parses by the same rule wherever a body is read.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider

from gateway.app.errors import ValidationFailed

# Our deepest body (a template's variants and their fields) nests 3 levels; 32 leaves room.
MAX_JSON_DEPTH = 32


class UnacceptableJSON(ValueError):
    """Well-formed enough to parse, but refused: too deep, a non-finite number, or a bad string."""


def _refuse_constant(name: str) -> float:
    raise UnacceptableJSON(f"{name} is not a JSON number")


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _bad_string(text: str) -> str | None:
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return "strings must not contain NUL (\\u0000)"
    return "strings must not contain lone surrogates (\\ud800-\\udfff)"


def _check_tree(value: Any) -> None:
    """Walk the parsed value without recursion: depth, then every key and string."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth >= MAX_JSON_DEPTH:
                raise UnacceptableJSON(f"nested deeper than {MAX_JSON_DEPTH} levels")
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
        elif isinstance(item, str) and (problem := _bad_string(item)):
            raise UnacceptableJSON(problem)


def loads(data: str | bytes) -> Any:
    """Parse JSON by the gateway's rule; UnacceptableJSON for a body that parses but is refused,
    ValueError for one that does not parse at all."""
    try:
        value = json.loads(data, parse_constant=_refuse_constant)
    except RecursionError:
        raise UnacceptableJSON(f"nested deeper than {MAX_JSON_DEPTH} levels") from None
    _check_tree(value)
    return value


class GatewayJSONProvider(DefaultJSONProvider):
    """Flask's JSON, parsing request bodies with `loads` above."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads(s)


def refuse_unacceptable_body() -> None:
    """400 for a JSON body `loads` refuses; a malformed one is left to the view, which says so."""
    if not request.is_json:
        return
    data = request.get_data(cache=True)
    if not data:
        return
    try:
        loads(data)
    except UnacceptableJSON as error:
        raise ValidationFailed(f"the JSON body is refused: {error}", {"body": str(error)}) from None
    except ValueError:
        return


def init_app(app: Flask) -> None:
    app.json = GatewayJSONProvider(app)
    app.before_request(refuse_unacceptable_body)
