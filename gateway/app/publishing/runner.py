"""Running a publication on a worker: print file, upload, create, publish, report the outcome.

Each step's result (print file key, upload id, product id, "publish requested") is saved as soon as
Printify confirms it, so a retry, a restart or another worker resumes from the next step. Printify
has no idempotency keys, so before each call that creates something the step is written down as
`pending_call`; if the answer never arrives (timeout, 5xx, a dead worker), the next attempt first
looks in Printify for what the call would have made (the upload by file name, the product by its
marker tag, the lock of a started publish) and adopts it instead of sending again. A product whose
publish was requested is always told the outcome (`publishing_succeeded` or `publishing_failed`),
so it is never left locked.

Work is leased like generation jobs: a claim is a conditional update; a heartbeat renews the lease
while the worker runs (a slow upload never outlives it); every save is conditional on still holding
it; only a dead worker's expired lease makes the publication due again.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import random
import socket
import threading
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import Row, and_, func, or_, select, update
from sqlalchemy.orm import Session

from gateway.app import metrics, versioning
from gateway.app.audit.service import SYSTEM
from gateway.app.clients.pacing import PacingDelay
from gateway.app.clients.printify import (
    PrintifyClient,
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
from gateway.app.leases import LeaseHeartbeat
from gateway.app.publishing import presenter, pricing, printfiles
from gateway.app.publishing import templates as product_templates
from gateway.app.publishing.context import PublishingContext
from gateway.app.publishing.models import Publication
from gateway.app.publishing.states import ACTIVE, PublicationStatus

log = logging.getLogger(__name__)
PUBLICATIONS = Publication.__table__
IMAGES = Image.__table__
WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"
PRINT_FILE_SALT = "publication-print-file"
# Printify fetches a URL upload within the upload call; an hour leaves room for slow fetches.
PRINT_FILE_URL_SECONDS = 3600
MAX_MOCKUPS = 24
PLATFORM = "printify"


class LeaseLost(Exception):
    """Another worker owns the publication now (our lease expired); stop without writing."""


def _owner() -> str:
    return f"{WORKER_ID}:{threading.get_ident()}"


def _claimable(now: Any) -> Any:
    return and_(
        PUBLICATIONS.c.status.in_([str(status) for status in ACTIVE]),
        PUBLICATIONS.c.next_attempt_at <= now,
        or_(PUBLICATIONS.c.lease_owner.is_(None), PUBLICATIONS.c.lease_expires_at < now),
    )


def claim(context: PublishingContext, publication_id: str, owner: str) -> bool:
    now = utcnow()
    with context.engine.begin() as connection:
        result = connection.execute(
            update(PUBLICATIONS)
            .where(PUBLICATIONS.c.id == publication_id, _claimable(now))
            .values(
                lease_owner=owner,
                lease_expires_at=now + timedelta(seconds=context.settings.publish_lease_seconds),
                attempts=PUBLICATIONS.c.attempts + 1,
                started_at=func.coalesce(PUBLICATIONS.c.started_at, now),
                updated_at=now,
            )
        )
    return result.rowcount == 1


def due(context: PublishingContext, limit: int) -> list[str]:
    """Publications a worker may take now, oldest due first."""
    with context.engine.connect() as connection:
        return list(
            connection.execute(
                select(PUBLICATIONS.c.id)
                .where(_claimable(utcnow()))
                .order_by(PUBLICATIONS.c.next_attempt_at)
                .limit(limit)
            ).scalars()
        )


def _load(context: PublishingContext, publication_id: str) -> Row[Any]:
    with context.engine.connect() as connection:
        return connection.execute(
            select(PUBLICATIONS).where(PUBLICATIONS.c.id == publication_id)
        ).one()


def _save(context: PublishingContext, publication_id: str, owner: str, **values: Any) -> None:
    """Write step results while holding the lease (and renew it); LeaseLost otherwise."""
    now = utcnow()
    values.setdefault(
        "lease_expires_at", now + timedelta(seconds=context.settings.publish_lease_seconds)
    )
    with context.engine.begin() as connection:
        result = connection.execute(
            update(PUBLICATIONS)
            .where(PUBLICATIONS.c.id == publication_id, PUBLICATIONS.c.lease_owner == owner)
            .values(updated_at=now, **values)
        )
    if result.rowcount != 1:
        raise LeaseLost(publication_id)


def print_file_token(context: PublishingContext, publication_id: str) -> str:
    return URLSafeTimedSerializer(
        context.settings.resolved_secret_key(), salt=PRINT_FILE_SALT
    ).dumps(publication_id)


def publication_for_token(context: PublishingContext, token: str, max_age: float) -> str | None:
    """The publication id a print-file URL's token was issued for, if valid and fresh."""
    serializer = URLSafeTimedSerializer(
        context.settings.resolved_secret_key(), salt=PRINT_FILE_SALT
    )
    try:
        return str(serializer.loads(token, max_age=max_age))
    except Exception:
        return None


