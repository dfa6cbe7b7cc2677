"""One set of resources, two Swagger documents: what each operation answers, and how v2 differs.

The resources (in `api.v1`'s modules) serve both versions and document only what is theirs: their
models, parameters and the answers only they give. Everything an operation answers because of a
decorator or a rule shared by every operation is added here, when the document is rendered, so
each rule is written once: `security.api_access` marks the scope and rate tier (401, 403, 429 and
the rate-limit headers), an Idempotency-Key parameter brings its format, 409 and 422, parameters
bring 400, path parameters 404, bodies 413; every answer carries `X-Request-ID`.

Version differences are resolved here too: v2 lists are cursor pages, v2 errors are problem+json,
v2 requires Idempotency-Key where a retry must never run twice, and every v1 answer carries
`Deprecation`, `Sunset` and a `Link` to v2.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask_restx import Api, Namespace, fields

from gateway.app import context as app_context
from gateway.app.idempotency import MAX_KEY_LENGTH

CURSOR_ITEMS = "x-cursor-items"
IDEMPOTENCY_REQUIRED_IN_V2 = "x-idempotency-required-in-v2"
REQUIRED_SCOPE = "x-required-scope"
RATE_TIER = "x-rate-tier"
MAXIMUM_FROM_SETTING = "x-maximum-from-setting"
ENUM_FROM_SETTING = "x-enum-from-setting"
ASKS_PRINTIFY = "x-asks-printify"
FieldT = TypeVar("FieldT", bound=fields.Raw)

JSON = "application/json"
PROBLEM_JSON = "application/problem+json"
ERROR_MEDIA_TYPE = {1: JSON, 2: PROBLEM_JSON}

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
        "request_id": {"type": "string", "x-nullable": True},
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
# `idempotency.presented_key`: 1-MAX_KEY_LENGTH characters that `str.isprintable()` accepts, as a
# header carries them (Latin-1), surrounding spaces being no part of a header value.
_PRINTABLE = r"\x21-\x7e\xa1-\xac\xae-\xff"
IDEMPOTENCY_KEY_FORMAT = {
    "minLength": 1,
    "maxLength": MAX_KEY_LENGTH,
    "pattern": f"^[{_PRINTABLE}]([ {_PRINTABLE}]*[{_PRINTABLE}])?$",
}

ERRORS: dict[str, str] = {
    "400": "Invalid request: a parameter, header or body field breaks its rule "
    "(VALIDATION_ERROR, with one entry per field)",
    "401": "Missing, invalid or revoked API key (UNAUTHORIZED)",
    "403": "The key lacks this operation's scope (FORBIDDEN)",
    "404": "No such resource, or not yours (NOT_FOUND)",
    "409": "A conflicting state, or this Idempotency-Key's first request is still running "
    "(CONFLICT, INVALID_TRANSITION, IDEMPOTENCY_KEY_IN_USE)",
    "413": "Request body too large (FILE_TOO_LARGE)",
    "422": "This Idempotency-Key was used with a different request (IDEMPOTENCY_KEY_REUSED)",
    "429": "Rate limit of this operation's tier exceeded (RATE_LIMIT_EXCEEDED)",
    "502": "Printify refused the call this needed (EXTERNAL_SERVICE_ERROR)",
    "503": "Printify is not configured, unreachable, or the gateway's Printify budget is spent "
    "for now (SERVICE_UNAVAILABLE; see Retry-After)",
}
RATE_HEADERS: dict[str, dict[str, Any]] = {
    "X-RateLimit-Limit": {"type": "integer", "description": "requests per hour in this tier"},
    "X-RateLimit-Remaining": {"type": "integer", "description": "requests left in the window"},
    "X-RateLimit-Reset": {"type": "integer", "description": "Unix time the window resets"},
    "RateLimit-Policy": {"type": "string", "description": 'IETF draft, e.g. "read";q=1000;w=3600'},
    "RateLimit": {"type": "string", "description": 'IETF draft, e.g. "read";r=999;t=3600'},
}
RETRY_AFTER = {"type": "integer", "description": "seconds to wait before retrying"}
REQUEST_ID = {
    "type": "string",
    "x-required": True,
    "description": "the request's id (echoed from the request when given)",
}
V1_HEADERS: dict[str, dict[str, Any]] = {
    "Deprecation": {"type": "string", "x-required": True, "description": "RFC 9745: @<unix time>"},
    "Sunset": {"type": "string", "x-required": True, "description": "RFC 8594: HTTP date"},
    "Link": {"type": "string", "x-required": True, "description": "successor-version: v2"},
}


def with_schema(field: FieldT, **schema: Any) -> FieldT:
    """`field`, documented with Swagger keys its flask-restx class cannot express."""
    field.__dict__["__schema__"] = {**field.__schema__, **schema}
    return field


def nullable(field: FieldT) -> FieldT:
    """A field that may be null (Swagger 2.0 has no `null` type: `x-nullable`)."""
    return with_schema(field, **{"x-nullable": True})


def maximum_from_setting(field: FieldT, setting: str) -> FieldT:
    """A field whose maximum (or maxLength) is the deployment's `setting`, filled in per app."""
    return with_schema(field, **{MAXIMUM_FROM_SETTING: setting})


