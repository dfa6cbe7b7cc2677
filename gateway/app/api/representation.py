"""How each API version answers: the one layer where v1 and v2 differ for the resources.

Both versions serve the same namespaces over the same services. What differs for a resource is
how it lists (v1 by page or all at once, v2 `{items, next_cursor}` by cursor) and which version
its links name; a resource describes its list once as a `Listing` and asks `current()`, chosen
once per request from its path. Error shapes differ too, decided in `errors`; the required
Idempotency-Key in `idempotency`; the documents in `api.spec`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import request

from gateway.app import versioning
from gateway.app.api import common
from gateway.app.errors import ValidationFailed
from gateway.app.extensions import db
from gateway.app.pagination import Keyset


@dataclass(frozen=True)
class Listing:
    """A list resource in both versions' terms, built lazily so each version validates its own
    query parameters in its own order: v2 pages `query()` by `keyset`, v1 answers `legacy()`."""

    keyset: Keyset
    query: Callable[[], Any]
    present: Callable[[Sequence[Any]], list[Any]]
    legacy: Callable[[], dict[str, Any]]
    rows: bool = False


class Representation(ABC):
    """One API version's answers."""

    version: int

    def url(self, path: str) -> str:
        """An absolute URL to `path` in this version."""
        return f"{common.base_url()}/api/v{self.version}{path}"

    @abstractmethod
    def listed(self, listing: Listing) -> dict[str, Any]:
        """The answer to a list request."""


class V1(Representation):
    """v1 (deprecated): lists as each resource always answered them (a page, or everything)."""

    version = 1

    def listed(self, listing: Listing) -> dict[str, Any]:
        return listing.legacy()


class V2(Representation):
    """v2: every list is `{items, next_cursor}`, paged by `?limit=&cursor=` over the listing's
    query (a select of columns with `rows`: see `Keyset.page`); `page` is refused."""

    version = 2

    def listed(self, listing: Listing) -> dict[str, Any]:
        statement = listing.query()
        if "page" in request.args:
            raise ValidationFailed(
                "v2 pages with cursor, not page", {"page": "use cursor (next_cursor of a page)"}
            )
        limit = common.page_size()
        found, next_cursor = listing.keyset.page(
            db.session,
            statement,
            limit=limit,
            cursor=request.args.get("cursor") or None,
            rows=listing.rows,
        )
        return {"items": listing.present(found), "next_cursor": next_cursor}


VERSIONS: dict[int, Representation] = {1: V1(), 2: V2()}


def current() -> Representation:
    """The representation of the version this request speaks."""
    return VERSIONS[2 if versioning.is_v2() else 1]
