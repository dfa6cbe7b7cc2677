"""One set of resources, two Swagger documents: what v2 documents differently from v1.

The resources (in `api.v1`'s modules) serve both versions; the few rules that differ are marked on
an operation with a vendor extension, and each version's document resolves the marks when it is
rendered: v2 lists are cursor pages, v2 errors are problem+json, and v2 requires Idempotency-Key
where a retry must never run twice. v1's document shows the marks resolved the v1 way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_restx import Api, Namespace

CURSOR_ITEMS = "x-cursor-items"
IDEMPOTENCY_REQUIRED_IN_V2 = "x-idempotency-required-in-v2"

PROBLEM = {
    "type": "object",
    "description": "RFC 9457 problem details (application/problem+json)",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string", "description": "a URI naming the error code"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string", "description": "what went wrong, for a human"},
        "instance": {"type": "string", "description": "the request path"},
        "code": {"type": "string", "example": "VALIDATION_ERROR"},
        "request_id": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "one entry per invalid field",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
        "details": {"type": "object"},
    },
}
CURSOR_PARAM = {
    "name": "cursor",
    "in": "query",
    "type": "string",
    "description": "`next_cursor` of the previous page; omit for the first page",
}


def cursor_paged(ns: Namespace, item_model: str) -> Callable[[Any], Any]:
    """Mark a list operation: v1 pages by `page`, v2 answers `{items: [item_model], next_cursor}`."""
    return ns.vendor({CURSOR_ITEMS: item_model})


def idempotency_required_in_v2(ns: Namespace) -> Callable[[Any], Any]:
    """Document the Idempotency-Key header of a call v2 refuses without one (the handler enforces
    it with `idempotent(required_in_v2=True)`)."""
    header = {
        "in": "header",
        "type": "string",
        "required": False,
        "description": "Required in v2 (400 without it), optional in v1: replays the first "
        "response for 24 h instead of doing the work again",
    }
    return ns.doc(params={"Idempotency-Key": header}, vendor={IDEMPOTENCY_REQUIRED_IN_V2: True})


def _cursor_page(item_model: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["items", "next_cursor"],
        "properties": {
            "items": {"type": "array", "items": {"$ref": f"#/definitions/{item_model}"}},
            "next_cursor": {
                "type": "string",
                "x-nullable": True,
                "description": "pass as `cursor` for the next page; null on the last page",
            },
        },
    }


def _as_v2(operation: dict[str, Any], item_model: str | None, idempotency: bool) -> None:
    parameters = operation.get("parameters", [])
    if item_model:
        operation["responses"]["200"]["schema"] = _cursor_page(item_model)
        parameters = [p for p in parameters if p.get("name") != "page"] + [CURSOR_PARAM]
    if idempotency:
        for parameter in parameters:
            if parameter.get("name") == "Idempotency-Key":
                parameter["required"] = True
    operation["parameters"] = parameters
    for response in operation.get("responses", {}).values():
        if response.get("schema") == {"$ref": "#/definitions/Error"}:
            response["schema"] = {"$ref": "#/definitions/Problem"}


class VersionedApi(Api):
    """A flask-restx Api whose Swagger document resolves the version marks for `api_version`."""

    def __init__(self, *args: Any, api_version: int, **kwargs: Any) -> None:
        self.api_version = api_version
        self._resolved = False
        super().__init__(*args, **kwargs)

    @property
    def __schema__(self) -> dict[str, Any]:
        schema = super().__schema__
        if not self._resolved and "paths" in schema:
            self._resolve(schema)
            self._resolved = True
        return schema

    def _resolve(self, schema: dict[str, Any]) -> None:
        for operations in schema["paths"].values():
            for operation in operations.values():
                if not isinstance(operation, dict) or "responses" not in operation:
                    continue
                item_model = operation.pop(CURSOR_ITEMS, None)
                idempotency = operation.pop(IDEMPOTENCY_REQUIRED_IN_V2, False)
                if self.api_version == 2:
                    _as_v2(operation, item_model, idempotency)
        if self.api_version == 2:
            schema.setdefault("definitions", {})["Problem"] = PROBLEM
