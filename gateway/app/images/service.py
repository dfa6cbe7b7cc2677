"""Images: ingest (validate, store, hash, find duplicates), review moves, metadata, deletion."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Row, func, or_, select, update
from sqlalchemy.orm import Session

from gateway.app import json_text
from gateway.app import validation as v
from gateway.app.audit import service as audit
from gateway.app.audit.service import Actor
from gateway.app.database import IsoTime, UTCDateTime
from gateway.app.errors import Forbidden, InvalidTransition, NotFound, ValidationFailed
from gateway.app.images import duplicates
from gateway.app.images.models import Image, ImageDuplicate
from gateway.app.images.print_quality import has_warnings
from gateway.app.images.states import (
    DELETABLE_WITHOUT_FORCE,
    IMAGE_TRANSITIONS,
    ImageStatus,
    can_move,
    needs_admin,
)
from gateway.app.imaging.pipeline import ProcessedImage, process_image
from gateway.app.imaging.storage import Storage, original_key, thumbnail_key
from gateway.app.imaging.validation import ImageLimits
from gateway.app.ip_risk.screen import Screen, ip_risk
from gateway.app.pagination import Keyset
from gateway.app.settings import Settings


@dataclass(frozen=True)
class ImageOrigin:
    """Where an image came from: a generation job (with its parameters) or an upload."""

    source: str
    job_id: str | None = None
    job_index: int | None = None
    parent_id: str | None = None
    prompt: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None
    backend: str | None = None


def prepare(
    storage: Storage,
    data: bytes,
    limits: ImageLimits,
    settings: Settings | None = None,
    *,
    declared_filename: str | None = None,
) -> ProcessedImage:
    """Validate and process the bytes, then store original and thumbnail (outside any transaction).

    The quality report judges the print at `settings`' DPI and width (the pipeline's defaults
    without them). Files are content-addressed and written atomically, so storing before the
    database row exists is safe: a crash leaves at most an unreferenced file, never a row without
    its file.
    """
    sizing = (
        {"print_dpi": settings.print_dpi, "print_width_inches": settings.print_width_inches}
        if settings is not None
        else {}
    )
    processed = process_image(data, limits, declared_filename=declared_filename, **sizing)
    storage.put(
        original_key(processed.sha256, processed.extension), processed.original, processed.mime
    )
    storage.put(thumbnail_key(processed.sha256), processed.thumbnail, "image/webp")
    return processed


def add_image(
    session: Session,
    processed: ProcessedImage,
    origin: ImageOrigin,
    actor: Actor,
    *,
    duplicate_max_distance: int,
    screen: Screen,
    title: str = "",
    description: str = "",
    tags: Iterable[str] = (),
) -> Image:
    """Insert the image row in the caller's transaction, with hash bands, duplicates, audit and
    the IP-risk screen's finding on its prompt and listing."""
    tags = list(tags)
    image = Image(
        status=ImageStatus.PENDING,
        **asdict(origin),
        title=title,
        description=description,
        tags=tags,
        risk=ip_risk(screen, origin.prompt, title, description, *tags),
        width=processed.width,
        height=processed.height,
        dpi=processed.dpi,
        mime=processed.mime,
        file_size=len(processed.original),
        sha256=processed.sha256,
        original_key=original_key(processed.sha256, processed.extension),
        thumbnail_key=thumbnail_key(processed.sha256),
        phash=duplicates.signed64(processed.phash),
        quality=processed.quality.to_dict(),
        has_quality_warnings=bool(processed.quality.warnings or processed.quality.errors),
    )
    session.add(image)
    session.flush()
    duplicates.record(session, image, processed.phash, duplicate_max_distance)
    _audit(
        session,
        actor,
        image.id,
        "created",
        from_status=ImageStatus.GENERATING if origin.source == "generated" else None,
        to_status=ImageStatus.PENDING,
        details={"source": origin.source, "job_id": origin.job_id, "sha256": processed.sha256},
    )
    return image


def _audit(session: Session, actor: Actor, image_id: str, action: str, **entry: Any) -> None:
    """Record `action` on the image in the audit log (`entry`: the rest of `audit.record`'s fields)."""
    audit.record(session, actor, entity_type="image", entity_id=image_id, action=action, **entry)


def get(session: Session, image_id: str) -> Image:
    image = session.get(Image, image_id) if v.looks_like_id(image_id) else None
    if image is None:
        raise NotFound(f"image {image_id} not found", details={"image_id": image_id})
    return image


