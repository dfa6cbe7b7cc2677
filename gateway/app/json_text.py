"""JSON text passed through unparsed, from JSON columns into outbox payloads and API answers.

Announcing 10,000 images as the API shows them would otherwise parse each image's JSON columns
(params, tags, its quality report) only to serialize them again for the outbox: half the time of
a batch; a page of the image list spent a third of its time the same way. A `RawJSON` value is
text that already is JSON; `dumps` writes it as is, wherever it sits in the value.
"""

from __future__ import annotations

import json
import secrets
from itertools import chain
from typing import Any

import orjson
from sqlalchemy import JSON, ColumnElement, Text, cast, type_coerce
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.types import TypeDecorator


class RawJSON:
    """Text that is already a JSON document (not a `str`, which `json` would quote)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"RawJSON({self.text!r})"


class _RawJSONText(TypeDecorator[RawJSON]):
    impl = Text
    cache_ok = True

    def process_result_value(self, value: str | None, dialect: Any) -> RawJSON | None:
        return None if value is None else RawJSON(value)


def unparsed(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """`column` read as `RawJSON` text when it is a JSON column, else as it is."""
    if not isinstance(column.type, JSON):
        return column
    return type_coerce(cast(column, Text), _RawJSONText()).label(column.key)


# What the encoder writes in a `RawJSON` value's place, then replaced by its text: a NUL and a
# per-process random token, which no stored string holds.
_PLACEHOLDER = f"\x00raw-json-{secrets.token_hex(8)}"
_ENCODED_PLACEHOLDER = json.dumps(_PLACEHOLDER)


def dumps(data: Any, **options: Any) -> str:
    """`data` as JSON text, with `RawJSON` values, at any depth, written verbatim.

    orjson writes it (a page of 50 images in a fifth of the standard encoder's time), each
    `RawJSON` as a fragment; what orjson refuses (integers beyond 64 bits, keys that are not
    strings) and any formatting option (`indent`) go to the standard encoder.
    """
    if not options:
        try:
            return orjson.dumps(data, default=_fragment).decode()
        except TypeError:
            pass
    return _standard_dumps(data, **options)


def _fragment(value: Any) -> orjson.Fragment:
    if not isinstance(value, RawJSON):
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
    return orjson.Fragment(value.text)


def _standard_dumps(data: Any, **options: Any) -> str:
    """`json.dumps(data, **options)` with `RawJSON` values written verbatim.

    The C encoder asks `default` for each `RawJSON` in document order, so the placeholders it
    writes split the text into the pieces the raw texts go between.
    """
    texts: list[str] = []

    def placeholder(value: Any) -> str:
        if not isinstance(value, RawJSON):
            raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
        texts.append(value.text)
        return _PLACEHOLDER

    encoded = json.dumps(data, default=placeholder, **options)
    if not texts:
        return encoded
    pieces = encoded.split(_ENCODED_PLACEHOLDER)
    return "".join(chain.from_iterable(zip(pieces, texts, strict=False))) + pieces[-1]


class AsJSON(FunctionElement[Any]):
    """A bound JSON text stored into a JSON column without being serialized again."""

    type = JSON()
    name = "as_json"
    inherit_cache = True


@compiles(AsJSON)
def _as_json_sqlite(element: AsJSON, compiler: Any, **kw: Any) -> str:
    """SQLite keeps JSON as text: the text itself (a CAST would coerce it to a number)."""
    return compiler.process(element.clauses, **kw)


@compiles(AsJSON, "postgresql")
def _as_json_postgresql(element: AsJSON, compiler: Any, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS JSON)"
