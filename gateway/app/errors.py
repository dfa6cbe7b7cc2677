"""Error codes, the domain errors that carry them, and the one place they become responses.

Services raise `GatewayError` subclasses and know nothing of HTTP; `init_app` installs the handler that
answers the API with the documented envelope (v1 JSON, v2 RFC 9457 problem+json) and the browser with
an HTML page.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import Flask, Response, g, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from gateway.app import versioning
from gateway.app.imaging.validation import ImageRejected

log = logging.getLogger(__name__)

STATUS_BY_CODE: dict[str, int] = {
    "VALIDATION_ERROR": 400,
    "UNAUTHORIZED": 401,
    "FORBIDDEN": 403,
    "NOT_FOUND": 404,
    "METHOD_NOT_ALLOWED": 405,
    "INVALID_TRANSITION": 409,
    "CONFLICT": 409,
    "IDEMPOTENCY_KEY_IN_USE": 409,
    "IP_RISK": 409,
    "FILE_TOO_LARGE": 413,
    "UNSUPPORTED_MEDIA_TYPE": 415,
    "IDEMPOTENCY_KEY_REUSED": 422,
    "RATE_LIMIT_EXCEEDED": 429,
    "QUOTA_EXCEEDED": 429,
    "INTERNAL_ERROR": 500,
    "EXTERNAL_SERVICE_ERROR": 502,
    "SERVICE_UNAVAILABLE": 503,
    "TIMEOUT": 504,
}

TITLE_BY_CODE: dict[str, str] = {
    code: code.replace("_", " ").capitalize() for code in STATUS_BY_CODE
}


class GatewayError(Exception):
    """A failure with a documented code; `details` is extra machine-readable context."""

    code = "INTERNAL_ERROR"

    def __init__(
        self,
        message: str,
        *,
        details: dict[str, Any] | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}
        self.headers = headers or {}
        if code:
            self.code = code

    @property
    def status(self) -> int:
        return STATUS_BY_CODE.get(self.code, 500)


class ValidationFailed(GatewayError):
    """Input refused; `field_errors` maps each bad field to its message."""

    code = "VALIDATION_ERROR"

    def __init__(self, message: str, field_errors: dict[str, str] | None = None) -> None:
        self.field_errors = field_errors or {}
        super().__init__(message, details={"fields": self.field_errors} if field_errors else None)


class Unauthorized(GatewayError):
    code = "UNAUTHORIZED"


class Forbidden(GatewayError):
    code = "FORBIDDEN"


class NotFound(GatewayError):
    code = "NOT_FOUND"


class Conflict(GatewayError):
    code = "CONFLICT"


class InvalidTransition(GatewayError):
    code = "INVALID_TRANSITION"


class IpRisk(GatewayError):
    """Publishing a design the IP-risk screen flagged, without acknowledging it."""

    code = "IP_RISK"


class ServiceUnavailable(GatewayError):
    code = "SERVICE_UNAVAILABLE"


def _request_id() -> str | None:
    return getattr(g, "request_id", None)


def _wants_api_response() -> bool:
    path = request.path
    if path.startswith(("/api/", "/ws/", "/metrics", "/health", "/ready")):
        return True
    return request.accept_mimetypes.best == "application/json"


def _v1_body(code: str, message: str, details: dict[str, Any]) -> dict[str, Any]:
    return {"error": message, "code": code, "details": details, "request_id": _request_id()}


def _v2_body(code: str, status: int, message: str, details: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"/api/docs#error-{code.lower().replace('_', '-')}",
        "title": TITLE_BY_CODE.get(code, code),
        "status": status,
        "detail": message,
        "instance": request.path,
        "code": code,
        "request_id": _request_id(),
    }
    fields = details.get("fields")
    if isinstance(fields, dict) and fields:
        body["errors"] = [{"field": name, "message": text} for name, text in fields.items()]
    extra = {key: value for key, value in details.items() if key != "fields"}
    if extra:
        body["details"] = extra
    return body


_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")


def _printable(value: Any) -> Any:
    """An error echoes what the client sent (an unknown id, say): control characters and lone
    surrogates in it are shown escaped (`\\x00`), so every client can parse and display it."""
    if isinstance(value, str):
        return _UNPRINTABLE.sub(lambda found: f"\\x{ord(found.group()):02x}", value)
    if isinstance(value, dict):
        return {_printable(key): _printable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_printable(item) for item in value]
    return value


def error_response(
    code: str,
    message: str,
    *,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """The documented error for this request: v2 problem+json, v1 envelope, or an HTML page."""
    status = STATUS_BY_CODE.get(code, 500)
    message = _printable(message)
    details = _printable(details or {})
    if versioning.is_v2():
        response = jsonify(_v2_body(code, status, message, details))
        response.mimetype = "application/problem+json"
    elif _wants_api_response():
        response = jsonify(_v1_body(code, message, details))
    else:
        html = render_template("error.html", status=status, code=code, message=message)
        response = Response(html, status=status, mimetype="text/html")
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


_CODE_BY_HTTP_STATUS = {
    400: "VALIDATION_ERROR",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "FILE_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "RATE_LIMIT_EXCEEDED",
    503: "SERVICE_UNAVAILABLE",
    504: "TIMEOUT",
}


def handle_gateway_error(error: GatewayError) -> Response:
    return error_response(error.code, error.message, details=error.details, headers=error.headers)


def handle_image_rejected(error: ImageRejected) -> Response:
    """An upload refused by the imaging checks: 400, 413 or 415 with the check's own code."""
    return error_response(error.code, error.message)


def handle_http_exception(error: HTTPException) -> Response:
    code = _CODE_BY_HTTP_STATUS.get(error.code or 500, "INTERNAL_ERROR")
    headers = dict(error.get_headers()) if error.code in (405, 429) else {}
    headers.pop("Content-Type", None)
    message = error.description or error.name
    if error.code == 413:
        message = "Request body too large"
    response = error_response(code, message, headers=headers)
    response.status_code = error.code or 500
    return response


def handle_unexpected(error: Exception) -> Response:
    log.exception("unhandled error", extra={"request_id": _request_id()})
    return error_response("INTERNAL_ERROR", "Internal server error")


def init_app(app: Flask) -> None:
    app.register_error_handler(GatewayError, handle_gateway_error)
    app.register_error_handler(ImageRejected, handle_image_rejected)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
