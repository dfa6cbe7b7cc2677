"""Images: every design, generated or uploaded, with its files, metadata and review state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from gateway.app.database import UTCDateTime, new_id, utcnow
from gateway.app.extensions import db


class Image(db.Model):
    __tablename__ = "images"
    __table_args__ = (
        UniqueConstraint("job_id", "job_index", name="uq_images_job_index"),
        Index("ix_images_status_created", "status", "created_at", "id"),
        Index("ix_images_created", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("img"))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    source: Mapped[str] = mapped_column(String(16), default="generated")
    job_id: Mapped[str | None] = mapped_column(String(40), index=True)
    job_index: Mapped[int | None] = mapped_column(Integer)
    parent_id: Mapped[str | None] = mapped_column(String(40), index=True)
    prompt: Mapped[str | None] = mapped_column(Text)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    seed: Mapped[int | None] = mapped_column(BigInteger)
    backend: Mapped[str | None] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    dpi: Mapped[int | None] = mapped_column(Integer)
    mime: Mapped[str] = mapped_column(String(32))
    file_size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    original_key: Mapped[str] = mapped_column(String(200))
    thumbnail_key: Mapped[str] = mapped_column(String(200))
    phash: Mapped[int] = mapped_column(BigInteger)
    quality: Mapped[dict[str, Any]] = mapped_column(JSON)
    has_quality_warnings: Mapped[bool] = mapped_column(default=False)
    # The IP-risk screen's finding, `{"ip": [terms]}`, or NULL (not JSON null: the queue filters
    # on IS NOT NULL) when the prompt and listing name no protected term.
    risk: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    duplicate_count: Mapped[int] = mapped_column(Integer, default=0)
    reject_reason: Mapped[str | None] = mapped_column(String(64))
    review_note: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[str | None] = mapped_column(String(100))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ImageHashBand(db.Model):
    """One 8-bit band of an image's perceptual hash, indexed to find near-duplicate candidates."""

    __tablename__ = "image_hash_bands"
    __table_args__ = (Index("ix_hash_band_lookup", "band", "value"),)

    image_id: Mapped[str] = mapped_column(
        ForeignKey("images.id", ondelete="CASCADE"), primary_key=True
    )
    band: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    value: Mapped[int] = mapped_column(SmallInteger)


class ImageDuplicate(db.Model):
    """A near-duplicate pair, stored in both directions when the later image is ingested."""

    __tablename__ = "image_duplicates"

    image_id: Mapped[str] = mapped_column(
        ForeignKey("images.id", ondelete="CASCADE"), primary_key=True
    )
    duplicate_id: Mapped[str] = mapped_column(
        ForeignKey("images.id", ondelete="CASCADE"), primary_key=True
    )
    distance: Mapped[int] = mapped_column(SmallInteger)


class ImageStatusCount(db.Model):
    """How many images are in one status; triggers on `images` keep it exact (see images/counts.py)."""

    __tablename__ = "image_status_counts"

    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    total: Mapped[int] = mapped_column(Integer, default=0)
