"""One attempt: sign the body, POST it to a checked address, judge the answer; when to retry.

A 2xx within the timeout is success. Redirects are answers (failures), never followed. The answer
is read for at most its first KiB, which the attempt log keeps.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests

from gateway.app.clients.http import parse_retry_after
from gateway.app.database import utcnow
from gateway.app.webhooks import signing, ssrf

EXCERPT_BYTES = 1024
RETRY_AFTER_STATUSES = frozenset({429, 503})
JITTER = 0.2
CONNECT_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class Claim:
    """A delivery this worker holds the lease on, with what it takes to send it."""

    sequence: int
    id: str
    token: str
    subscription_id: str
    url: str
    body: bytes
    event_id: str
    event_type: str
    number: int
    signing_secrets: list[str]


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to; `retry_after` is set when a 429/503 said when to come back."""

    result: str  # success | http_error | timeout | network_error | blocked
    started_at: datetime
    duration: float
    status_code: int | None = None
    error: str | None = None
    excerpt: str | None = None
    retry_after: float | None = None

    @property
    def succeeded(self) -> bool:
        return self.result == "success"


def clip(text: str | None, limit: int) -> str | None:
    """Text safe for any column: bounded, without NUL (PostgreSQL refuses it in text)."""
    return None if text is None else text.replace("\x00", "\ufffd")[:limit]


def attempt(
    target: Claim, *, networks: tuple[str, ...], timeout: float, retry_after_cap: float
) -> Outcome:
    """One signed POST; never raises for what the network or the receiver does."""
    body = target.body
    headers = {
        "Content-Type": "application/json",
        "X-Webhook-Attempt": str(target.number),
        **signing.signature_headers(
            target.signing_secrets,
            event_id=target.event_id,
            event_type=target.event_type,
            timestamp=int(time.time()),
            body=body,
        ),
    }
    started_at = utcnow()
    started = time.monotonic()

    def outcome(result: str, **details: Any) -> Outcome:
        return Outcome(result, started_at, time.monotonic() - started, **details)

    try:
        reply = ssrf.post(
            target.url,
            networks,
            data=body,
            headers=headers,
            timeout=(min(CONNECT_TIMEOUT_SECONDS, timeout), timeout),
            excerpt_bytes=EXCERPT_BYTES,
        )
    except ssrf.TargetRefused as refused:
        return outcome("blocked", error=f"target {refused}")
    except requests.Timeout:
        return outcome("timeout", error=f"no answer within {timeout:g} s")
    except requests.RequestException as error:
        return outcome("network_error", error=f"{type(error).__name__}: {error}")
    elapsed = time.monotonic() - started
    retry_after = None
    if reply.status in RETRY_AFTER_STATUSES:
        retry_after = parse_retry_after(reply.retry_after, cap=retry_after_cap)
    details: dict[str, Any] = {
        "status_code": reply.status,
        "excerpt": reply.excerpt,
        "retry_after": retry_after,
    }
    if elapsed > timeout:
        return outcome("timeout", error=f"answered after {elapsed:.1f} s", **details)
    if 200 <= reply.status < 300:
        return outcome("success", **details)
    return outcome("http_error", error=f"HTTP {reply.status}", **details)


def retry_delay(
    attempts_made: int,
    schedule: tuple[float, ...],
    retry_after: float | None,
    rng: Callable[[], float] = random.random,
) -> float | None:
    """Seconds until the next attempt after `attempts_made` failures; None once out of retries."""
    if attempts_made > len(schedule):
        return None
    if retry_after is not None:
        return retry_after
    return schedule[attempts_made - 1] * (1 - JITTER + 2 * JITTER * rng())
