"""One configured way to call other services: a session with timeouts, retries and clear errors.

Every client module (RunPod, ComfyUI, Printify) builds its session here and sends through `send`, so
timeouts, retry rules (network errors, 408, 429, 5xx; idempotent calls only; `Retry-After` honoured;
exponential backoff with full jitter) and error mapping live in one place.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests
from tenacity import (
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
    wait_random_exponential,
)
from tenacity import Retrying as _Retrying

RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
USER_AGENT = "pod-gateway/0.1 (+https://github.com/pod-gateway)"


@dataclass(frozen=True)
class Timeouts:
    connect: float = 5.0
    read: float = 30.0

    def as_tuple(self) -> tuple[float, float]:
        return (self.connect, self.read)


class HTTPError(Exception):
    """A non-2xx answer that retrying will not fix (or retries ran out for)."""

    def __init__(self, status: int, payload: object, message: str | None = None) -> None:
        super().__init__(message or f"HTTP {status}")
        self.status = status
        self.payload = payload


class TransientHTTPError(HTTPError):
    """A network error (status 0), 408, 429 or 5xx: the same call may succeed later."""

    def __init__(
        self,
        status: int,
        payload: object = None,
        message: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(status, payload, message)
        self.retry_after = retry_after


def build_session(headers: Mapping[str, str] | None = None) -> requests.Session:
    """A session that never follows redirects silently and identifies the gateway."""
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    session.headers.update(headers or {})
    return session


def parse_retry_after(value: str | None, *, cap: float = 120.0) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), capped."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - time.time()
    return max(0.0, min(seconds, cap))


def _payload(response: requests.Response) -> object:
    try:
        return response.json()
    except ValueError:
        return response.text[:2000]


def wait_retry_after(
    base: Callable[[RetryCallState], float],
    errors: type[BaseException] | tuple[type[BaseException], ...],
    *,
    cap: float | None = None,
) -> Callable[[RetryCallState], float]:
    """A tenacity wait: what the failed call's `retry_after` says (at most `cap`) when it is one of
    `errors` and says anything, else `base`'s backoff. Every retry loop honours Retry-After alike."""

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        retry_after = getattr(error, "retry_after", None) if isinstance(error, errors) else None
        if retry_after is None:
            return base(state)
        return retry_after if cap is None else min(retry_after, cap)

    return wait


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try one call: attempts, total time and backoff bounds (seconds)."""

    attempts: int = 4
    max_elapsed: float = 60.0
    backoff_min: float = 0.2
    backoff_max: float = 10.0

    def retrying(self) -> _Retrying:
        return _Retrying(
            retry=retry_if_exception_type(TransientHTTPError),
            stop=stop_after_attempt(self.attempts) | stop_after_delay(self.max_elapsed),
            wait=wait_retry_after(
                wait_random_exponential(multiplier=self.backoff_min, max=self.backoff_max),
                TransientHTTPError,
            ),
            reraise=True,
        )


NO_RETRY = RetryPolicy(attempts=1)


def send_once(
    session: requests.Session,
    method: str,
    url: str,
    *,
    timeouts: Timeouts,
    **kwargs: Any,
) -> requests.Response:
    """One request; 2xx returns the response, anything else raises HTTPError or its subclass."""
    try:
        response = session.request(
            method, url, timeout=timeouts.as_tuple(), allow_redirects=False, **kwargs
        )
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise TransientHTTPError(0, None, f"{method} {url}: {type(exc).__name__}") from exc
    if response.status_code < 300:
        return response
    payload = _payload(response)
    message = f"{method} {url} answered {response.status_code}"
    if response.status_code in RETRYABLE_STATUSES:
        raise TransientHTTPError(
            response.status_code,
            payload,
            message,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )
    raise HTTPError(response.status_code, payload, message)


def send(
    session: requests.Session,
    method: str,
    url: str,
    *,
    timeouts: Timeouts,
    policy: RetryPolicy,
    idempotent: bool,
    **kwargs: Any,
) -> requests.Response:
    """Send with retries for transient failures; a non-idempotent call is tried once."""
    if not idempotent:
        policy = NO_RETRY
    for attempt in policy.retrying():
        with attempt:
            return send_once(session, method, url, timeouts=timeouts, **kwargs)
    raise AssertionError("unreachable: tenacity reraises the last error")
