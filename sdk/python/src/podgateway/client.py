"""`Client`: every v2 call of the gateway, in one object."""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType

import requests

from podgateway._account import AccountCalls
from podgateway._images import ImageCalls
from podgateway._jobs import JobCalls
from podgateway._publishing import PublishingCalls
from podgateway._webhooks import WebhookCalls
from podgateway.transport import RetryPolicy, Transport


class Client(JobCalls, ImageCalls, PublishingCalls, WebhookCalls, AccountCalls):
    """A client of one gateway's `/api/v2`, authenticated by an API key.

    `max_attempts` bounds the tries of one call (429/503 and, for calls safe to repeat, connection
    failures are retried); a `Retry-After` longer than `max_retry_after` seconds is raised as the
    error instead of waited for. Every POST carries an Idempotency-Key: a fresh one per call unless
    `idempotency_key=` is given, the same on each retry of that call.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 30.0,
        max_attempts: int = 4,
        backoff: float = 0.5,
        max_retry_after: float = 60.0,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        retry = RetryPolicy(
            max_attempts=max_attempts, backoff=backoff, max_retry_after=max_retry_after
        )
        self._http = Transport(
            base_url, api_key, timeout=timeout, retry=retry, session=session, sleep=sleep
        )

    @property
    def base_url(self) -> str:
        return self._http.base_url

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
