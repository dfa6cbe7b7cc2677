"""The retention policy: what old data the gateway removes, and when."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from gateway.app.audit.service import Actor
from gateway.app.database import utcnow
from gateway.app.events.models import OutboxEvent
from gateway.app.generation.models import GenerationJob
from gateway.app.generation.states import FINAL_JOB_STATUSES
from gateway.app.idempotency import purge_expired
from gateway.app.images import service as images
from gateway.app.images.models import Image
from gateway.app.images.states import ImageStatus
from gateway.app.imaging.storage import Storage
from gateway.app.publishing import publication_files
from gateway.app.publishing.models import PrintifyEvent
from gateway.app.settings import Settings
from gateway.app.webhooks.models import WebhookAttempt, WebhookDelivery

FINISHED_DELIVERIES = ("succeeded", "failed", "cancelled")


def apply_retention(
    session: Session, storage: Storage, settings: Settings, actor: Actor
) -> dict[str, int]:
    """Delete rejected images after RETENTION_REJECTED_DAYS, finished jobs without images after
    RETENTION_JOBS_DAYS, finished webhook deliveries (with their attempts), dispatched outbox
    events and received Printify events after RETENTION_WEBHOOK_DAYS, and idempotency records
    after 24 h; approved, pending and published work, and deliveries still under way, are never
    touched."""
    now = utcnow()
    rejected_before = now - timedelta(days=settings.retention_rejected_days)
    doomed_files: list[str] = []
    old_rejected = list(
        session.scalars(
            select(Image).where(
                Image.status == ImageStatus.REJECTED, Image.updated_at < rejected_before
            )
        )
    )
    for image in old_rejected:
        doomed_files.extend(publication_files.of_image(session, image.id))
        doomed_files.extend(images.delete_image(session, storage, image, actor))
    jobs_before = now - timedelta(days=settings.retention_jobs_days)
    removed_jobs = session.execute(
        delete(GenerationJob)
        .where(
            GenerationJob.status.in_([str(status) for status in FINAL_JOB_STATUSES]),
            GenerationJob.completed_at < jobs_before,
            ~exists().where(Image.job_id == GenerationJob.id),
        )
        .execution_options(synchronize_session=False)
    )
    expired_keys = purge_expired()
    webhook_before = now - timedelta(days=settings.retention_webhook_days)
    finished = select(WebhookDelivery.id).where(
        WebhookDelivery.status.in_(FINISHED_DELIVERIES),
        WebhookDelivery.completed_at < webhook_before,
    )
    session.execute(
        delete(WebhookAttempt)
        .where(WebhookAttempt.delivery_id.in_(finished))
        .execution_options(synchronize_session=False)
    )
    removed_deliveries = session.execute(
        delete(WebhookDelivery)
        .where(WebhookDelivery.id.in_(finished.scalar_subquery()))
        .execution_options(synchronize_session=False)
    )
    removed_events = session.execute(
        delete(OutboxEvent)
        .where(OutboxEvent.dispatched.is_(True), OutboxEvent.created_at < webhook_before)
        .execution_options(synchronize_session=False)
    )
    removed_printify_events = session.execute(
        delete(PrintifyEvent)
        .where(PrintifyEvent.received_at < webhook_before)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    for key in doomed_files:
        storage.delete(key)
    return {
        "images_deleted": len(old_rejected),
        "files_deleted": len(doomed_files),
        "jobs_deleted": removed_jobs.rowcount,
        "idempotency_keys_deleted": expired_keys,
        "webhook_deliveries_deleted": removed_deliveries.rowcount,
        "outbox_events_deleted": removed_events.rowcount,
        "printify_events_deleted": removed_printify_events.rowcount,
    }
