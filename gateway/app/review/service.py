"""Review decisions, one by one or in batches, as committed units of work.

Both the API and the review UI call these, so a decision is audited, counted and announced (an
outbox event in the same transaction) the same way whichever door it came through. `base_url`
makes the event's image look exactly as the API returns it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.app import metrics, versioning
from gateway.app import validation as v
from gateway.app.errors import GatewayError
from gateway.app.events import service as events
from gateway.app.images import presenter
from gateway.app.images import service as images
from gateway.app.images.models import Image
from gateway.app.images.states import ImageStatus
from gateway.app.imaging.storage import Storage
from gateway.app.security import Principal


def _announce(session: Session, event_type: str, image: Image, base_url: str) -> None:
    session.flush()
    events.emit(session, event_type, presenter.summary(image, base_url + versioning.CURRENT_API))


def approve(
    session: Session,
    image_id: str,
    principal: Principal,
    note: str | None = None,
    *,
    base_url: str,
) -> Image:
    image = images.get(session, image_id)
    images.approve(session, image, principal.actor, note=note)
    _announce(session, "image.approved", image, base_url)
    session.commit()
    metrics.IMAGES_APPROVED.inc()
    return image


def reject(
    session: Session,
    image_id: str,
    principal: Principal,
    *,
    reason: object,
    reasons: list[str],
    note: str | None = None,
    base_url: str,
) -> Image:
    image = images.get(session, image_id)
    images.reject(session, image, principal.actor, reason=reason, reasons=reasons, note=note)
    _announce(session, "image.rejected", image, base_url)
    session.commit()
    metrics.IMAGES_REJECTED.inc()
    return image


def reset(session: Session, image_id: str, principal: Principal) -> Image:
    image = images.get(session, image_id)
    images.reset(session, image, principal.actor, is_admin=principal.is_admin)
    session.commit()
    return image


def update_metadata(
    session: Session, image_id: str, changes: object, principal: Principal
) -> Image:
    image = images.get(session, image_id)
    images.update_metadata(session, image, changes, principal.actor)
    session.commit()
    return image


def delete(
    session: Session, storage: Storage, image_id: str, principal: Principal, *, force: bool = False
) -> None:
    image = images.get(session, image_id)
    keys = images.delete_image(session, storage, image, principal.actor, force=force)
    session.commit()
    for key in keys:
        storage.delete(key)


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


def _batch_completed(session: Session, action: str, result: BatchResult) -> BatchResult:
    events.emit(session, "batch.completed", {"action": action, **result.to_dict()})
    session.commit()
    return result


def batch_approve(
    session: Session, image_ids: list[str], principal: Principal, *, base_url: str
) -> BatchResult:
    def approve_one(image: Image) -> None:
        images.approve(session, image, principal.actor)
        _announce(session, "image.approved", image, base_url)

    result = run_batch(
        session,
        image_ids,
        approve_one,
        already_done=lambda image: image.status == ImageStatus.APPROVED,
    )
    metrics.IMAGES_APPROVED.inc(len(result.successful))
    return _batch_completed(session, "approve", result)


def batch_reject(
    session: Session,
    image_ids: list[str],
    principal: Principal,
    *,
    reason: object,
    reasons: list[str],
    note: str | None = None,
    base_url: str,
) -> BatchResult:
    reason = v.choice(reason, "reason", reasons)

    def reject_one(image: Image) -> None:
        images.reject(session, image, principal.actor, reason=reason, reasons=reasons, note=note)
        _announce(session, "image.rejected", image, base_url)

    result = run_batch(
        session,
        image_ids,
        reject_one,
        already_done=lambda image: image.status == ImageStatus.REJECTED,
    )
    metrics.IMAGES_REJECTED.inc(len(result.successful))
    return _batch_completed(session, "reject", result)


def batch_delete(
    session: Session, storage: Storage, image_ids: list[str], principal: Principal, *, force: bool
) -> BatchResult:
    doomed: list[str] = []

    def remove(image: Image) -> None:
        doomed.extend(images.delete_image(session, storage, image, principal.actor, force=force))

    result = run_batch(session, image_ids, remove, already_done=lambda image: False)
    _batch_completed(session, "delete", result)
    for key in doomed:
        storage.delete(key)
    return result
