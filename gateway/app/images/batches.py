"""The per-item outcome of a batch over images, never all-or-nothing: what the API answers for
`/batch/*`, whichever feature acts (review decisions and deletions, publishing).

`run_batch` acts image by image, each in its own savepoint; `outcome` reports a set-based batch
(`images.bulk`) in the same shape.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.app.errors import GatewayError
from gateway.app.images import bulk
from gateway.app.images.models import Image


@dataclass
class BatchResult:
    successful: list[str] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "successful": self.successful,
            "failed": self.failed,
            "skipped": self.skipped,
            "counts": {
                "successful": len(self.successful),
                "failed": len(self.failed),
                "skipped": len(self.skipped),
                "total": len(self.successful) + len(self.failed) + len(self.skipped),
            },
        }


BatchAction = Callable[[Image], None]


def run_batch(
    session: Session,
    image_ids: list[str],
    action: BatchAction,
    *,
    already_done: Callable[[Image], bool],
    chunk_size: int = 500,
) -> BatchResult:
    """Apply `action` to each image in its own savepoint; report each outcome, never all-or-nothing.

    Images already in the wanted state are skipped (so a retried batch is harmless); errors are
    reported per image with their code; work is committed in chunks to keep transactions short.
    """
    result = BatchResult()
    for start in range(0, len(image_ids), chunk_size):
        chunk = image_ids[start : start + chunk_size]
        found = {
            image.id: image for image in session.scalars(select(Image).where(Image.id.in_(chunk)))
        }
        for image_id in chunk:
            image = found.get(image_id)
            if image is None:
                result.failed.append(
                    {
                        "image_id": image_id,
                        "error": {"code": "NOT_FOUND", "message": "image not found"},
                    }
                )
                continue
            if already_done(image):
                result.skipped.append(image_id)
                continue
            try:
                with session.begin_nested():
                    action(image)
            except GatewayError as error:
                session.refresh(image)
                result.failed.append(
                    {"image_id": image_id, "error": {"code": error.code, "message": error.message}}
                )
                continue
            result.successful.append(image_id)
        session.commit()
    return result


def outcome(image_ids: list[str], outcomes: bulk.Outcomes) -> BatchResult:
    """The per-item result, in the order the ids were given."""
    result = BatchResult()
    for image_id in image_ids:
        if image_id in outcomes.done:
            result.successful.append(image_id)
        elif image_id in outcomes.skipped:
            result.skipped.append(image_id)
        else:
            error = outcomes.failed[image_id]
            result.failed.append(
                {"image_id": image_id, "error": {"code": error.code, "message": error.message}}
            )
    return result
