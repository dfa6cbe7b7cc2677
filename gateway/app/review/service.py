"""Review decisions, one by one or in batches, as committed units of work.

Both the API and the review UI call these, so a decision is audited, counted and announced (an
outbox event in the same transaction) the same way whichever door it came through. `base_url`
makes the event's image look exactly as the API returns it.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from gateway.app import metrics, versioning
from gateway.app import validation as v
from gateway.app.accounts.principal import Principal
from gateway.app.events import service as events
from gateway.app.images import batches, bulk, presenter
from gateway.app.images import service as images
from gateway.app.images.batches import BatchResult
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
    return _batch_completed(session, action, batches.outcome(image_ids, outcomes))


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
    return _batch_completed(session, "delete", batches.outcome(image_ids, outcomes))