def _base_url_is_public(base_url: str) -> bool:
    host = urlsplit(base_url).hostname or ""
    try:
        return ipaddress.ip_address(host).is_global
    except ValueError:
        return "." in host and not host.endswith((".local", ".internal", ".localhost"))


def _upload_url(context: PublishingContext, publication_id: str, key: str) -> str | None:
    """Where Printify may fetch the print file, or None to send it inline (base64).

    With S3 storage Printify fetches a presigned URL of the object itself; else, or in `auto`
    mode when that URL is not public, a token URL of the gateway's own print-file endpoint.
    """
    mode = context.settings.printify_upload_mode
    if mode == "base64":
        return None
    presigned = context.storage.presigned_url(
        key, expires_in=PRINT_FILE_URL_SECONDS, content_type="image/png"
    )
    if presigned and (mode == "url" or _base_url_is_public(presigned)):
        return presigned
    base_url = context.settings.resolved_base_url
    if mode == "auto" and not _base_url_is_public(base_url):
        return None
    token = print_file_token(context, publication_id)
    return (
        f"{base_url}{versioning.CURRENT_API}/publications/{publication_id}/print-file?token={token}"
    )


def _image(context: PublishingContext, image_id: str) -> Row[Any]:
    with context.engine.connect() as connection:
        return connection.execute(select(IMAGES).where(IMAGES.c.id == image_id)).one()


def _render(context: PublishingContext, row: Row[Any], owner: str) -> str:
    image = _image(context, row.image_id)
    template = row.template
    placeholder = template["placeholder"]
    print_file = printfiles.render_print_file(
        context.storage.get(image.original_key),
        placeholder["width"],
        placeholder["height"],
        product_templates.placement_of(template),
        dpi=context.settings.print_dpi,
        dpi_floor=context.settings.print_dpi_floor,
    )
    key = f"publications/{row.id}.png"
    context.storage.put(key, print_file.data, "image/png")
    _save(context, row.id, owner, print_key=key, readiness=print_file.readiness.to_dict())
    return key


def _send(context: PublishingContext, row: Row[Any], owner: str, call: str, send: Any) -> Any:
    """Send a call that creates something, with `pending_call` written down around it."""
    _save(context, row.id, owner, pending_call=call)
    try:
        return send()
    except PrintifyUnavailable as error:
        if not error.ambiguous:
            _save(context, row.id, owner, pending_call=None)
        raise
    except PrintifyError:
        _save(context, row.id, owner, pending_call=None)
        raise


def _reconciled(context: PublishingContext, row: Row[Any], owner: str, call: str) -> bool:
    """Whether an unconfirmed `call` must be looked for in Printify before sending again."""
    if row.pending_call != call:
        return False
    _save(context, row.id, owner, reconciliations=row.reconciliations + 1)
    log.info("publication %s: reconciling an unconfirmed %s", row.id, call)
    return True


def _upload(context: PublishingContext, client: PrintifyClient, row: Row[Any], owner: str) -> str:
    file_name = f"{row.marker}.png"
    if _reconciled(context, row, owner, "upload"):
        found = client.find_upload(file_name)
        if found:
            return str(found["id"])
    key = row.print_key or _render(context, row, owner)
    url = None if client.dry_run else _upload_url(context, row.id, key)
    contents = None if url else context.storage.get(key)
    result = _send(
        context,
        row,
        owner,
        "upload",
        lambda: client.upload_image(file_name, url=url, contents=contents),
    )
    return str(result["id"])


def product_body(row: Row[Any], image: Row[Any], upload_id: str) -> dict[str, Any]:
    """The create-product request: the print file fills the print area (placement is baked in)."""
    template = row.template
    copy = product_templates.product_copy(template, image, row.marker)
    variant_ids = [variant["id"] for variant in template["variants"]]
    return {
        **copy,
        "blueprint_id": template["blueprint_id"],
        "print_provider_id": template["print_provider_id"],
        "variants": [
            {"id": variant["id"], "price": variant["price"], "is_enabled": True}
            for variant in template["variants"]
        ],
        "print_areas": [
            {
                "variant_ids": variant_ids,
                "placeholders": [
                    {
                        "position": template["position"],
                        "images": [{"id": upload_id, "x": 0.5, "y": 0.5, "scale": 1.0, "angle": 0}],
                    }
                ],
            }
        ],
    }


def _mockups(product: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "src": item.get("src"),
            "position": item.get("position"),
            "variant_ids": (item.get("variant_ids") or [])[:50],
            "is_default": bool(item.get("is_default")),
        }
        for item in (product.get("images") or [])[:MAX_MOCKUPS]
        if isinstance(item, dict) and item.get("src")
    ]


