"""Small helpers shared by the webhook tests."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from gateway.app.events import service as events
from gateway.app.extensions import db
from gateway.app.webhooks.models import WebhookDelivery, WebhookSubscription


def subscribe(
    client: FlaskClient, headers: dict[str, str], url: str, events_: list[str] | None = None
) -> dict[str, Any]:
    response = client.post(
        "/api/v1/webhooks", json={"url": url, "events": events_ or ["*"]}, headers=headers
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def emit(app: Flask, event_type: str, data: dict[str, Any] | None = None) -> str:
    """Commit one outbox event, as a domain change would."""
    with app.app_context():
        event_id = events.emit(db.session, event_type, data or {"id": "img_1", "status": "x"})
        db.session.commit()
        return event_id


def deliveries(app: Flask, subscription_id: str | None = None) -> list[WebhookDelivery]:
    with app.app_context():
        query = select(WebhookDelivery).order_by(WebhookDelivery.sequence)
        if subscription_id:
            query = query.where(WebhookDelivery.subscription_id == subscription_id)
        found = list(db.session.scalars(query))
        db.session.expunge_all()
        return found


def subscription(app: Flask, subscription_id: str) -> WebhookSubscription:
    with app.app_context():
        found = db.session.get(WebhookSubscription, subscription_id)
        db.session.expunge_all()
        return found
