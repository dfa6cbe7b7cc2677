"""Asking for publications, one by one or in batches, and acting on them (retry, unpublish).

These are the units of work the API and the review UI share. Starting a publication checks the
template and the image's print readiness, moves the image to `publishing` (unless it is a dry run)
and commits a queued publication; the worker (`publishing.runner`) does the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.app import validation as v
from gateway.app.accounts import quotas
from gateway.app.accounts.principal import Principal
from gateway.app.audit import service as audit
from gateway.app.audit.service import Actor
from gateway.app.clients.printify_errors import PrintifyError, PrintifyNotFound
from gateway.app.database import new_id, utcnow
from gateway.app.errors import InvalidTransition, IpRisk, NotFound, ValidationFailed
from gateway.app.events import service as events
from gateway.app.images import service as images
from gateway.app.images.batches import BatchResult, run_batch
from gateway.app.images.models import Image
from gateway.app.images.states import ImageStatus, can_move
from gateway.app.imaging.upscale import allowed_factors
from gateway.app.pagination import PAGE_SIZE, Keyset
from gateway.app.publishing import presenter, pricing, printfiles
from gateway.app.publishing import templates as product_templates
from gateway.app.publishing.catalog import external_error
from gateway.app.publishing.context import PublishingContext
from gateway.app.publishing.models import ProductTemplate, Publication
from gateway.app.publishing.states import RETRYABLE, UNPUBLISHABLE, PublicationStatus

Enqueue = Callable[[str], None]


def readiness_for(
    context: PublishingContext, image: Image, template: ProductTemplate
) -> printfiles.PrintReadiness:
    return printfiles.readiness(
        image.width,
        image.height,
        template.placeholder_width,
        template.placeholder_height,
        printfiles.Placement(**template.placement),
        dpi=context.settings.print_dpi,
        dpi_floor=context.settings.print_dpi_floor,
        upscale_factors=allowed_factors(image.width, image.height, context.generated_limits),
    )


def _start(
    session: Session,
    context: PublishingContext,
    image: Image,
    template: ProductTemplate,
    principal: Principal,
    *,
    snapshot: dict[str, Any],
    dry_run: bool,
    allow_low_resolution: bool,
    acknowledge_risk: bool,
    note: str | None,
) -> Publication:
    """Check and add one queued publication to the session (the caller commits and enqueues)."""
    dry_run = dry_run or not context.live
    if not can_move(image.status, ImageStatus.PUBLISHING):
        raise InvalidTransition(
            f"image {image.id} is {image.status}; only approved (or publish_failed) images publish",
            details={"image_id": image.id, "from": image.status, "to": "publishing"},
        )
    risk_terms = _check_ip_risk(image, acknowledge_risk=acknowledge_risk, note=note)
    readiness = readiness_for(context, image, template)
    if readiness.below_floor and not allow_low_resolution:
        message = "; ".join(readiness.warnings)
        raise ValidationFailed(
            f"{message}. Pass allow_low_resolution: true to publish anyway",
            {"allow_low_resolution": "required for a design below the print DPI floor"},
        )
    if not dry_run:
        allowance = quotas.allowance(context.settings, principal.api_key_id, principal.plan)
        quotas.consume(session, allowance, "products", 1)
        images.change_status(
            session,
            image,
            ImageStatus.PUBLISHING,
            principal.actor,
            action="publish",
            note=f"template {template.name}",
        )
    publication_id = new_id("pub")
    publication = Publication(
        id=publication_id,
        image_id=image.id,
        template_id=template.id,
        template=snapshot,
        status=PublicationStatus.QUEUED,
        dry_run=dry_run,
        marker=f"podgw-{publication_id.removeprefix('pub_')}",
        readiness=readiness.to_dict(),
        created_by=principal.actor.name,
    )
    session.add(publication)
    session.flush()
    action = "publication.dry_run" if dry_run else "publication.queued"
    details = {"image_id": image.id, "template_id": template.id}
    _audit(session, principal.actor, publication, action, details=details)
    if risk_terms:
        audit.record(
            session,
            principal.actor,
            entity_type="image",
            entity_id=image.id,
            action="ip_risk_acknowledged",
            note=note,
            details={"terms": risk_terms, "publication_id": publication.id},
        )
    return publication


def _audit(
    session: Session, actor: Actor, publication: Publication, action: str, **entry: Any
) -> None:
    """Record `action` on the publication in the audit log (`entry`: the rest of `audit.record`'s
    fields)."""
    audit.record(
        session, actor, entity_type="publication", entity_id=publication.id, action=action, **entry
    )


def _check_ip_risk(image: Image, *, acknowledge_risk: bool, note: str | None) -> list[str]:
    """The protected terms the image names, once the caller has acknowledged them with a note;
    IP_RISK (409) when not acknowledged."""
    terms = list((image.risk or {}).get("ip") or [])
    if not terms:
        return []
    if not acknowledge_risk:
        raise IpRisk(
            f"image {image.id} names protected terms ({', '.join(terms)}); pass "
            "acknowledge_risk: true with a note to publish it anyway",
            details={"image_id": image.id, "terms": terms},
        )
    if not note:
        raise ValidationFailed(
            "a note saying why is required to acknowledge an IP risk",
            {"note": "is required with acknowledge_risk"},
        )
    return terms


PUBLISH_OPTIONS = ("dry_run", "allow_low_resolution", "acknowledge_risk", "note")


def _options(body: dict[str, Any]) -> dict[str, Any]:
    """The boolean flags (false by default) and the acknowledgement's `note`."""
    errors = v.FieldErrors()
    options: dict[str, Any] = {
        name: errors.check(_boolean, body.get(name, False), name)
        for name in ("dry_run", "allow_low_resolution", "acknowledge_risk")
    }
    options["note"] = (
        errors.check(
            v.clean_text,
            body.get("note"),
            "note",
            max_length=v.MAX_NOTE_LENGTH,
            allow_newlines=True,
        )
        or None
    )
    errors.raise_if_any()
    return options