def duplicates_of(session: Session, image_id: str) -> list[dict[str, Any]]:
    rows = session.execute(
        select(ImageDuplicate.duplicate_id, ImageDuplicate.distance)
        .where(ImageDuplicate.image_id == image_id)
        .order_by(ImageDuplicate.distance, ImageDuplicate.duplicate_id)
    )
    return [{"image_id": other, "distance": distance} for other, distance in rows]


def change_status(
    session: Session,
    image: Image,
    target: ImageStatus,
    actor: Actor,
    *,
    is_admin: bool = False,
    action: str | None = None,
    reason: str | None = None,
    note: str | None = None,
) -> Image:
    """Move an image along the state machine, or raise INVALID_TRANSITION; never overwrite.

    The update is conditional on the status read, so two reviewers acting at once cannot both win.
    """
    current = image.status
    if not can_move(current, target):
        allowed = sorted(IMAGE_TRANSITIONS[ImageStatus(current)])
        raise InvalidTransition(
            f"image {image.id} cannot go from {current} to {target}",
            details={"image_id": image.id, "from": current, "to": str(target), "allowed": allowed},
        )
    if needs_admin(current, target) and not is_admin:
        raise Forbidden(f"only an admin may move an image from {current} back to {target}")
    changed = session.execute(
        update(Image)
        .where(Image.id == image.id, Image.status == current)
        .values(status=str(target), updated_at=func.now())
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:
        session.refresh(image)
        raise InvalidTransition(
            f"image {image.id} changed meanwhile (now {image.status})",
            details={"image_id": image.id, "from": image.status, "to": str(target)},
        )
    session.refresh(image)
    _audit(
        session,
        actor,
        image.id,
        action or str(target),
        from_status=current,
        to_status=str(target),
        reason=reason,
        note=note,
    )
    return image


def approve(session: Session, image: Image, actor: Actor, *, note: str | None = None) -> Image:
    note = v.clean_text(note, "note", max_length=v.MAX_NOTE_LENGTH, allow_newlines=True) or None
    change_status(session, image, ImageStatus.APPROVED, actor, action="approved", note=note)
    image.reject_reason = None
    image.review_note = note
    image.reviewed_by = actor.name
    image.reviewed_at = image.updated_at
    return image


def reject(
    session: Session,
    image: Image,
    actor: Actor,
    *,
    reason: object,
    reasons: list[str],
    note: str | None = None,
) -> Image:
    reason = v.choice(reason, "reason", reasons)
    note = v.clean_text(note, "note", max_length=v.MAX_NOTE_LENGTH, allow_newlines=True) or None
    change_status(
        session, image, ImageStatus.REJECTED, actor, action="rejected", reason=reason, note=note
    )
    image.reject_reason = reason
    image.review_note = note
    image.reviewed_by = actor.name
    image.reviewed_at = image.updated_at
    return image


def reset(session: Session, image: Image, actor: Actor, *, is_admin: bool) -> Image:
    change_status(session, image, ImageStatus.PENDING, actor, is_admin=is_admin, action="reset")
    image.reject_reason = None
    return image


EDITABLE_FIELDS = {"title", "description", "tags"}
LISTING_TEXT: dict[str, dict[str, Any]] = {
    "title": {"max_length": v.MAX_TITLE_LENGTH},
    "description": {"max_length": v.MAX_DESCRIPTION_LENGTH, "allow_newlines": True},
}


def check_listing_text(errors: v.FieldErrors, name: str, value: object) -> Any:
    """The listing's `title` or `description` cleaned to its limits (a bad one joins `errors`)."""
    return errors.check(v.clean_text, value, name, **LISTING_TEXT[name])


def screen_listing(image: Image, screen: Screen) -> None:
    """Screen the prompt and listing again; the finding replaces the previous one."""
    image.risk = ip_risk(screen, image.prompt, image.title, image.description, *image.tags)


def update_metadata(
    session: Session, image: Image, changes: object, actor: Actor, *, screen: Screen
) -> Image:
    """Set title, description and tags, and screen the listing again; every bad field is
    reported at once."""
    data = v.require_object(changes)
    v.refuse_unknown(data, EDITABLE_FIELDS)
    errors = v.FieldErrors()
    cleaned: dict[str, Any] = {}
    for name in LISTING_TEXT:
        if name in data:
            cleaned[name] = check_listing_text(errors, name, data[name])
    if "tags" in data:
        cleaned["tags"] = errors.check(v.tags, data["tags"])
    errors.raise_if_any()
    if not cleaned:
        raise ValidationFailed("nothing to change", {"body": "give title, description or tags"})
    before = {name: getattr(image, name) for name in cleaned}
    for name, value in cleaned.items():
        setattr(image, name, value)
    screen_listing(image, screen)
    _audit(
        session, actor, image.id, "metadata_updated", details={"before": before, "after": cleaned}
    )
    return image


def delete_image(
    session: Session, storage: Storage, image: Image, actor: Actor, *, force: bool = False
) -> list[str]:
    """Delete the row (and its files when no other image shares them); returns file keys to drop.
    Its publications go with it (ON DELETE CASCADE): the caller drops their print files too."""
    if image.status not in DELETABLE_WITHOUT_FORCE and not force:
        raise InvalidTransition(
            f"image {image.id} is {image.status}; pass force to delete it",
            details={"image_id": image.id, "from": image.status},
        )
    shared = session.scalar(
        select(func.count())
        .select_from(Image)
        .where(Image.sha256 == image.sha256, Image.id != image.id)
    )
    _audit(
        session,
        actor,
        image.id,
        "deleted",
        from_status=image.status,
        details={"forced": force, "sha256": image.sha256},
    )
    duplicates.forget(session, image.id)
    session.delete(image)
    return [] if shared else [image.original_key, image.thumbnail_key, print_key(image)]


def print_key(image: Image) -> str:
    return print_key_for(image.sha256)


def print_key_for(sha256: str) -> str:
    return f"prints/{sha256[:2]}/{sha256[2:4]}/{sha256}.png"


RISK_KINDS = ("ip",)


@dataclass(frozen=True)
class ImageQuery:
    status: str | None = None
    q: str | None = None
    backend: str | None = None
    has_duplicates: bool | None = None
    has_warnings: bool | None = None
    job_id: str | None = None
    risk: str | None = None
    soft_below_width: int | None = None  # the widest product's design (print_quality)


BY_CREATED = Keyset(Image.created_at, Image.id)


def _as_listed(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """A column as a list page reads it: JSON as unparsed text, a time as the API's ISO text
    (`IsoTime`), so no value of the page is decoded in Python only to be encoded again."""
    if isinstance(column.type, UTCDateTime):
        return IsoTime(column).label(column.key)
    return json_text.unparsed(column)


# A list page's select: every column as a plain row (built once).
LISTED = select(*(_as_listed(column) for column in Image.__table__.c))


def filtered(query: ImageQuery, *, rows: bool = False) -> Any:
    """`select(Image)` narrowed by `query`: the one place the image filters are defined.

    With `rows`, `LISTED` narrowed instead: a list page then costs no ORM objects and no JSON
    decoding (`presenter.summary` takes the rows and the answer writes the JSON text as it is).
    """
    statement = LISTED if rows else select(Image)
    if query.status:
        statuses = [part for part in query.status.split(",") if part]
        for status in statuses:
            v.choice(status, "status", [str(s) for s in ImageStatus])
        statement = statement.where(Image.status.in_(statuses))
    if query.q:
        pattern = f"%{query.q.lower()}%"
        statement = statement.where(
            or_(func.lower(Image.prompt).like(pattern), func.lower(Image.title).like(pattern))
        )
    if query.backend:
        statement = statement.where(Image.backend == query.backend)
    if query.has_duplicates is not None:
        statement = statement.where(
            (Image.duplicate_count > 0) if query.has_duplicates else (Image.duplicate_count == 0)
        )
    if query.has_warnings is not None:
        statement = statement.where(has_warnings(query.has_warnings, query.soft_below_width))
    if query.job_id:
        statement = statement.where(Image.job_id == query.job_id)
    if query.risk is not None:
        v.choice(query.risk, "risk", RISK_KINDS)
        statement = statement.where(Image.risk.is_not(None))
    return statement


def list_page(
    session: Session, query: ImageQuery, *, page: int, per_page: int
) -> tuple[list[Row[Any]], int]:
    """Offset pagination (v1): newest first, as plain rows (see `filtered`)."""
    total = session.scalar(select(func.count()).select_from(filtered(query).subquery())) or 0
    rows = session.execute(
        filtered(query, rows=True)
        .order_by(Image.created_at.desc(), Image.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return list(rows), total
