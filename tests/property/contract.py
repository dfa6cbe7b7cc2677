"""What every answer to hostile input must look like (contract section 6), and the inputs."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st
from werkzeug.test import TestResponse

V1_ERROR_KEYS = {"error", "code", "details", "request_id"}
V2_ERROR_KEYS = {"type", "title", "status", "detail", "instance", "code", "request_id"}

# Strings at the edges: empty, NUL, a lone surrogate, bidi override, markup, long, dates at the
# ends of the calendar, numbers no column holds.
EDGE_STRINGS = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "\u202e",
    "\ufeff",
    "🙂" * 300,
    "x" * 100_000,
    "<script>alert(1)</script>",
    "0001-01-01",
    "9999-12-31",
    "0000-00-00",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "NaN",
    "-Infinity",
    "1e309",
    "-1",
    "0",
    str(2**63),
    "9" * 5000,
    "true",
    "%00",
    "../../etc/passwd",
]
EDGE_NUMBERS: list[int | float] = [
    0,
    -1,
    2**31,
    2**63 - 1,
    2**63,
    -(2**63) - 1,
    10**100,
    1e308,
    -1e308,
    5e-324,
    0.1,
]

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from(EDGE_NUMBERS),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    st.sampled_from(EDGE_STRINGS),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.one_of(st.text(max_size=10), st.sampled_from(EDGE_STRINGS)), children, max_size=4
        ),
    ),
    max_leaves=12,
)


def nested(depth: int, *, objects: bool) -> str:
    """JSON text nested `depth` levels deep, as arrays or as objects."""
    if objects:
        return '{"a":' * depth + "1" + "}" * depth
    return "[" * depth + "]" * depth


# Bodies that are not JSON values Python's json module writes: non-finite numbers, huge numbers,
# deep nesting (past the recursion limit too), truncated or non-UTF-8 text.
raw_bodies = st.one_of(
    st.sampled_from(
        [
            "NaN",
            '{"prompt": NaN}',
            '{"seed": Infinity}',
            '{"width": -Infinity}',
            '{"seed": 1e400}',
            '{"seed": ' + "9" * 4000 + "}",
            '{"a": 1',
            '"\\ud800"',
            '{"\\u0000": 1}',
            "\xff\xfe",
            "",
            "null",
        ]
    ),
    st.builds(nested, st.integers(1, 5000), objects=st.booleans()),
    st.builds(nested, st.just(200_000), objects=st.booleans()),
)


def body_for(base: dict[str, Any]) -> st.SearchStrategy[str]:
    """JSON text for an endpoint whose valid body is `base`: any JSON value at all, `base` with
    one field (known or not) set to an edge value, or a raw body Python would not write."""
    names = [*sorted(base), "unknown", "image_ids", "prompt", "template_id"]
    one_field = st.tuples(st.sampled_from(names), json_values).map(
        lambda pair: json.dumps({**base, pair[0]: pair[1]})
    )
    return st.one_of(json_values.map(json.dumps), one_field, raw_bodies)


def _aware_datetimes() -> st.SearchStrategy[datetime]:
    zones = st.sampled_from([UTC, timezone(timedelta(hours=14)), timezone(-timedelta(hours=14))])
    return st.datetimes(timezones=zones)


def _token(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode("utf-8", "surrogatepass")).decode().rstrip("=")


# Cursors as we hand them out (base64 of "key|id"), with keys and ids at their edges.
cursor_tokens = st.builds(
    lambda key, row_id: _token(f"{key}|{row_id}"),
    st.one_of(
        _aware_datetimes().map(datetime.isoformat),
        st.datetimes().map(datetime.isoformat),
        st.integers().map(str),
        st.sampled_from(EDGE_STRINGS),
    ),
    st.one_of(st.text(max_size=70), st.sampled_from(EDGE_STRINGS)),
)
query_values = st.one_of(
    st.text(max_size=40),
    st.sampled_from(EDGE_STRINGS),
    st.integers().map(str),
    st.dates().map(lambda day: day.isoformat()),
    _aware_datetimes().map(datetime.isoformat),
    cursor_tokens,
)


def assert_documented(response: TestResponse, *, api: bool) -> None:
    """Never a 5xx; an API error carries the documented v1 or v2 (problem+json) shape."""
    body = response.get_data()
    assert response.status_code < 500, f"{response.status_code}: {body[:500]}"
    assert response.headers.get("X-Request-ID")
    if not api or response.status_code < 400:
        return
    if response.mimetype == "application/problem+json":
        assert set(response.get_json()) >= V2_ERROR_KEYS, body[:500]
    else:
        assert response.mimetype == "application/json", response.mimetype
        assert set(response.get_json()) >= V1_ERROR_KEYS, body[:500]
