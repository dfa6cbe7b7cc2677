"""Schemathesis hooks for the contract test (loaded through SCHEMATHESIS_HOOKS).

Three request values cannot be fuzzed into validity: an Idempotency-Key that an earlier, different
request already used (its 422 is the right answer), a `cursor` (an opaque token the server hands
out), and an uploaded file's content (an image, which Swagger 2.0 can only call `file`). Valid keys
are made unique, generated cursors are dropped, and a schema-valid upload carries a real PNG
(negative cases keep their random bytes, which the gateway must refuse with a 4xx).

Two kinds of generated request are dropped, as they never reach the API as generated: a multipart
field given a non-string value (on the wire every part is text: `false` arrives as the valid
string "false"), and a request line longer than gunicorn's `limit_request_line` (gunicorn answers
414 itself, before the gateway sees the request).
"""

from __future__ import annotations

import io
import re
import uuid
from typing import Any

import requests
import schemathesis
from PIL import Image
from schemathesis.core.parameters import ParameterLocation
from schemathesis.transport.serialization import Binary

from gateway.app.api.spec import IDEMPOTENCY_KEY_FORMAT

VALID_KEY = re.compile(IDEMPOTENCY_KEY_FORMAT["pattern"])


def _png(size: int = 64) -> bytes:
    """A small opaque PNG: large enough to edit, small enough to upload quickly."""
    out = io.BytesIO()
    Image.new("RGB", (size, size), (200, 120, 40)).save(out, format="PNG")
    return out.getvalue()


# `Binary` is how schemathesis holds a file's bytes (a `file` is a string to JSON Schema).
PNG = Binary(_png())


@schemathesis.hook
def before_call(context: schemathesis.HookContext, case: schemathesis.Case, kwargs: Any) -> None:
    """Give each valid Idempotency-Key a fresh value; drop a generated cursor."""
    key = (case.headers or {}).get("Idempotency-Key")
    if isinstance(key, str) and VALID_KEY.match(key) and len(key) <= 255:
        case.headers["Idempotency-Key"] = uuid.uuid4().hex
    if case.query and "cursor" in case.query:
        del case.query["cursor"]


@schemathesis.hook
def map_case(context: schemathesis.HookContext, case: schemathesis.Case) -> schemathesis.Case:
    """Upload a real image where the body is meant to be valid (done as the case is made: an edit
    in `before_call` would have schemathesis re-check the body, and it cannot check a file)."""
    negative_body = case.meta is not None and case.meta.is_negative_at(ParameterLocation.BODY)
    if (
        not negative_body
        and isinstance(case.body, dict)
        and isinstance(case.body.get("file"), Binary)
    ):
        case.body["file"] = PNG
    return case


# gunicorn's default `limit_request_line`, less room for the method and the protocol version.
MAX_REQUEST_TARGET = 4094 - len("DELETE  HTTP/1.1")


def _sent_as_one_text_part(value: object) -> bool:
    """Whether a multipart value is sent as a single text part (a list is one part per item)."""
    return not isinstance(value, list) or len(value) < 2


@schemathesis.hook
def filter_case(context: schemathesis.HookContext, case: schemathesis.Case) -> bool:
    """Keep only requests that reach the gateway as generated (see the module's docstring)."""
    if (
        case.meta is not None
        and case.meta.is_negative_at(ParameterLocation.BODY)
        and (case.media_type or "").startswith("multipart/form-data")
        and isinstance(case.body, dict)
        and any(
            not isinstance(value, str) and _sent_as_one_text_part(value)
            for name, value in case.body.items()
            if name != "file"
        )
    ):
        return False
    target = requests.Request("GET", f"http://gateway{case.formatted_path}", params=case.query)
    return len(target.prepare().path_url) <= MAX_REQUEST_TARGET
