"""Schemathesis hooks for the contract test (loaded through SCHEMATHESIS_HOOKS).

Two request values are the server's own and cannot be fuzzed into validity: an Idempotency-Key
that an earlier, different request already used (its 422 is the right answer), and a `cursor`
(an opaque token the server hands out). Valid keys are made unique; generated cursors are dropped.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import schemathesis

from gateway.app.api.spec import IDEMPOTENCY_KEY_FORMAT

VALID_KEY = re.compile(IDEMPOTENCY_KEY_FORMAT["pattern"])


@schemathesis.hook
def before_call(context: schemathesis.HookContext, case: schemathesis.Case, kwargs: Any) -> None:
    """Give each valid Idempotency-Key a fresh value; drop a generated cursor."""
    key = (case.headers or {}).get("Idempotency-Key")
    if isinstance(key, str) and VALID_KEY.match(key) and len(key) <= 255:
        case.headers["Idempotency-Key"] = uuid.uuid4().hex
    if case.query and "cursor" in case.query:
        del case.query["cursor"]
