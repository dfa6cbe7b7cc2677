"""Helpers every API version uses: the JSON body, absolute URLs, pages and query parameters."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from flask import Response, current_app, make_response, request
from flask_restx import Model

from gateway.app import context as app_context
from gateway.app import json_text, pagination, versioning
from gateway.app import validation as v
from gateway.app.errors import ValidationFailed
from gateway.app.extensions import db
from gateway.app.generation import context as generation_context
from gateway.app.generation.context import GenerationContext
from gateway.app.pagination import Keyset
from gateway.app.query_args import bool_arg as bool_arg
from gateway.app.query_args import int_arg
from gateway.app.settings import Settings

AUTHORIZATIONS = {
    "apikey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
    "bearer": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "Bearer <key>",
    },
}


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


def settings() -> Settings:
    return app_context.settings()


def generation() -> GenerationContext:
    return generation_context.current()


def enqueue_generation(job_id: str) -> None:
    generation_context.enqueue(job_id)


def base_url() -> str:
    return app_context.settings().resolved_base_url


def api_url(path: str) -> str:
    """An absolute URL to `path` in the API version this request speaks."""
    version = 2 if versioning.is_v2() else 1
    return f"{base_url()}/api/v{version}{path}"


def cursor_page(
    keyset: Keyset,
    statement: Any,
    present: Callable[[Sequence[Any]], list[Any]],
    *,
    rows: bool = False,
) -> dict[str, Any]:
    """v2's list answer: `{items, next_cursor}` for `?limit=&cursor=` over `statement` (a
    select of columns with `rows`: see `Keyset.page`)."""
    if "page" in request.args:
        raise ValidationFailed(
            "v2 pages with cursor, not page", {"page": "use cursor (next_cursor of a page)"}
        )
    limit = page_size()
    found, next_cursor = keyset.page(
        db.session, statement, limit=limit, cursor=request.args.get("cursor") or None, rows=rows
    )
    return {"items": present(found), "next_cursor": next_cursor}


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
