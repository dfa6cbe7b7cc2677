"""What every group of calls shares: the transport, decoding and cursor paging."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, TypeVar, cast

from podgateway.models import Page, Resource
from podgateway.transport import Transport

R = TypeVar("R", bound=Resource)
DEFAULT_PAGE_SIZE = 50


def drop_unset(values: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON body without the arguments the caller left out."""
    return {name: value for name, value in values.items() if value is not None}


class Calls:
    """Base of the call groups `Client` is made of."""

    _http: Transport

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._http.request(method, path, **kwargs)
        return response.json() if response.content else None

    def _object(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        return cast(dict[str, Any], self._json(method, path, **kwargs))

    def _list(self, method: str, path: str, **kwargs: Any) -> list[dict[str, Any]]:
        return cast(list[dict[str, Any]], self._json(method, path, **kwargs))

    def _one(self, model: type[R], method: str, path: str, **kwargs: Any) -> R:
        return model.from_dict(self._json(method, path, **kwargs))

    def _page(self, model: type[R], path: str, params: Mapping[str, Any] | None = None) -> Page[R]:
        body = self._json("GET", path, params=params)
        return Page([model.from_dict(item) for item in body["items"]], body.get("next_cursor"))

    def _iterate(
        self,
        model: type[R],
        path: str,
        params: Mapping[str, Any] | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Iterator[R]:
        """Every item of a cursor-paged list, fetching pages as they are consumed."""
        cursor: str | None = None
        while True:
            page = self._page(model, path, {**(params or {}), "limit": page_size, "cursor": cursor})
            yield from page.items
            if not page.next_cursor:
                return
            cursor = page.next_cursor
