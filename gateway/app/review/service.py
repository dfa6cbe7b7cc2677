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
from gateway.app.accounts.principal import Principal
from gateway.app.errors import GatewayError
from gateway.app.events import service as events
from gateway.app.images import bulk, presenter
from gateway.app.images import service as images
from gateway.app.images.models import Image
from gateway.app.images.states import ImageStatus
from gateway.app.imaging.storage import Storage
from gateway.app.ip_risk.screen import Screen
from gateway.app.publishing import publication_files


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
    session: Session, image_id: str, changes: object, principal: Principal, *, screen: Screen
) -> Image:
    image = images.get(session, image_id)
    images.update_metadata(session, image, changes, principal.actor, screen=screen)
    session.commit()
    return image


def delete(
    session: Session, storage: Storage, image_id: str, principal: Principal, *, force: bool = False
) -> None:
    image = images.get(session, image_id)
    publications = publication_files.of_image(session, image.id)
    keys = images.delete_image(session, storage, image, principal.actor, force=force)
    session.commit()
    for key in keys + publications:
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


def _outcome(image_ids: list[str], outcomes: bulk.Outcomes) -> BatchResult:
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


def _batch_completed(session: Session, action: str, result: BatchResult) -> BatchResult:
    events.emit(session, "batch.completed", {"action": action, **result.to_dict()})
    session.commit()
    return result


def _decide(
    session: Session,
    image_ids: list[str],
    target: ImageStatus,
    principal: Principal,
    *,
    action: str,
    reason: str | None = None,
    note: str | None = None,
    base_url: str,
) -> BatchResult:
    """Move the images slice by slice, each slice committed with the announcement of every image
    it moved (as the API returns it); then announce the batch.

    A slice's commit ends its hold on the status counters' rows and, on SQLite, on the write
    lock, so other writers never wait for a whole 10,000-id batch.
    """
    image_ids = list(dict.fromkeys(image_ids))
    api_root = base_url + versioning.CURRENT_API
    outcomes = bulk.Outcomes()
    for chunk in bulk.chunks(image_ids, bulk.SLICE):
        decided = bulk.decide(
            session,
            chunk,
            target,
            principal.actor,
            is_admin=principal.is_admin,
            action=str(target),
            reason=reason,
            note=note,
        )
        moved = [image_id for image_id in chunk if image_id in decided.done]
        if moved:
            dialect = session.get_bind().dialect.name
            announced = presenter.summaries_in_sql(dialect, moved, api_root)
            events.emit_each(session, f"image.{target}", announced)
        session.commit()
        outcomes.add(decided)
    return _batch_completed(session, action, _outcome(image_ids, outcomes))


def batch_approve(
    session: Session, image_ids: list[str], principal: Principal, *, base_url: str
) -> BatchResult:
    """Approve each image that may be; already approved ones are skipped."""
    result = _decide(
        session, image_ids, ImageStatus.APPROVED, principal, action="approve", base_url=base_url
    )
    metrics.IMAGES_APPROVED.inc(len(result.successful))
    return result


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
    """Reject each image that may be with one reason; already rejected ones are skipped."""
    reason = v.choice(reason, "reason", reasons)
    note = v.clean_text(note, "note", max_length=v.MAX_NOTE_LENGTH, allow_newlines=True) or None
    result = _decide(
        session,
        image_ids,
        ImageStatus.REJECTED,
        principal,
        action="reject",
        reason=reason,
        note=note,
        base_url=base_url,
    )
    metrics.IMAGES_REJECTED.inc(len(result.successful))
    return result


def batch_delete(
    session: Session, storage: Storage, image_ids: list[str], principal: Principal, *, force: bool
) -> BatchResult:
    """Delete the images (published ones need `force`) slice by slice; a slice's files go once
    its rows are gone."""
    image_ids = list(dict.fromkeys(image_ids))
    outcomes = bulk.Outcomes()
    for chunk in bulk.chunks(image_ids, bulk.SLICE):
        removed = bulk.remove(
            session, chunk, principal.actor, force=force, held_files=publication_files.of_images
        )
        session.commit()
        for key in removed.files:
            storage.delete(key)
        outcomes.add(removed)
    return _batch_completed(session, "delete", _outcome(image_ids, outcomes))