def _create(
    context: PublishingContext, client: PrintifyClient, row: Row[Any], owner: str
) -> dict[str, Any]:
    if _reconciled(context, row, owner, "create"):
        found = client.find_product(row.marker)
        if found:
            return found
    body = product_body(row, _image(context, row.image_id), row.upload_id)
    return _send(context, row, owner, "create", lambda: client.create_product(body))


def _publish(context: PublishingContext, client: PrintifyClient, row: Row[Any], owner: str) -> None:
    product_id = row.printify_product_id
    requested = row.publish_requested
    if _reconciled(context, row, owner, "publish"):
        product = client.get_product(product_id)
        requested = bool(product.get("is_locked") or product.get("external"))
    if not requested:
        _send(context, row, owner, "publish", lambda: client.publish(product_id))
    _save(context, row.id, owner, publish_requested=True, pending_call=None)
    handle = f"{context.settings.resolved_base_url}/review/images/{row.image_id}"
    client.publishing_succeeded(product_id, row.id, handle)


def _resume_step(row: Row[Any]) -> PublicationStatus:
    """Where a queued (or retried) publication starts: after the last step Printify confirmed."""
    if row.printify_product_id:
        return PublicationStatus.PUBLISHING
    if row.upload_id:
        return PublicationStatus.CREATING
    return PublicationStatus.UPLOADING


def _advance(context: PublishingContext, publication_id: str, owner: str) -> None:
    row = _load(context, publication_id)
    client = context.client_for(row.dry_run)
    if row.pending_call == "unlock":
        client.publishing_failed(row.printify_product_id, row.error_message or "failed")
        _finish(
            context,
            row.id,
            owner,
            PublicationStatus.FAILED,
            error_code=row.error_code,
            error_message=row.error_message,
        )
        return
    if row.status == PublicationStatus.QUEUED:
        _save(context, row.id, owner, status=_resume_step(row))
        row = _load(context, publication_id)
    if row.status == PublicationStatus.UPLOADING:
        upload_id = row.upload_id or _upload(context, client, row, owner)
        _save(
            context,
            row.id,
            owner,
            upload_id=upload_id,
            pending_call=None,
            status=PublicationStatus.CREATING,
        )
        row = _load(context, publication_id)
    if row.status == PublicationStatus.CREATING:
        product = _create(context, client, row, owner)
        pricing.learn_quietly(context.writer, product)
        _save(
            context,
            row.id,
            owner,
            printify_product_id=str(product["id"]),
            mockups=_mockups(product),
            pending_call=None,
            status=PublicationStatus.PUBLISHING,
        )
        row = _load(context, publication_id)
    if row.status == PublicationStatus.PUBLISHING:
        _publish(context, client, row, owner)
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
        publication.status = status
        publication.error_code = error_code
        publication.error_message = error_message
        publication.pending_call = None
        publication.lease_owner = None
        publication.lease_expires_at = None
        publication.completed_at = utcnow()
        for name, value in values.items():
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
    row = _load(context, publication_id)
    if row.publish_requested and row.printify_product_id and not row.dry_run:
        _save(context, row.id, owner, pending_call="unlock", error_code=code, error_message=message)
        try:
            context.client_for(False).publishing_failed(row.printify_product_id, message)
        except PrintifyUnavailable as error:
            _retry_later(context, row.id, owner, error, code=code, message=message)
            return
        except PrintifyError as error:
            log.warning("publication %s: publishing_failed refused: %s", row.id, error)
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
    row = _load(context, publication_id)
    settings = context.settings
    backoff = min(
        settings.publish_retry_max_seconds,
        settings.publish_retry_base_seconds * 2 ** max(0, row.attempts - 1),
    )
    delay = error.retry_after if error.retry_after is not None else random.uniform(0, backoff)
    _save(
        context,
        publication_id,
        owner,
        next_attempt_at=utcnow() + timedelta(seconds=max(0.5, delay)),
        lease_owner=None,
        lease_expires_at=None,
        error_code=code,
        error_message=message or str(error),
    )


def run_publication(context: PublishingContext, publication_id: str) -> bool:
    """Take the publication (if due and free) and carry it as far as Printify lets us now."""
    owner = _owner()
    if not claim(context, publication_id, owner):
        return False
    heartbeat = LeaseHeartbeat(
        context.engine, PUBLICATIONS, publication_id, owner, context.settings.publish_lease_seconds
    )
    with heartbeat:
        try:
            _advance(context, publication_id, owner)
        except LeaseLost:
            log.warning("publication %s: lease lost; another worker carries on", publication_id)
        except PacingDelay as delay:
            _save(
                context,
                publication_id,
                owner,
                attempts=_load(context, publication_id).attempts - 1,
                next_attempt_at=utcnow() + timedelta(seconds=delay.seconds),
                lease_owner=None,
                lease_expires_at=None,
            )
        except PrintifyUnavailable as error:
            attempts = _load(context, publication_id).attempts
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
    for publication_id in due(context, budget):
        try:
            taken += run_publication(context, publication_id)
        except LeaseLost:
            continue
    return taken
