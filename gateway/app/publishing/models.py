"""Product templates, publications (one durable publish job per image and template), the catalog cache."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Double, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gateway.app.database import UTCDateTime, new_id, utcnow
from gateway.app.extensions import db


class ProductTemplate(db.Model):
    """How an approved design becomes a product: blueprint, provider, variants, layout, copy.

    `placeholder_width`/`placeholder_height` are the catalog's print-area pixels for `position`
    (the largest among the enabled variants), saved with the template when it was validated.
    """

    __tablename__ = "product_templates"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("tpl"))
    name: Mapped[str] = mapped_column(String(120), unique=True)
    blueprint_id: Mapped[int] = mapped_column(Integer)
    print_provider_id: Mapped[int] = mapped_column(Integer)
    blueprint_title: Mapped[str] = mapped_column(String(200), default="")
    print_provider_title: Mapped[str] = mapped_column(String(200), default="")
    variants: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    position: Mapped[str] = mapped_column(String(32), default="front")
    placement: Mapped[dict[str, float]] = mapped_column(JSON)
    placeholder_width: Mapped[int] = mapped_column(Integer)
    placeholder_height: Mapped[int] = mapped_column(Integer)
    title_template: Mapped[str] = mapped_column(String(300), default="{title}")
    description_template: Mapped[str] = mapped_column(Text, default="{description}")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    pricing: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    catalog_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Publication(db.Model):
    """Publishing one image with one template: every step's result is kept, so a retry resumes.

    `marker` is a tag put on the Printify product; `pending_call` names the non-idempotent call that
    was sent but not confirmed (upload, create, publish). While it is set, the next attempt first
    reconciles against Printify (looks for the upload or the marked product) and only then sends
    again, so a lost response never makes a second product. `template` is the template as it was
    when publishing was asked for; `requests` holds what a dry run would have sent.
    """

    __tablename__ = "publications"
    __table_args__ = (
        Index("ix_publications_due", "status", "next_attempt_at"),
        Index("ix_publications_created", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("pub"))
    image_id: Mapped[str] = mapped_column(ForeignKey("images.id", ondelete="CASCADE"), index=True)
    template_id: Mapped[str] = mapped_column(String(40), index=True)
    template: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    dry_run: Mapped[bool] = mapped_column(default=False)
    marker: Mapped[str] = mapped_column(String(64), unique=True)
    readiness: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    print_key: Mapped[str | None] = mapped_column(String(200))
    upload_id: Mapped[str | None] = mapped_column(String(64))
    printify_product_id: Mapped[str | None] = mapped_column(String(64), index=True)
    mockups: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    pending_call: Mapped[str | None] = mapped_column(String(16))
    publish_requested: Mapped[bool] = mapped_column(default=False)
    requests: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    reconciliations: Mapped[int] = mapped_column(Integer, default=0)
    error_code: Mapped[str | None] = mapped_column(String(40))
    error_message: Mapped[str | None] = mapped_column(Text)
    lease_owner: Mapped[str | None] = mapped_column(String(120))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CatalogEntry(db.Model):
    """One cached Printify catalog answer (blueprints, providers of one, variants of a pair)."""

    __tablename__ = "catalog_cache"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    data: Mapped[Any] = mapped_column(JSON)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CatalogVariantKey:
    """The key of a figure learned per catalog variant: blueprint, print provider and variant.

    `sort_order` puts these columns first, as the tables were made: they lead the primary key,
    where a mixin's columns would otherwise follow the table's own.
    """

    blueprint_id: Mapped[int] = mapped_column(Integer, primary_key=True, sort_order=-1)
    print_provider_id: Mapped[int] = mapped_column(Integer, primary_key=True, sort_order=-1)
    variant_id: Mapped[int] = mapped_column(Integer, primary_key=True, sort_order=-1)


class VariantCost(CatalogVariantKey, db.Model):
    """A variant's production cost (cents) as Printify's last product answer gave it."""

    __tablename__ = "variant_costs"

    cost: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200), default="")
    learned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class VariantShipping(CatalogVariantKey, db.Model):
    """First-item shipping (cents) of a variant to one country, from the catalog's shipping.json."""

    __tablename__ = "variant_shipping"

    country: Mapped[str] = mapped_column(String(40), primary_key=True)
    first_item: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(8), default="USD")
    learned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PrintifyEvent(db.Model):
    """A webhook event Printify sent us, kept so a redelivery is recognised and acted on once
    (Printify signs events but has no timestamp header, so the id is the only replay guard)."""

    __tablename__ = "printify_events"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    topic: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class PacingHit(db.Model):
    """One request counted in a moving window (`publishing.pacing_store`), kept only while
    it is inside its window."""

    __tablename__ = "pacing_hits"
    __table_args__ = (Index("ix_pacing_hits_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(120))
    at: Mapped[float] = mapped_column(Double)