def enum_from_setting(field: FieldT, setting: str) -> FieldT:
    """A field whose choices are the deployment's `setting` (a list), filled in per app."""
    return with_schema(field, **{ENUM_FROM_SETTING: setting})


def cursor_paged(ns: Namespace, item_model: str) -> Callable[[Any], Any]:
    """Mark a list operation: v1 pages by `page`, v2 answers `{items: [item_model], next_cursor}`."""
    return ns.vendor({CURSOR_ITEMS: item_model})


def asks_printify(ns: Namespace) -> Callable[[Any], Any]:
    """Mark an operation that may have to ask Printify (the catalog, a template's check): it
    documents 502 and 503, the answers `publishing.catalog` gives when Printify cannot."""
    return ns.vendor({ASKS_PRINTIFY: True})


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


def _error_codes(operation: dict[str, Any]) -> set[str]:
    """The errors an operation answers because of its decorators and parameters (the markers
    that say so are taken out: they are no part of the published document)."""
    parameters = operation.get("parameters", [])
    where = {parameter["in"] for parameter in parameters}
    codes: set[str] = set()
    if REQUIRED_SCOPE in operation:
        codes |= {"401", "403", "429"}
    if where - {"path"}:
        codes.add("400")
    if "path" in where:
        codes.add("404")
    if where & {"body", "formData"}:
        codes.add("413")
    if any(parameter["name"] == "Idempotency-Key" for parameter in parameters):
        codes |= {"409", "422"}
    if operation.pop(ASKS_PRINTIFY, False):
        codes |= {"502", "503"}
    return codes


def _describe_access(operation: dict[str, Any]) -> None:
    scope, tier = operation.get(REQUIRED_SCOPE), operation.get(RATE_TIER)
    if scope is None:
        return
    sentence = (
        f"Requires the `{scope}` scope (an `admin` key may call anything); "
        f"counts against the `{tier}` rate tier."
    )
    operation["description"] = "\n\n".join(filter(None, [operation.get("description"), sentence]))


def _headers_for(status: str, operation: dict[str, Any], api_version: int) -> dict[str, Any]:
    headers: dict[str, Any] = {"X-Request-ID": REQUEST_ID}
    if api_version == 1:
        headers.update(V1_HEADERS)
    if RATE_TIER in operation and status not in {"401", "403"}:
        headers.update(RATE_HEADERS)
    if status in {"429", "503"}:
        headers["Retry-After"] = {**RETRY_AFTER, "x-required": True}
    elif status == "409":
        headers["Retry-After"] = {**RETRY_AFTER, "description": "IDEMPOTENCY_KEY_IN_USE: 1"}
    return headers


def _complete(operation: dict[str, Any], api_version: int) -> None:
    """Add the shared errors, headers, media types, parameter formats and the scope sentence."""
    error_schema = {"$ref": "#/definitions/Problem" if api_version == 2 else "#/definitions/Error"}
    responses = operation["responses"]
    for status in sorted(_error_codes(operation)):
        responses.setdefault(status, {"description": ERRORS[status], "schema": error_schema})
    for status, response in responses.items():
        headers = _headers_for(status, operation, api_version)
        response["headers"] = {**headers, **response.get("headers", {})}
    for parameter in operation.get("parameters", []):
        if parameter["name"] == "Idempotency-Key":
            parameter.update(IDEMPOTENCY_KEY_FORMAT)
    produces = [t for t in operation.get("produces", [JSON]) if t != JSON] or [JSON]
    operation["produces"] = list(dict.fromkeys([*produces, ERROR_MEDIA_TYPE[api_version]]))
    _describe_access(operation)


def _fill_settings(node: Any, settings: Any) -> None:
    """Replace each `x-maximum-from-setting` and `x-enum-from-setting` mark with the deployment's
    value; a default above a maximum becomes the largest value allowed (as the validator's does)."""
    if isinstance(node, dict):
        setting = node.pop(MAXIMUM_FROM_SETTING, None)
        if setting is not None:
            key = "maxLength" if node.get("type") == "string" else "maximum"
            node[key] = maximum = getattr(settings, setting)
            if key == "maximum" and node.get("default", 0) > maximum:
                step = node.get("multipleOf", 1)
                node["default"] = maximum // step * step
        setting = node.pop(ENUM_FROM_SETTING, None)
        if setting is not None:
            node["enum"] = list(getattr(settings, setting))
        for value in node.values():
            _fill_settings(value, settings)
    elif isinstance(node, list):
        for value in node:
            _fill_settings(value, settings)


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
            shared = operations.pop("parameters", [])
            for operation in operations.values():
                if not isinstance(operation, dict) or "responses" not in operation:
                    continue
                operation["parameters"] = [*shared, *operation.get("parameters", [])]
                item_model = operation.pop(CURSOR_ITEMS, None)
                idempotency = operation.pop(IDEMPOTENCY_REQUIRED_IN_V2, False)
                if self.api_version == 2:
                    _as_v2(operation, item_model, idempotency)
                _complete(operation, self.api_version)
        if self.api_version == 2:
            schema.setdefault("definitions", {})["Problem"] = PROBLEM
        _fill_settings(schema, app_context.settings())