def _boolean(value: object, field: str) -> bool:
    if not isinstance(value, bool):
        raise ValidationFailed(f"{field} must be a boolean", {field: "must be a boolean"})
    return value


def publish(
    session: Session,
    context: PublishingContext,
    image_id: str,
    body: object,
    principal: Principal,
    enqueue: Enqueue,
) -> Publication:
    body = dict(v.require_object(body))
    v.refuse_unknown(body, {"template_id", *PUBLISH_OPTIONS})
    options = _options(body)
    template = product_templates.get(session, _template_id(body))
    image = images.get(session, image_id)
    snapshot = pricing.priced(session, product_templates.to_dict(template), context.settings)
    publication = _start(session, context, image, template, principal, snapshot=snapshot, **options)
    publication_id = publication.id
    session.commit()
    # Read before the commit: touching the expired object would reopen (and, on SQLite, lock)
    # a transaction while an inline queue runs the publication.
    enqueue(publication_id)
    return publication


def _template_id(body: dict[str, Any]) -> str:
    template_id = body.get("template_id")
    if not v.looks_like_id(template_id):
        raise ValidationFailed("template_id is required", {"template_id": "is required"})
    return str(template_id)


def batch_publish(
    session: Session,
    context: PublishingContext,
    body: object,
    principal: Principal,
    enqueue: Enqueue,
) -> dict[str, Any]:
    """Queue one publication per image; each item's outcome is reported, and publishing is paced."""
    body = dict(v.require_object(body))
    v.refuse_unknown(body, {"image_ids", "template_id", *PUBLISH_OPTIONS})
    image_ids = v.ids(body.get("image_ids"))
    options = _options(body)
    template = product_templates.get(session, _template_id(body))
    snapshot = pricing.priced(session, product_templates.to_dict(template), context.settings)
    started: dict[str, str] = {}

    def publish_one(image: Image) -> None:
        started[image.id] = _start(
            session, context, image, template, principal, snapshot=snapshot, **options
        ).id

    already = {ImageStatus.PUBLISHING, ImageStatus.PUBLISHED}
    result: BatchResult = run_batch(
        session,
        image_ids,
        publish_one,
        already_done=lambda image: not options["dry_run"] and image.status in already,
    )
    events.emit(session, "batch.completed", {"action": "publish", **result.to_dict()})
    session.commit()
    for publication_id in started.values():
        enqueue(publication_id)
    return {
        **result.to_dict(),
        "publications": [
            {"image_id": image_id, "publication_id": publication_id}
            for image_id, publication_id in started.items()
        ],
    }


