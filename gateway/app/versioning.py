"""API versions: which one a request speaks, and the deprecation notice v1 answers carry.

v2 serves the same resources through the same service layer; what differs by version asks
`is_v2()` in one place each: `api.representation` (lists and links), `errors` (error bodies) and
`idempotency` (the required Idempotency-Key).
v1 keeps working until its sunset date, and every v1 answer says so: `Deprecation` (RFC 9745),
`Sunset` (RFC 8594) and a `Link` to the same resource in v2 (`successor-version`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from email.utils import format_datetime
from urllib.parse import quote

from flask import Response, request

from gateway.app.settings import Settings

V1_PREFIX = "/api/v1/"
V2_PREFIX = "/api/v2/"
CURRENT_API = "/api/v2"  # where links outside a versioned answer point (UI, webhooks)
# RFC 3986 path characters a URI may carry unescaped; everything else in a path is percent-encoded.
PATH_SAFE = "/!$&'()*+,;=:@-._~"


def is_v2() -> bool:
    return request.path.startswith(V2_PREFIX)


def request_is_v1() -> bool:
    return request.path.startswith(V1_PREFIX)


def versions(settings: Settings) -> list[dict[str, str]]:
    """What `GET /api/version` lists: each version's status, docs and (for v1) its sunset."""
    return [
        {
            "version": "v2",
            "status": "current",
            "docs": "/api/v2/swagger.json",
        },
        {
            "version": "v1",
            "status": "deprecated",
            "docs": "/api/v1/swagger.json",
            "deprecated_on": settings.api_v1_deprecated_on.isoformat(),
            "sunset": settings.api_v1_sunset_on.isoformat(),
        },
    ]


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def deprecation_headers(settings: Settings) -> dict[str, str]:
    """The headers a v1 answer carries, pointing at the same path under v2 (percent-encoded: a
    decoded path may hold characters no header value can carry)."""
    successor = quote(V2_PREFIX + request.path.removeprefix(V1_PREFIX), safe=PATH_SAFE)
    deprecated_at = int(_midnight(settings.api_v1_deprecated_on).timestamp())
    return {
        "Deprecation": f"@{deprecated_at}",
        "Sunset": format_datetime(_midnight(settings.api_v1_sunset_on), usegmt=True),
        "Link": f'<{successor}>; rel="successor-version", </api/docs>; rel="deprecation"',
    }


def mark_deprecated(response: Response, settings: Settings) -> Response:
    for name, value in deprecation_headers(settings).items():
        response.headers.setdefault(name, value)
    return response
