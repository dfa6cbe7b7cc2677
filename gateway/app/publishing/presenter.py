"""Publications as the API, the review UI and `product.*` events show them."""

from __future__ import annotations

from typing import Any

from gateway.app.database import isoformat
from gateway.app.publishing.models import Publication


def to_dict(publication: Publication) -> dict[str, Any]:
    error = (
        {"code": publication.error_code, "message": publication.error_message}
        if publication.error_code
        else None
    )
    return {
        "publication_id": publication.id,
        "image_id": publication.image_id,
        "template_id": publication.template_id,
        "template_name": (publication.template or {}).get("name"),
        "status": publication.status,
        "dry_run": publication.dry_run,
        "printify_product_id": publication.printify_product_id,
        "upload_id": publication.upload_id,
        "mockups": publication.mockups or [],
        "attempts": publication.attempts,
        "reconciliations": publication.reconciliations,
        "error": error,
        "readiness": publication.readiness or {},
        "marker": publication.marker,
        "requests": publication.requests or [],
        "created_by": publication.created_by,
        "created_at": isoformat(publication.created_at),
        "updated_at": isoformat(publication.updated_at),
        "started_at": isoformat(publication.started_at),
        "completed_at": isoformat(publication.completed_at),
        "next_attempt_at": isoformat(publication.next_attempt_at),
    }


def product_dict(publication: Publication) -> dict[str, Any]:
    """A published product, as `GET /api/v1/products` lists it."""
    return {
        "printify_product_id": publication.printify_product_id,
        "publication_id": publication.id,
        "image_id": publication.image_id,
        "template_id": publication.template_id,
        "template_name": (publication.template or {}).get("name"),
        "mockups": publication.mockups or [],
        "published_at": isoformat(publication.completed_at),
    }
