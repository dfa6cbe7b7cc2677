"""Running a publication on a worker: print file, upload, create, publish, report the outcome.

Each step's result (print file key, upload id, product id, "publish requested") is saved as soon as
Printify confirms it, so a retry, a restart or another worker resumes from the next step (steps.py
says how an unconfirmed call is reconciled). A product whose publish was requested is always told
the outcome (`publishing_succeeded` or `publishing_failed`), so it is never left locked.

The publication is held under a lease (claims.py) that a heartbeat renews while the worker runs,
so a slow upload never outlives it; its status moves only as its state machine allows.
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta
from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session

from gateway.app import metrics
from gateway.app.audit.service import SYSTEM
from gateway.app.clients.pacing import PacingDelay
from gateway.app.clients.printify_errors import (
    PrintifyConfigurationError,
    PrintifyError,
    PrintifyLocked,
    PrintifyNotFound,
    PrintifyUnavailable,
)
from gateway.app.database import utcnow
from gateway.app.events import service as events
from gateway.app.images import service as images
from gateway.app.images.models import Image
from gateway.app.images.states import ImageStatus
from gateway.app.leases import RELEASED, LeaseHeartbeat
from gateway.app.publishing import claims, presenter, pricing, steps
from gateway.app.publishing.context import PublishingContext
from gateway.app.publishing.models import Publication
from gateway.app.publishing.states import PUBLICATION_STATES, PublicationStatus
from gateway.app.state_machine import IllegalMove

log = logging.getLogger(__name__)
PUBLICATIONS = Publication.__table__
PLATFORM = "printify"


def _resume_step(row: Row[Any]) -> PublicationStatus:
    """Where a queued (or retried) publication starts: after the last step Printify confirmed."""
    if row.printify_product_id:
        return PublicationStatus.PUBLISHING
    if row.upload_id:
        return PublicationStatus.CREATING
    return PublicationStatus.UPLOADING


def _advance(context: PublishingContext, publication_id: str, owner: str) -> None:
    row = claims.load(context, publication_id)
    client = context.client_for(row.dry_run)
    if row.pending_call == "unlock":
        client.publishing_failed(row.printify_product_id, row.error_message or "failed")
        _finish_failed(context, row.id, owner, row.error_code, row.error_message)
        return
    if row.status == PublicationStatus.QUEUED:
        claims.move(context, row, owner, _resume_step(row))
        row = claims.load(context, publication_id)
    if row.status == PublicationStatus.UPLOADING:
        upload_id = row.upload_id or steps.upload(context, client, row, owner)
        claims.move(
            context, row, owner, PublicationStatus.CREATING, upload_id=upload_id, pending_call=None
        )
        row = claims.load(context, publication_id)
    if row.status == PublicationStatus.CREATING:
        product = steps.create(context, client, row, owner)
        pricing.learn_quietly(context.writer, product)
        claims.move(
            context,
            row,
            owner,
            PublicationStatus.PUBLISHING,
            printify_product_id=str(product["id"]),
            mockups=steps.mockups(product),
            pending_call=None,
        )
        row = claims.load(context, publication_id)
    if row.status == PublicationStatus.PUBLISHING:
        steps.publish(context, client, row, owner)
        final = PublicationStatus.DRY_RUN if row.dry_run else PublicationStatus.PUBLISHED
        recorded = getattr(client, "recorded", None)
        extra = {"requests": recorded} if row.dry_run and recorded is not None else {}
        _finish(context, row.id, owner, final, **extra)


def _finish(
    context: PublishingContext,
    publication_id: str,
    owner: str,
    status: PublicationStatus,
    *,
    error_code: str | None = None,
    error_message: str | None = None,
    **values: Any,
) -> bool:
    """Final state, image status, audit and `product.*` event in one transaction."""
    with Session(context.writer) as session:
        publication = session.get(Publication, publication_id, populate_existing=True)
        if publication is None or publication.lease_owner != owner:
            return False
        if not PUBLICATION_STATES.can_move(publication.status, status):
            raise IllegalMove(f"publication {publication_id}: {publication.status} to {status}")
        publication.status = status
        publication.error_code = error_code
        publication.error_message = error_message
        publication.pending_call = None
        publication.completed_at = utcnow()
        for name, value in {**RELEASED, **values}.items():
            setattr(publication, name, value)
        if not publication.dry_run:
            image = session.get(Image, publication.image_id)
            target = (
                ImageStatus.PUBLISHED
                if status == PublicationStatus.PUBLISHED
                else ImageStatus.PUBLISH_FAILED
            )
            if image is not None and image.status == ImageStatus.PUBLISHING:
                images.change_status(
                    session,
                    image,
                    target,
                    SYSTEM,
                    action=f"publication.{status}",
                    note=error_message,
                )
            session.flush()
            event = (
                "product.published" if status == PublicationStatus.PUBLISHED else "product.failed"
            )
            events.emit(session, event, presenter.to_dict(publication))
        session.commit()
        dry_run = publication.dry_run
    if not dry_run:
        if status == PublicationStatus.PUBLISHED:
            metrics.PRODUCTS_PUBLISHED.labels(platform=PLATFORM).inc()
        else:
            metrics.PRODUCTS_FAILED.labels(platform=PLATFORM, error_type=error_code or "").inc()
    log.info("publication %s finished %s %s", publication_id, status, error_message or "")
    return True


def _error_code(error: PrintifyError) -> str:
    if isinstance(error, PrintifyConfigurationError):
        return "CONFIGURATION_ERROR"
    if isinstance(error, PrintifyLocked):
        return "PRODUCT_LOCKED"
    if isinstance(error, PrintifyNotFound):
        return "NOT_FOUND"
    if isinstance(error, PrintifyUnavailable):
        return "EXTERNAL_SERVICE_ERROR"
    return "VALIDATION_ERROR"


def _fail(
    context: PublishingContext, publication_id: str, owner: str, code: str, message: str
) -> None:
    """Fail for good; a product whose publish was requested is unlocked first."""
    row = claims.load(context, publication_id)
    if row.publish_requested and row.printify_product_id and not row.dry_run:
        claims.save(
            context, row.id, owner, pending_call="unlock", error_code=code, error_message=message
        )
        try:
            context.client_for(False).publishing_failed(row.printify_product_id, message)
        except PrintifyUnavailable as error:
            _retry_later(context, row.id, owner, error, code=code, message=message)
            return
        except PrintifyError as error:
            log.warning("publication %s: publishing_failed refused: %s", row.id, error)
    _finish_failed(context, publication_id, owner, code, message)


def _finish_failed(
    context: PublishingContext,
    publication_id: str,
    owner: str,
    code: str | None,
    message: str | None,
) -> None:
    """End `failed` with the error that failed it (any unlock of the product done or given up)."""
    _finish(
        context,
        publication_id,
        owner,
        PublicationStatus.FAILED,
        error_code=code,
        error_message=message,
    )


def _retry_later(
    context: PublishingContext,
    publication_id: str,
    owner: str,
    error: PrintifyUnavailable,
    *,
    code: str = "EXTERNAL_SERVICE_ERROR",
    message: str | None = None,
) -> None:
    row = claims.load(context, publication_id)
    settings = context.settings
    backoff = min(
        settings.publish_retry_max_seconds,
        settings.publish_retry_base_seconds * 2 ** max(0, row.attempts - 1),
    )
    delay = error.retry_after if error.retry_after is not None else random.uniform(0, backoff)
    claims.save(
        context,
        publication_id,
        owner,
        next_attempt_at=utcnow() + timedelta(seconds=max(0.5, delay)),
        **RELEASED,
        error_code=code,
        error_message=message or str(error),
    )


def run_publication(context: PublishingContext, publication_id: str) -> bool:
    """Take the publication (if due and free) and carry it as far as Printify lets us now."""
    owner = claims.owner()
    if not claims.claim(context, publication_id, owner):
        return False
    heartbeat = LeaseHeartbeat(
        context.engine, PUBLICATIONS, publication_id, owner, context.settings.publish_lease_seconds
    )
    with heartbeat:
        try:
            _advance(context, publication_id, owner)
        except claims.LeaseLost:
            log.warning("publication %s: lease lost; another worker carries on", publication_id)
        except PacingDelay as delay:
            claims.save(
                context,
                publication_id,
                owner,
                attempts=claims.load(context, publication_id).attempts - 1,
                next_attempt_at=utcnow() + timedelta(seconds=delay.seconds),
                **RELEASED,
            )
        except PrintifyUnavailable as error:
            attempts = claims.load(context, publication_id).attempts
            if attempts >= context.settings.publish_max_attempts:
                message = f"gave up after {attempts} attempts: {error}"
                _fail(context, publication_id, owner, "EXTERNAL_SERVICE_ERROR", message)
            else:
                log.info("publication %s: %s; retrying later", publication_id, error)
                _retry_later(context, publication_id, owner, error)
        except PrintifyError as error:
            _fail(context, publication_id, owner, _error_code(error), str(error))
        except Exception as error:
            log.exception("publication %s crashed", publication_id)
            _fail(
                context, publication_id, owner, "INTERNAL_ERROR", str(error) or type(error).__name__
            )
    return True


def sweep(context: PublishingContext, *, budget: int = 20) -> int:
    """Run what is due (new, retrying, or abandoned by a dead worker); how many were taken."""
    taken = 0
    for publication_id in claims.due(context, budget):
        try:
            taken += run_publication(context, publication_id)
        except claims.LeaseLost:
            continue
    return taken
