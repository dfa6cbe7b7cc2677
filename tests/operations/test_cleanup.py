"""The retention policy removes old finished webhook work and keeps everything still under way."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from gateway.app.audit.service import SYSTEM
from gateway.app.database import utcnow
from gateway.app.events.models import OutboxEvent
from gateway.app.extensions import db
from gateway.app.operations.cleanup import apply_retention
from gateway.app.publishing.models import PrintifyEvent
from gateway.app.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription


def _delivery(
    subscription_id: str, status: str, completed_days_ago: float | None
) -> WebhookDelivery:
    completed = (
        None if completed_days_ago is None else utcnow() - timedelta(days=completed_days_ago)
    )
    return WebhookDelivery(
        subscription_id=subscription_id,
        event_id="evt_x",
        event_type="webhook.test",
        body="{}",
        status=status,
        completed_at=completed,
    )


def test_old_finished_deliveries_dispatched_and_printify_events_go_while_live_ones_stay(app):
    with app.app_context():
        subscription = WebhookSubscription(
            url="http://127.0.0.1:9/hook", events=["*"], secret="whsec_x", created_by="test"
        )
        db.session.add(subscription)
        db.session.flush()
        old_done = _delivery(subscription.id, "succeeded", 40)
        old_failed = _delivery(subscription.id, "failed", 40)
        recent = _delivery(subscription.id, "succeeded", 1)
        retrying = _delivery(subscription.id, "pending", None)
        db.session.add_all([old_done, old_failed, recent, retrying])
        db.session.flush()
        db.session.add(
            WebhookAttempt(
                delivery_id=old_done.id,
                number=1,
                started_at=utcnow(),
                duration_ms=5,
                result="success",
            )
        )
        long_ago = utcnow() - timedelta(days=40)
        db.session.add_all(
            [
                OutboxEvent(
                    event_type="webhook.test", data={}, dispatched=True, created_at=long_ago
                ),
                OutboxEvent(
                    event_type="webhook.test", data={}, dispatched=False, created_at=long_ago
                ),
                PrintifyEvent(
                    id="evt-old", topic="product:deleted", outcome="ignored", received_at=long_ago
                ),
                PrintifyEvent(id="evt-new", topic="product:deleted", outcome="ignored"),
            ]
        )
        db.session.commit()
        context = app.extensions["generation"]

        report = apply_retention(db.session, context.storage, context.settings, SYSTEM)

        assert report["webhook_deliveries_deleted"] == 2
        assert report["outbox_events_deleted"] == 1
        assert report["printify_events_deleted"] == 1
        assert list(db.session.scalars(select(PrintifyEvent.id))) == ["evt-new"]
        left = set(db.session.scalars(select(WebhookDelivery.status)))
        assert left == {"succeeded", "pending"}
        assert db.session.scalar(select(func.count()).select_from(WebhookAttempt)) == 0
        assert db.session.scalar(select(func.count()).select_from(OutboxEvent)) == 1
