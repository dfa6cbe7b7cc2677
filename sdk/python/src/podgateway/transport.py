"""One HTTP session to the gateway: auth, Idempotency-Key on every POST, bounded retries.

Retries are safe because the gateway replays a POST's first answer for the same Idempotency-Key:
the key is made once per logical call and sent on each of its attempts. A 429 or 503 (and a 409
IDEMPOTENCY_KEY_IN_USE while the first attempt still runs) is retried after its `Retry-After`;
a wait longer than `max_retry_after` is not slept through, the error is raised at once instead.
Connection failures are retried only for requests that are safe to repeat.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests

from podgateway import errors

log = logging.getLogger("podgateway")

USER_AGENT = "podgateway-python/0.1.0"
IDEMPOTENCY_HEADER = "Idempotency-Key"
RETRY_STATUSES = frozenset({429, 503})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry. `max_attempts` counts the first try."""

    max_attempts: int = 4
    backoff: float = 0.5
    max_backoff: float = 30.0
    max_retry_after: float = 60.0

    def backoff_for(self, attempt: int) -> float:
        """Exponential backoff with jitter for the wait after failed attempt number `attempt`."""
        ceiling = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)


def retry_after_seconds(response: requests.Response) -> float | None:
    """The answer's `Retry-After` in seconds (delta-seconds or an HTTP date), if any."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def new_idempotency_key() -> str:
    return str(uuid.uuid4())


class Transport:
    """Sends requests under `{base_url}/api/v2` and turns error answers into typed exceptions."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_root = f"{self.base_url}/api/v2"
        self.api_key = api_key
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.session = session or requests.Session()
        self.session.headers.update(
            {
                "X-API-Key": api_key,
                "User-Agent": USER_AGENT,
                "Accept": "application/json, application/problem+json",
            }
        )
        self.sleep = sleep

    def close(self) -> None:
        self.session.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        files: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> requests.Response:
        """One logical call: every attempt carries the same Idempotency-Key (POST only)."""
        method = method.upper()
        url = f"{self.api_root}{path}"
        headers: dict[str, str] = {}
        if method == "POST":
            headers[IDEMPOTENCY_HEADER] = idempotency_key or new_idempotency_key()
        repeatable = method in SAFE_METHODS or IDEMPOTENCY_HEADER in headers
        attempt = 0
        while True:
            attempt += 1
            last_try = attempt >= self.retry.max_attempts
            try:
                response = self.session.request(
                    method,
                    url,
                    params=_query(params),
                    json=json,
                    files=files,
                    data=data,
                    headers=headers,
                    timeout=self.timeout,
                    allow_redirects=False,
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                if not repeatable or last_try:
                    raise errors.TransportError(f"{method} {url}: {exc}") from exc
                wait = self.retry.backoff_for(attempt)
                log.info("%s %s failed (%s); retrying in %.1f s", method, path, exc, wait)
                self.sleep(wait)
                continue
            if response.status_code < 400:
                return response
            retry_after = retry_after_seconds(response)
            if not last_try and _retryable(response):
                wait = retry_after if retry_after is not None else self.retry.backoff_for(attempt)
                if wait <= self.retry.max_retry_after:
                    log.info(
                        "%s %s answered %s; retrying in %.1f s",
                        method,
                        path,
                        response.status_code,
                        wait,
                    )
                    self.sleep(wait)
                    continue
            raise errors.from_response(response, retry_after)

    def download(self, url: str) -> bytes:
        """GET a URL the gateway redirected to (a presigned storage URL), without the API key."""
        where = url.split("?", 1)[0]
        try:
            response = self.session.get(
                url, headers={"X-API-Key": None}, timeout=self.timeout, allow_redirects=False
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise errors.TransportError(f"GET {where}: {exc}") from exc
        if response.status_code != 200:
            raise errors.TransportError(f"GET {where}: storage answered {response.status_code}")
        return response.content


def _retryable(response: requests.Response) -> bool:
    if response.status_code in RETRY_STATUSES:
        return True
    if response.status_code == 409:
        try:
            return bool(response.json().get("code") == "IDEMPOTENCY_KEY_IN_USE")
        except (ValueError, AttributeError):
            return False
    return False


def _query(params: Mapping[str, Any] | None) -> dict[str, str] | None:
    """Query parameters without the unset ones; booleans as `true`/`false`."""
    if not params:
        return None
    query: dict[str, str] = {}
    for name, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            query[name] = "true" if value else "false"
        elif isinstance(value, list | tuple):
            query[name] = ",".join(str(item) for item in value)
        else:
            query[name] = str(value)
    return query
