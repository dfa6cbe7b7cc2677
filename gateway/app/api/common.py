"""Helpers every API version uses: the JSON body, absolute URLs, pages and query parameters, and
the Idempotency-Key a call honours and documents."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from flask import Response, current_app, make_response, request
from flask_restx import Model, Namespace

from gateway.app import context as app_context
from gateway.app import json_text, pagination
from gateway.app import validation as v
from gateway.app.api import spec
from gateway.app.errors import ValidationFailed
from gateway.app.extensions import db
from gateway.app.idempotency import idempotent
from gateway.app.query_args import int_arg

F = TypeVar("F", bound=Callable[..., Any])

AUTHORIZATIONS = {
    "apikey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
    "bearer": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "Bearer <key>",
    },
}
IDEMPOTENCY_HEADER = {
    "Idempotency-Key": {
        "in": "header",
        "type": "string",
        "required": False,
        "description": "Replays the first response for 24 h instead of doing the work again",
    }
}


def idempotent_call(
    ns: Namespace, *, required_in_v2: bool = False, params: Mapping[str, Any] | None = None
) -> Callable[[F], F]:
    """Make a method honour Idempotency-Key and document the header with it, so the two never
    part; `required_in_v2` for a call v2 refuses without one, `params` for the method's other
    parameters (listed before the header).

    It goes last, under `security.api_access`: a replay is looked up for the authenticated key.
    """
    header = (
        spec.idempotency_required_in_v2(ns) if required_in_v2 else ns.doc(params=IDEMPOTENCY_HEADER)
    )

    def decorate(fn: F) -> F:
        handled = idempotent(required_in_v2=required_in_v2)(fn)
        if params:
            handled = ns.doc(params=dict(params))(handled)
        return header(handled)

    return decorate


def json_body() -> Any:
    """The parsed JSON body; a clear 400 for a missing or malformed one."""
    if not request.data:
        raise ValidationFailed("a JSON body is required", {"body": "is required"})
    if not request.is_json:
        raise ValidationFailed(
            "send the body as application/json", {"body": "Content-Type must be application/json"}
        )
    body = request.get_json(silent=True)
    if body is None:
        raise ValidationFailed("the body is not valid JSON", {"body": "is not valid JSON"})
    return body


def optional_json_body() -> Any:
    return json_body() if request.data else {}


def body_of(model: Model, *, optional: bool = False) -> Mapping[str, Any]:
    """The JSON object body, holding only fields `model` documents (a 400 names any other)."""
    body = v.require_object(optional_json_body() if optional else json_body())
    v.refuse_unknown(body, set(model.resolved))
    return body


def output_json(data: Any, code: int, headers: Mapping[str, str] | None = None) -> Response:
    """flask-restx's JSON answer (the same text), writing `RawJSON` values as they are."""
    options = dict(current_app.config.get("RESTX_JSON", {}))
    if current_app.debug:
        options.setdefault("indent", 4)
    response = make_response(json_text.dumps(data, **options) + "\n", code)
    response.headers.extend(headers or {})
    return response


def base_url() -> str:
    return app_context.settings().resolved_base_url


def page_size() -> int:
    """The `limit` query parameter: items per page."""
    return int_arg("limit", pagination.PAGE_SIZE, minimum=1, maximum=pagination.MAX_PAGE_SIZE)


def page_number() -> int:
    """v1's `page` query parameter, 1-based."""
    return int_arg("page", 1, minimum=1, maximum=pagination.MAX_PAGE)


def end_transaction() -> None:
    """Commit the request's session before a slow outside call (Printify's catalog): on SQLite
    an open transaction holds the database's write lock for its whole duration."""
    db.session.commit()
