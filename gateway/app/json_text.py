"""JSON text passed through unparsed, from a bulk read's JSON columns into outbox payloads.

Announcing 10,000 images as the API shows them would otherwise parse each image's JSON columns
(params, tags, its quality report) only to serialize them again for the outbox: half the time of
a batch. A `RawJSON` value is text that already is JSON; `dumps` writes it as is.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from sqlalchemy import JSON, ColumnElement, Text, cast, type_coerce
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.types import TypeDecorator


class RawJSON(str):
    """Text that is already a JSON document."""


class _RawJSONText(TypeDecorator[str]):
    impl = Text
    cache_ok = True

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else RawJSON(value)


def unparsed(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """`column` read as `RawJSON` text when it is a JSON column, else as it is."""
    if not isinstance(column.type, JSON):
        return column
    return type_coerce(cast(column, Text), _RawJSONText()).label(column.key)


@functools.lru_cache(maxsize=256)
def _encoded_key(key: str) -> str:
    return json.dumps(key)


def dumps(data: dict[str, Any]) -> str:
    """`json.dumps(data)`, with top-level `RawJSON` values written verbatim (after the others)."""
    plain: dict[str, Any] = {}
    raw: list[str] = []
    for key, value in data.items():
        if isinstance(value, RawJSON):
            raw.append(f"{_encoded_key(key)}: {value}")
        else:
            plain[key] = value
    if not raw:
        return json.dumps(plain)
    if plain:
        raw.insert(0, json.dumps(plain)[1:-1])
    return "{" + ", ".join(raw) + "}"


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