def get(session: Session, publication_id: str) -> Publication:
    publication = (
        session.get(Publication, publication_id) if v.looks_like_id(publication_id) else None
    )
    if publication is None:
        raise NotFound(
            f"publication {publication_id} not found", details={"publication_id": publication_id}
        )
    return publication


def retry(
    session: Session,
    context: PublishingContext,
    publication_id: str,
    principal: Principal,
    enqueue: Enqueue,
) -> Publication:
    """Queue a failed publication again; it resumes from the last step Printify confirmed."""
    publication = get(session, publication_id)
    if publication.status not in RETRYABLE:
        raise InvalidTransition(
            f"publication {publication.id} is {publication.status}; only failed ones are retried",
            details={"publication_id": publication.id, "status": publication.status},
        )
    if not publication.dry_run:
        image = images.get(session, publication.image_id)
        images.change_status(
            session, image, ImageStatus.PUBLISHING, principal.actor, action="publish.retry"
        )
    publication.status = PublicationStatus.QUEUED
    # A publish that failed was reported to Printify (unlocking the product): publish anew.
    publication.publish_requested = False
    publication.pending_call = None
    publication.attempts = 0
    publication.error_code = None
    publication.error_message = None
    publication.next_attempt_at = utcnow()
    publication.completed_at = None
    _audit(
        session,
        principal.actor,
        publication,
        "publication.retried",
        from_status="failed",
        to_status="queued",
    )
    publication_id = publication.id
    session.commit()
    enqueue(publication_id)
    return publication


def unpublish(
    session: Session, context: PublishingContext, publication_id: str, principal: Principal
) -> Publication:
    """Take a published product down: tell Printify it left the channel, delete it, and put the
    image back to `approved` so it can be published again."""
    publication = get(session, publication_id)
    if publication.status not in UNPUBLISHABLE or publication.dry_run:
        raise InvalidTransition(
            f"publication {publication.id} is {publication.status}; only published ones go down",
            details={"publication_id": publication.id, "status": publication.status},
        )
    product_id = publication.printify_product_id
    session.rollback()
    client = context.client_for(dry_run=False)
    if product_id:
        try:
            client.unpublish(product_id)
            client.delete_product(product_id)
        except PrintifyNotFound:
            pass
        except PrintifyError as error:
            raise external_error(error) from error
    publication = get(session, publication_id)
    mark_unpublished(session, publication, principal.actor, action="unpublished")
    session.commit()
    return publication


def mark_unpublished(
    session: Session, publication: Publication, actor: Actor, *, action: str
) -> None:
    """The product is gone from Printify: the publication ends `unpublished` and its image goes
    back to `approved`, ready to be published again (the caller commits)."""
    image = images.get(session, publication.image_id)
    if image.status == ImageStatus.PUBLISHED:
        images.change_status(session, image, ImageStatus.APPROVED, actor, action=action)
    publication.status = PublicationStatus.UNPUBLISHED
    _audit(
        session,
        actor,
        publication,
        f"publication.{action}",
        from_status="published",
        to_status="unpublished",
        details={"printify_product_id": publication.printify_product_id},
    )


BY_CREATED = Keyset(Publication.created_at, Publication.id)


def publications_query(*, status: str | None = None, image_id: str | None = None) -> Any:
    """`select(Publication)` narrowed by status and image."""
    query = select(Publication)
    if status:
        query = query.where(
            Publication.status == v.choice(status, "status", [s.value for s in PublicationStatus])
        )
    if image_id:
        query = query.where(Publication.image_id == image_id)
    return query


def list_publications(
    session: Session,
    *,
    status: str | None = None,
    image_id: str | None = None,
    page: int = 1,
    per_page: int = PAGE_SIZE,
    present: Callable[[Publication], dict[str, Any]] = presenter.to_dict,
) -> dict[str, Any]:
    """v1's offset page of publications, each as `present` shows it (a publication, a product)."""
    query = publications_query(status=status, image_id=image_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(BY_CREATED.ordered(query).offset((page - 1) * per_page).limit(per_page))
    return {
        "items": [present(row) for row in rows],
        "total": total,
        "page": page,
        "per_page": per_page,
    }


def for_image(session: Session, image_id: str) -> list[Publication]:
    return list(
        session.scalars(
            select(Publication)
            .where(Publication.image_id == image_id)
            .order_by(Publication.created_at.desc())
        )
    )
