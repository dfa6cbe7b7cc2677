"""Printify's failures as domain errors that say what to do: a configuration error (401/403) is
never retried, a validation error carries Printify's reason, a locked product is `PrintifyLocked`,
and a transient failure of a call that changes things is `ambiguous` (the change may have happened,
so the caller reconciles before trying again)."""

from __future__ import annotations

from gateway.app.clients.http import HTTPError, TransientHTTPError

LOCKED_CODE = 8252


class PrintifyError(Exception):
    """Printify refused a call; `code` and `reason` come from its error envelope."""

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        status: int = 0,
        code: int | None = None,
        reason: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.reason = reason


class PrintifyConfigurationError(PrintifyError):
    """401/403: the token is wrong, expired or lacks a scope; retrying cannot help."""


class PrintifyValidationError(PrintifyError):
    """400 (8150 and friends), 413, 422: the request itself is wrong."""


class PrintifyLocked(PrintifyError):
    """400/8252: a publish is in flight and the product is disabled for editing."""


class PrintifyNotFound(PrintifyError):
    """404: a stale shop, product, upload or catalog id."""


class PrintifyUnavailable(PrintifyError):
    """A network error, 429 or 5xx. `ambiguous`: a change may have been applied anyway."""

    retryable = True

    def __init__(
        self,
        message: str,
        *,
        status: int = 0,
        retry_after: float | None = None,
        ambiguous: bool = False,
    ) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after
        self.ambiguous = ambiguous


class PrintifyRateLimited(PrintifyUnavailable):
    """429: Printify is healthy but our budget is spent; never ambiguous (nothing was done)."""


# Errors that say nothing about Printify's health do not count against its circuit.
NOT_PRINTIFY_FAULTS: tuple[type[BaseException], ...] = (
    PrintifyRateLimited,
    PrintifyConfigurationError,
    PrintifyValidationError,
    PrintifyLocked,
    PrintifyNotFound,
)


def _envelope(payload: object) -> tuple[int | None, str | None, str | None]:
    """(code, message, reason) from `{status, code, message, errors: {reason, code}}`."""
    if not isinstance(payload, dict):
        return None, None, str(payload)[:300] if payload else None
    errors = payload.get("errors")
    reason = errors.get("reason") if isinstance(errors, dict) else None
    code = payload.get("code")
    if not isinstance(code, int) and isinstance(errors, dict):
        code = errors.get("code")
    message = payload.get("message") or payload.get("error")
    return (
        code if isinstance(code, int) else None,
        str(message) if message else None,
        str(reason) if reason else None,
    )


def domain_error(error: HTTPError, *, idempotent: bool) -> PrintifyError:
    """Turn an HTTP failure into the domain error that tells the caller what to do next."""
    code, message, reason = _envelope(error.payload)
    status = error.status
    what = f"Printify answered {status}" if status else "Printify could not be reached"
    detail = "; ".join(part for part in (message, reason) if part)
    text = f"{what}: {detail}" if detail else what
    if isinstance(error, TransientHTTPError):
        kind = PrintifyRateLimited if status == 429 else PrintifyUnavailable
        return kind(
            text if status else f"{what} ({error})",
            status=status,
            retry_after=error.retry_after,
            ambiguous=not idempotent and status != 429,
        )
    if status in (401, 403):
        hint = "check PRINTIFY_API_TOKEN" if status == 401 else "the token lacks a scope"
        return PrintifyConfigurationError(
            f"{text} ({hint})", status=status, code=code, reason=reason
        )
    if status == 404:
        return PrintifyNotFound(text, status=status, code=code, reason=reason)
    if code == LOCKED_CODE:
        return PrintifyLocked(text, status=status, code=code, reason=reason)
    return PrintifyValidationError(text, status=status, code=code, reason=reason)
