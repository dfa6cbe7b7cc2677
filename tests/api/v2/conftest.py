"""Helpers and fixtures for API v2 tests: the same resources as v1, reached under /api/v2
(the webhook fixtures give the deliveries list something to page through)."""

from __future__ import annotations

import io
import secrets

from flask.testing import FlaskClient

from tests.conftest import artwork
from tests.webhooks.fixtures import receiver, webhooks  # noqa: F401


def upload(client: FlaskClient, headers: dict[str, str], *, seed: int = 1) -> dict:
    """A design uploaded through v2 (pending review)."""
    response = client.post(
        "/api/v2/images",
        data={"file": (io.BytesIO(artwork(96, 96, seed=seed)), "design.png")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def with_key(headers: dict[str, str]) -> dict[str, str]:
    """`headers` plus a fresh Idempotency-Key."""
    return {**headers, "Idempotency-Key": secrets.token_hex(8)}


def walk(
    client: FlaskClient, url: str, headers: dict[str, str], limit: int, **filters: str
) -> list[list[dict]]:
    """Every page of a v2 list, following next_cursor to the end."""
    pages: list[list[dict]] = []
    cursor: str | None = None
    while True:
        params: dict[str, object] = {"limit": limit, **filters}
        if cursor:
            params["cursor"] = cursor
        response = client.get(url, headers=headers, query_string=params)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert set(body) == {"items", "next_cursor"}
        pages.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 100, "the cursor never ended"
