"""Printify's events at /api/printify/webhooks: signed, recorded once, and acted on.

`live_app` has PRINTIFY_WEBHOOK_SECRET set and publishes to the Printify emulator inline.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from gateway.app.audit.models import AuditEntry
from gateway.app.extensions import db
from gateway.app.publishing import inbound
from gateway.app.publishing.models import PrintifyEvent
from tests.conftest import PRINTIFY_WEBHOOK_SECRET, TEE_TEMPLATE, artwork, upload_approved
from tests.emulators.printify import SHOP_ID, TOKEN
from tests.emulators.process import EmulatorProcess

URL = "/api/printify/webhooks"


def event(topic: str, product_id: str, shop_id: int = SHOP_ID) -> dict:
    data = {"shop_id": shop_id}
    return {
        "id": str(uuid.uuid4()),
        "type": topic,
        "created_at": "2026-12-01 10:00:00+00:00",
        "resource": {"id": product_id, "type": "product", "data": data},
    }


def deliver(
    client: FlaskClient, body: bytes | dict, *, secret: str = PRINTIFY_WEBHOOK_SECRET
) -> tuple[int, dict]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    signature = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    response = client.post(
        URL,
        data=raw,
        headers={"X-Pfy-Signature": signature, "Content-Type": "application/json"},
    )
    return response.status_code, response.get_json()


@pytest.fixture
def published(live_client: FlaskClient, live_headers: dict[str, str]) -> dict:
    """An image published to the emulator; its publication."""
    template = live_client.post("/api/v2/templates", headers=live_headers, json=TEE_TEMPLATE)
    image_id = upload_approved(live_client, live_headers, artwork)
    accepted = live_client.post(
        f"/api/v2/images/{image_id}/publish",
        headers=live_headers,
        json={"template_id": template.get_json()["id"], "allow_low_resolution": True},
    ).get_json()
    found = live_client.get(accepted["status_url"], headers=live_headers).get_json()
    assert found["status"] == "published", found
    return found


def recorded(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(PrintifyEvent))


def test_a_product_deleted_in_printify_unpublishes_its_publication_once(
    live_app, live_client, live_headers, published
):
    deleted = event("product:deleted", published["printify_product_id"])
    assert deliver(live_client, deleted) == (
        200,
        {"event_id": deleted["id"], "outcome": "unpublished"},
    )
    found = live_client.get(
        f"/api/v2/publications/{published['publication_id']}", headers=live_headers
    ).get_json()
    assert found["status"] == "unpublished"
    image = live_client.get(f"/api/v2/images/{published['image_id']}", headers=live_headers)
    assert image.get_json()["status"] == "approved"
    assert deliver(live_client, deleted)[1]["outcome"] == "duplicate"
    with live_app.app_context():
        actions = db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.entity_id == published["publication_id"])
        ).all()
    assert actions.count("publication.deleted_in_printify") == 1


@pytest.mark.parametrize(
    ("topic", "shop_id", "outcome"),
    [
        ("product:deleted", SHOP_ID + 1, "other_shop"),
        ("product:publish:started", SHOP_ID, "ours"),
        ("order:created", SHOP_ID, "ignored"),
    ],
)
def test_other_events_are_recorded_and_change_nothing(
    live_app, live_client, live_headers, published, topic, shop_id, outcome
):
    status, body = deliver(live_client, event(topic, published["printify_product_id"], shop_id))
    assert (status, body["outcome"]) == (200, outcome)
    found = live_client.get(
        f"/api/v2/publications/{published['publication_id']}", headers=live_headers
    ).get_json()
    assert found["status"] == "published"
    assert recorded(live_app) == 1


def test_a_deleted_product_the_gateway_never_made_is_noted_only(live_app, live_client):
    assert deliver(live_client, event("product:deleted", "abc123"))[1]["outcome"] == (
        "unknown_product"
    )


@pytest.mark.parametrize(
    "signature",
    [None, "", "sha256=", "sha256=" + "0" * 64, "md5=abc", "sha256=" + "g" * 64, "sha256=é"],
)
def test_an_unsigned_or_wrongly_signed_event_is_refused_and_not_recorded(
    live_app, live_client, signature
):
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Pfy-Signature"] = signature
    response = live_client.post(
        URL, data=json.dumps(event("product:deleted", "p1")), headers=headers
    )
    assert response.status_code == 401
    assert response.get_json()["code"] == "UNAUTHORIZED"
    assert recorded(live_app) == 0


def test_an_event_signed_with_another_secret_is_refused(live_app, live_client):
    status, body = deliver(live_client, event("product:deleted", "p1"), secret="not-ours")
    assert (status, body["code"]) == (401, "UNAUTHORIZED")


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b"{not json", "body"),
        (b"[]", "body"),
        (b'{"type": "product:deleted", "resource": {}}', "id"),
        (b'{"id": "e1", "resource": {}}', "type"),
        (b'{"id": "e1", "type": "product:deleted"}', "resource"),
        (json.dumps({"id": "x" * 65, "type": "t", "resource": {}}).encode(), "id"),
    ],
)
def test_a_malformed_event_is_a_clear_400(live_app, live_client, raw, field):
    status, body = deliver(live_client, raw)
    assert status == 400
    assert field in body["details"]["fields"]
    assert recorded(live_app) == 0


def test_an_oversized_event_is_refused_before_it_is_read(live_app, live_client):
    status, body = deliver(live_client, b" " * (inbound.MAX_EVENT_BYTES + 1))
    assert (status, body["code"]) == (413, "FILE_TOO_LARGE")


def test_without_a_webhook_secret_the_route_does_not_exist(client):
    response = client.post(URL, json=event("product:deleted", "p1"))
    assert response.status_code == 404


def test_registration_subscribes_both_topics_and_replaces_its_own_hooks(
    live_app, live_client, printify_emulator: EmulatorProcess
):
    shop = f"{printify_emulator.url}/v1/shops/{SHOP_ID}/webhooks.json"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    requests.post(
        shop, json={"topic": "order:created", "url": "https://other.example/hook"}, headers=auth
    )
    client = live_app.extensions["publishing"].client
    url = "https://gateway.example/api/printify/webhooks"
    first = inbound.register(client, url, PRINTIFY_WEBHOOK_SECRET)
    again = inbound.register(client, url, PRINTIFY_WEBHOOK_SECRET)
    assert {hook["topic"] for hook in again} == set(inbound.TOPICS)
    assert {hook["id"] for hook in first}.isdisjoint({hook["id"] for hook in again})
    hooks = requests.get(shop, headers=auth, timeout=5).json()
    assert sorted((hook["topic"], hook["url"]) for hook in hooks) == sorted(
        [("order:created", "https://other.example/hook")]
        + [(topic, url) for topic in inbound.TOPICS]
    )
