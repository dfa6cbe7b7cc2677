"""The Printify catalog, browsed through the gateway and cached in the database.

Blueprints, providers, variants and shipping rarely change, and catalog calls have their own small budget
(100/min), so each answer is kept for `CATALOG_CACHE_SECONDS` and shared by every process. A stale
entry still answers when Printify cannot be reached. Reads use the deferred engine and the fetch
runs outside any transaction: a slow Printify never holds SQLite's write lock.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, delete, insert, select

from gateway.app.clients.pacing import PacingDelay
from gateway.app.clients.printify import PrintifyClient
from gateway.app.clients.printify_errors import (
    PrintifyConfigurationError,
    PrintifyError,
    PrintifyNotFound,
    PrintifyUnavailable,
)
from gateway.app.database import utcnow
from gateway.app.errors import GatewayError, NotFound, ServiceUnavailable
from gateway.app.publishing.models import CatalogEntry

CACHE = CatalogEntry.__table__


class CatalogUnavailable(ServiceUnavailable):
    """Printify's catalog cannot be read now (not configured, unreachable, or refusing the token)."""


def external_error(error: PrintifyError) -> GatewayError:
    """The API's answer to a Printify failure met while serving a request."""
    details: dict[str, Any] = {"printify_status": error.status}
    if error.code is not None:
        details["printify_code"] = error.code
    if error.reason:
        details["reason"] = error.reason
    if isinstance(error, PrintifyConfigurationError):
        details["configuration_error"] = True
        return GatewayError(str(error), code="EXTERNAL_SERVICE_ERROR", details=details)
    if isinstance(error, PrintifyNotFound):
        return NotFound(str(error), details=details)
    if isinstance(error, PrintifyUnavailable):
        headers = {"Retry-After": str(int(error.retry_after or 5))}
        return ServiceUnavailable(str(error), details=details, headers=headers)
    return GatewayError(str(error), code="EXTERNAL_SERVICE_ERROR", details=details)


def budget_spent(delay: PacingDelay) -> ServiceUnavailable:
    """The API's answer when our own Printify budget has no slot soon enough: 503 with the wait,
    the same promise Printify's 429 would make (catalog calls get 100 a minute)."""
    return ServiceUnavailable(
        f"the Printify {delay.bucket} budget is spent; try again shortly",
        details={"printify_budget": delay.bucket},
        headers={"Retry-After": str(max(1, math.ceil(delay.seconds)))},
    )


class Catalog:
    def __init__(
        self,
        reader: Engine,
        writer: Engine,
        client: PrintifyClient | None,
        *,
        max_age_seconds: float,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._client = client
        self._max_age = timedelta(seconds=max_age_seconds)

    @property
    def online(self) -> bool:
        """Whether Printify can be asked (a token is configured)."""
        return self._client is not None

    def _stored(self, key: str) -> Any:
        """The stored answer under `key`, however old, with when it was fetched; None if never."""
        with self._reader.connect() as connection:
            return connection.execute(select(CACHE).where(CACHE.c.key == key)).first()

    def _cached(self, key: str, fetch: Callable[[PrintifyClient], Any]) -> Any:
        row = self._stored(key)
        if row is not None and utcnow() - row.fetched_at < self._max_age:
            return row.data
        if self._client is None:
            if row is not None:
                return row.data
            raise CatalogUnavailable(
                "the Printify catalog is not available: PRINTIFY_API_TOKEN is not set",
                details={"catalog": "offline"},
            )
        try:
            data = fetch(self._client)
        except PrintifyUnavailable as error:
            if row is not None:
                return row.data
            raise external_error(error) from error
        except PacingDelay as delay:
            if row is not None:
                return row.data
            raise budget_spent(delay) from delay
        except PrintifyError as error:
            raise external_error(error) from error
        with self._writer.begin() as connection:
            connection.execute(delete(CACHE).where(CACHE.c.key == key))
            connection.execute(insert(CACHE).values(key=key, data=data, fetched_at=utcnow()))
        return data

    def blueprints(self) -> list[dict[str, Any]]:
        return self._cached("blueprints", lambda client: client.blueprints())

    def print_providers(self, blueprint_id: int) -> list[dict[str, Any]]:
        return self._cached(
            f"providers:{blueprint_id}", lambda client: client.print_providers(blueprint_id)
        )

    def variants(self, blueprint_id: int, provider_id: int) -> dict[str, Any]:
        return self._cached(
            self._variants_key(blueprint_id, provider_id),
            lambda client: client.variants(blueprint_id, provider_id),
        )

    def stored_variants(self, blueprint_id: int, provider_id: int) -> dict[str, Any] | None:
        """The variants as last stored, however old, or None: what a mockup preview's colours
        need, so that a preview never waits on Printify (a template's check stored them)."""
        row = self._stored(self._variants_key(blueprint_id, provider_id))
        return None if row is None else row.data

    @staticmethod
    def _variants_key(blueprint_id: int, provider_id: int) -> str:
        return f"variants:{blueprint_id}:{provider_id}"

    def shipping(self, blueprint_id: int, provider_id: int) -> dict[str, Any]:
        return self._cached(
            f"shipping:{blueprint_id}:{provider_id}",
            lambda client: client.shipping(blueprint_id, provider_id),
        )

    def refresh(self) -> int:
        """Forget every cached answer (the admin's "refresh catalog"); how many were dropped."""
        with self._writer.begin() as connection:
            return connection.execute(delete(CACHE)).rowcount
