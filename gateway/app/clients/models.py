"""Client-side state shared by every process through the database."""

from __future__ import annotations

from sqlalchemy import Double, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.app.extensions import db


class PacingHit(db.Model):
    """One request counted in a moving window (`clients.pacing.DatabaseStorage`), kept only while
    it is inside its window."""

    __tablename__ = "pacing_hits"
    __table_args__ = (Index("ix_pacing_hits_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(120))
    at: Mapped[float] = mapped_column(Double)
