"""The API's shape of an image, shared by every API version and the review UI."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session

from gateway.app.audit import service as audit
from gateway.app.database import isoformat
from gateway.app.images import service as images
from gateway.app.images.models import Image

VARIANTS = ("original", "print", "thumbnail")

# An image object, or a Core row of the images table (a bulk move's RETURNING): same attributes.
ImageLike = Image | Row[Any]


def file_urls(image: ImageLike, api_root: str) -> dict[str, str]:
    """Links into the API at `api_root` (e.g. `https://host/api/v2`): a v2 answer links into v2."""
    root = f"{api_root}/images/{image.id}/file"
    return {variant: f"{root}?variant={variant}" for variant in VARIANTS}


def summary(image: ImageLike, api_root: str) -> dict[str, Any]:
    """The list view of an image: everything but duplicates and history."""
    return {
        "id": image.id,
        "status": image.status,
        "source": image.source,
        "job_id": image.job_id,
        "prompt": image.prompt,
        "params": image.params or {},
        "seed": image.seed,
        "backend": image.backend,
        "parent_id": image.parent_id,
        "title": image.title,
        "description": image.description,
        "tags": image.tags or [],
        "width": image.width,
        "height": image.height,
        "dpi": image.dpi,
        "mime": image.mime,
        "file_size": image.file_size,
        "sha256": image.sha256,
        "urls": file_urls(image, api_root),
        "quality": image.quality,
        "duplicate_count": image.duplicate_count,
        "risk": image.risk,
        "reject_reason": image.reject_reason,
        "review_note": image.review_note,
        "reviewed_by": image.reviewed_by,
        "reviewed_at": isoformat(image.reviewed_at),
        "created_at": isoformat(image.created_at),
        "updated_at": isoformat(image.updated_at),
    }


def detail(session: Session, image: Image, api_root: str) -> dict[str, Any]:
    """The full image: summary plus near-duplicates and its audited history."""
    body = summary(image, api_root)
    body["duplicates"] = images.duplicates_of(session, image.id)
    body["history"] = [audit.to_dict(entry) for entry in audit.history(session, "image", image.id)]
    return body
