"""Samples (Zapier's perform-list) are exactly what a delivery carries."""

from __future__ import annotations

import json

import pytest

from gateway.app.events.service import EVENT_TYPES
from gateway.app.webhooks import delivery
from tests.webhooks.helpers import emit, subscribe

ENVELOPE = {"event_type", "event_id", "timestamp", "data"}


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_every_event_type_has_a_sample_in_the_delivery_shape(client, admin_headers, event_type):
    response = client.get(f"/api/v1/webhooks/samples/{event_type}", headers=admin_headers)
    assert response.status_code == 200
    (sample,) = response.get_json()
    assert set(sample) == ENVELOPE
    assert sample["event_type"] == event_type
    assert isinstance(sample["data"], dict) and sample["data"]


def test_job_and_image_samples_have_the_api_shape(client, admin_headers):
    def sample(event_type):
        url = f"/api/v1/webhooks/samples/{event_type}"
        return client.get(url, headers=admin_headers).get_json()[0]["data"]

    assert {"job_id", "status", "image_ids", "error", "created_at"} <= set(
        sample("generation.completed")
    )
    assert sample("generation.failed")["error"]["code"] == "TIMEOUT"
    image = sample("image.approved")
    assert {"id", "status", "urls", "quality", "tags", "title"} <= set(image)
    assert image["urls"]["original"].startswith("http://gateway.test/api/v2/images/")
    assert sample("batch.completed")["counts"]["total"] == 2


def test_a_sample_has_the_same_keys_as_the_real_delivery(
    app, client, admin_headers, webhooks, receiver
):
    subscribe(client, admin_headers, receiver.url)
    event_id = emit(app, "image.approved", {"id": "img_real", "status": "approved"})
    delivery.sweep(webhooks)
    delivered = json.loads(receiver.received[0].body)
    samples = client.get(
        "/api/v1/webhooks/samples/image.approved", headers=admin_headers
    ).get_json()
    assert samples[0] == delivered
    assert samples[0]["event_id"] == event_id


def test_real_events_come_newest_first_and_at_most_three(app, client, admin_headers):
    sent = [emit(app, "generation.failed", {"n": n}) for n in range(5)]
    samples = client.get(
        "/api/v1/webhooks/samples/generation.failed", headers=admin_headers
    ).get_json()
    assert [s["event_id"] for s in samples] == sent[:-4:-1]


def test_an_unknown_event_type_is_a_404(client, admin_headers):
    response = client.get("/api/v1/webhooks/samples/image.exploded", headers=admin_headers)
    assert response.status_code == 404
    assert response.get_json()["code"] == "NOT_FOUND"
