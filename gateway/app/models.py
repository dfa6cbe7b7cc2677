"""Every feature's tables, imported together so migrations and `db.create_all` see them all."""

from gateway.app.accounts.models import ApiKey, Operator
from gateway.app.accounts.quotas import UsageCounter
from gateway.app.audit.models import AuditEntry
from gateway.app.circuit import CircuitBreakerRow
from gateway.app.events.models import OutboxEvent
from gateway.app.generation.models import GenerationJob
from gateway.app.idempotency import IdempotencyRecord
from gateway.app.images.models import Image, ImageDuplicate, ImageHashBand, ImageStatusCount
from gateway.app.operations.workers import WorkerHeartbeat
from gateway.app.publishing.models import (
    CatalogEntry,
    PacingHit,
    PrintifyEvent,
    ProductTemplate,
    Publication,
)
from gateway.app.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription

__all__ = [
    "ApiKey",
    "AuditEntry",
    "CatalogEntry",
    "CircuitBreakerRow",
    "GenerationJob",
    "IdempotencyRecord",
    "Image",
    "ImageDuplicate",
    "ImageHashBand",
    "ImageStatusCount",
    "Operator",
    "OutboxEvent",
    "PacingHit",
    "PrintifyEvent",
    "ProductTemplate",
    "Publication",
    "UsageCounter",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookSubscription",
    "WorkerHeartbeat",
]
