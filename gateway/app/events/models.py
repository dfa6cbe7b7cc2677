"""The outbox: one row per domain event, committed with the state change that caused it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.app.database import UTCDateTime, new_id, utcnow
from gateway.app.extensions import db


class OutboxEvent(db.Model):
    __tablename__ = "outbox_events"
    __table_args__ = (Index("ix_outbox_dispatched", "dispatched", "sequence"),)

    sequence: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(40), unique=True, default=lambda: new_id("evt"))
    event_type: Mapped[str] = mapped_column(String(40), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    dispatched: Mapped[bool] = mapped_column(default=False)
