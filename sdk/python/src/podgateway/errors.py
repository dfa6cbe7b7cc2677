"""Typed exceptions for the gateway's RFC 9457 problem+json answers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests


@dataclass(frozen=True)
class FieldError:
    """One invalid input field of a 400 answer."""

    field: str
    message: str


class PodGatewayError(Exception):
    """Base of every error this package raises."""


class TransportError(PodGatewayError):
    """The gateway could not be reached (connection refused, reset or timed out) after retries."""


class WebhookVerificationError(PodGatewayError):
    """A webhook delivery's signature, timestamp or headers did not verify."""


class ApiError(PodGatewayError):
    """An error answer from the gateway, with the problem+json fields."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        title: str = "",
        type: str = "",
        instance: str = "",
        request_id: str | None = None,
        errors: list[FieldError] | None = None,
        details: dict[str, Any] | None = None,
        retry_after: float | None = None,
        response: requests.Response | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail
        self.title = title
        self.type = type
        self.instance = instance
        self.request_id = request_id
        self.errors = errors or []
        self.details = details or {}
        self.retry_after = retry_after
        self.response = response


class ValidationError(ApiError):
    """400: the request's input was refused; `errors` names each field."""


class AuthenticationError(ApiError):
    """401: the API key is missing, unknown or revoked."""


class PermissionDenied(ApiError):
    """403: the key lacks the scope (or role) the operation needs."""


class NotFound(ApiError):
    """404: no such resource (or not visible to this key)."""


class ConflictError(ApiError):
    """409: the resource's state forbids the call (INVALID_TRANSITION, CONFLICT, ...)."""


class IdempotencyError(ApiError):
    """409 IDEMPOTENCY_KEY_IN_USE or 422 IDEMPOTENCY_KEY_REUSED."""


class PayloadTooLarge(ApiError):
    """413: the upload is larger than MAX_UPLOAD_MB."""


class UnsupportedMediaType(ApiError):
    """415: not PNG, JPEG or WebP."""


class RateLimitError(ApiError):
    """429: a rate limit or quota is spent; `retry_after` says for how many seconds."""


class ServerError(ApiError):
    """5xx: the gateway or a backend behind it failed."""


class ServiceUnavailable(ServerError):
    """503: a backend's circuit is open (or the gateway cannot serve at all)."""


_BY_CODE: dict[str, type[ApiError]] = {
    "IDEMPOTENCY_KEY_IN_USE": IdempotencyError,
    "IDEMPOTENCY_KEY_REUSED": IdempotencyError,
    "RATE_LIMIT_EXCEEDED": RateLimitError,
    "QUOTA_EXCEEDED": RateLimitError,
}
_BY_STATUS: dict[int, type[ApiError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: PermissionDenied,
    404: NotFound,
    409: ConflictError,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
    422: ValidationError,
    429: RateLimitError,
    503: ServiceUnavailable,
}


def error_class(status: int, code: str) -> type[ApiError]:
    """The exception class for an answer's status and code."""
    if code in _BY_CODE:
        return _BY_CODE[code]
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    return ServerError if status >= 500 else ApiError


def from_response(response: requests.Response, retry_after: float | None = None) -> ApiError:
    """The typed error for a non-2xx answer (problem+json, v1 envelope or anything else)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {}
    status = response.status_code
    code = str(body.get("code") or f"HTTP_{status}")
    detail = str(body.get("detail") or body.get("error") or response.reason or "")
    errors = [
        FieldError(str(item.get("field", "")), str(item.get("message", "")))
        for item in body.get("errors") or []
        if isinstance(item, dict)
    ]
    details = body.get("details") if isinstance(body.get("details"), dict) else {}
    return error_class(status, code)(
        status,
        code,
        detail,
        title=str(body.get("title") or ""),
        type=str(body.get("type") or ""),
        instance=str(body.get("instance") or ""),
        request_id=body.get("request_id") or response.headers.get("X-Request-ID"),
        errors=errors,
        details=details,
        retry_after=retry_after,
        response=response,
    )
