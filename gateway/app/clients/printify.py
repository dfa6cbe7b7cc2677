"""Printify's REST API (EXTERNAL_APIS.md section 1) over one configured session.

Every call is paced (`publishing.pacing`), guarded by a circuit breaker shared by all processes,
retried with backoff only when it is idempotent (GET, PUT, DELETE) and the failure is transient, and
Printify's error envelope becomes a domain error that says what to do (printify_errors.py).
`DryRunPrintify` (printify_dry_run.py) has the same methods but sends nothing.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pybreaker
import requests
from tenacity import Retrying as _Retrying
from tenacity import (
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_random_exponential,
)

from gateway.app import metrics
from gateway.app.circuit import retry_after_seconds
from gateway.app.clients.http import (
    HTTPError,
    RetryPolicy,
    Timeouts,
    build_session,
    send_once,
    wait_retry_after,
)
from gateway.app.clients.pacing import CATALOG, GLOBAL, PUBLISH, Pacer
from gateway.app.clients.printify_errors import (
    PrintifyUnavailable,
    domain_error,
)

PAGE_LIMIT = 50


@dataclass(frozen=True)
class PrintifyConfig:
    base_url: str
    token: str
    shop_id: str
    timeouts: Timeouts = field(default_factory=Timeouts)
    upload_timeouts: Timeouts = field(default_factory=lambda: Timeouts(read=120.0))
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    max_pacing_wait: float = 10.0


class PrintifyClient:
    """The calls the gateway makes, each paced, guarded and mapped to domain errors."""

    dry_run = False

    def __init__(
        self,
        config: PrintifyConfig,
        pacer: Pacer,
        make_breaker: Callable[[], pybreaker.CircuitBreaker] | None,
    ) -> None:
        self.config = config
        self.pacer = pacer
        self._make_breaker = make_breaker
        self._breaker: pybreaker.CircuitBreaker | None = None
        self.base_url = config.base_url.rstrip("/")
        self.session = build_session(
            {"Authorization": f"Bearer {config.token}", "Content-Type": "application/json"}
        )

    @property
    def breaker(self) -> pybreaker.CircuitBreaker | None:
        """Built on first use: its state lives in a table that may not exist at start-up."""
        if self._breaker is None and self._make_breaker is not None:
            self._breaker = self._make_breaker()
        return self._breaker

    # -- plumbing ----------------------------------------------------------------------------

    def _exchange(
        self,
        method: str,
        path: str,
        *,
        bucket: str | None = None,
        json: object = None,
        params: dict[str, Any] | None = None,
        upload: bool = False,
        repeatable: bool = False,
    ) -> Any:
        """Send one call with pacing, circuit breaker and (for idempotent calls) retries.

        `repeatable` marks a POST whose repetition changes nothing (reporting a publish outcome).
        """
        idempotent = repeatable or method in ("GET", "PUT", "DELETE")
        policy = self.config.policy if idempotent else RetryPolicy(attempts=1)
        timeouts = self.config.upload_timeouts if upload else self.config.timeouts
        buckets = [GLOBAL] if bucket is None else [bucket, GLOBAL]

        def once() -> Any:
            self.pacer.acquire(buckets, max_wait=self.config.max_pacing_wait)
            return self._guarded(method, path, timeouts, idempotent, json=json, params=params)

        retrying = _Retrying(
            retry=retry_if_exception(
                lambda error: isinstance(error, PrintifyUnavailable) and not error.ambiguous
            ),
            stop=stop_after_attempt(policy.attempts) | stop_after_delay(policy.max_elapsed),
            wait=wait_retry_after(
                wait_random_exponential(multiplier=policy.backoff_min, max=policy.backoff_max),
                PrintifyUnavailable,
                cap=policy.backoff_max * 6,
            ),
            reraise=True,
        )
        for attempt in retrying:
            with attempt:
                return once()
        raise AssertionError("unreachable: tenacity reraises the last error")

    def _guarded(
        self, method: str, path: str, timeouts: Timeouts, idempotent: bool, **kwargs: Any
    ) -> Any:
        def call() -> Any:
            try:
                response = send_once(
                    self.session, method, f"{self.base_url}{path}", timeouts=timeouts, **kwargs
                )
            except HTTPError as error:
                metrics.PRINTIFY_REQUESTS.labels(outcome=_outcome(error.status)).inc()
                raise domain_error(error, idempotent=idempotent) from error
            metrics.PRINTIFY_REQUESTS.labels(outcome="ok").inc()
            return _body(response)

        breaker = self.breaker
        if breaker is None:
            return call()
        try:
            # `calling()` holds the breaker's lock only to check and record; `call()` would hold
            # it through the HTTP exchange and send this process's Printify calls one at a time.
            with breaker.calling():
                return call()
        except pybreaker.CircuitBreakerError:
            raise PrintifyUnavailable(
                "Printify circuit is open after repeated failures",
                retry_after=retry_after_seconds(breaker),
            ) from None

    def _pages(self, path: str, *, max_pages: int) -> Iterator[dict[str, Any]]:
        """Items of a paginated list, page after page (Laravel paginator envelope)."""
        for page in range(1, max_pages + 1):
            body = self._exchange("GET", path, params={"page": page, "limit": PAGE_LIMIT})
            yield from body.get("data") or []
            if not body.get("next_page_url") or page >= int(body.get("last_page") or page):
                return

    def _shop(self, path: str) -> str:
        return f"/shops/{self.config.shop_id}{path}"

    # -- shops and catalog -------------------------------------------------------------------

    def shops(self) -> list[dict[str, Any]]:
        return self._exchange("GET", "/shops.json")

    def blueprints(self) -> list[dict[str, Any]]:
        return self._exchange("GET", "/catalog/blueprints.json", bucket=CATALOG)

    def print_providers(self, blueprint_id: int) -> list[dict[str, Any]]:
        return self._exchange(
            "GET", f"/catalog/blueprints/{blueprint_id}/print_providers.json", bucket=CATALOG
        )

    def variants(self, blueprint_id: int, provider_id: int) -> dict[str, Any]:
        """Every variant, out-of-stock ones included (Printify hides them by default)."""
        return self._exchange(
            "GET",
            f"/catalog/blueprints/{blueprint_id}/print_providers/{provider_id}/variants.json",
            bucket=CATALOG,
            params={"show-out-of-stock": 1},
        )

    def shipping(self, blueprint_id: int, provider_id: int) -> dict[str, Any]:
        """Shipping profiles: variant ids, first and additional item costs, countries."""
        return self._exchange(
            "GET",
            f"/catalog/blueprints/{blueprint_id}/print_providers/{provider_id}/shipping.json",
            bucket=CATALOG,
        )

    # -- uploads -----------------------------------------------------------------------------

    def upload_image(
        self, file_name: str, *, url: str | None = None, contents: bytes | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"file_name": file_name}
        if url is not None:
            body["url"] = url
        else:
            body["contents"] = base64.b64encode(contents or b"").decode("ascii")
        return self._exchange("POST", "/uploads/images.json", json=body, upload=True)

    def find_upload(self, file_name: str, *, max_pages: int = 10) -> dict[str, Any] | None:
        for upload in self._pages("/uploads.json", max_pages=max_pages):
            if upload.get("file_name") == file_name:
                return upload
        return None

    def archive_upload(self, upload_id: str) -> None:
        self._exchange("POST", f"/uploads/{upload_id}/archive.json", repeatable=True)

    # -- products ----------------------------------------------------------------------------

    def create_product(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._exchange("POST", self._shop("/products.json"), json=body)

    def get_product(self, product_id: str) -> dict[str, Any]:
        return self._exchange("GET", self._shop(f"/products/{product_id}.json"))

    def find_product(self, marker_tag: str, *, max_pages: int = 20) -> dict[str, Any] | None:
        """The product carrying our marker tag, if an earlier create went through unseen."""
        for product in self._pages(self._shop("/products.json"), max_pages=max_pages):
            if marker_tag in (product.get("tags") or []):
                return product
        return None

    def list_products(self, page: int = 1, limit: int = PAGE_LIMIT) -> dict[str, Any]:
        return self._exchange(
            "GET", self._shop("/products.json"), params={"page": page, "limit": limit}
        )

    def publish(self, product_id: str) -> None:
        fields = ("title", "description", "images", "variants", "tags", "keyFeatures")
        body = {name: True for name in fields} | {"shipping_template": True}
        self._exchange(
            "POST", self._shop(f"/products/{product_id}/publish.json"), bucket=PUBLISH, json=body
        )

    def publishing_succeeded(self, product_id: str, external_id: str, handle: str) -> None:
        self._exchange(
            "POST",
            self._shop(f"/products/{product_id}/publishing_succeeded.json"),
            json={"external": {"id": external_id, "handle": handle}},
            repeatable=True,
        )

    def publishing_failed(self, product_id: str, reason: str) -> None:
        self._exchange(
            "POST",
            self._shop(f"/products/{product_id}/publishing_failed.json"),
            json={"reason": reason[:500]},
            repeatable=True,
        )

    def unpublish(self, product_id: str) -> None:
        self._exchange(
            "POST", self._shop(f"/products/{product_id}/unpublish.json"), repeatable=True
        )

    def delete_product(self, product_id: str) -> None:
        self._exchange("DELETE", self._shop(f"/products/{product_id}.json"))

    # -- webhooks (the events Printify sends us) ---------------------------------------------

    def webhooks(self) -> list[dict[str, Any]]:
        return self._exchange("GET", self._shop("/webhooks.json"))

    def create_webhook(self, topic: str, url: str, secret: str) -> dict[str, Any]:
        return self._exchange(
            "POST",
            self._shop("/webhooks.json"),
            json={"topic": topic, "url": url, "secret": secret},
        )

    def delete_webhook(self, webhook_id: str, host: str) -> None:
        self._exchange("DELETE", self._shop(f"/webhooks/{webhook_id}.json"), params={"host": host})


def _outcome(status: int) -> str:
    if status == 0:
        return "network"
    if status == 429:
        return "rate_limited"
    return "server_error" if status >= 500 else "client_error"


def _body(response: requests.Response) -> Any:
    """The JSON body; Printify answers some actions with an empty body instead of `{}`."""
    if not response.content.strip():
        return {}
    try:
        return response.json()
    except ValueError:
        raise PrintifyUnavailable(
            f"Printify answered {response.status_code} with a body that is not JSON",
            status=response.status_code,
        ) from None
