"""Price and margin through v2: the same figures as v1, errors as problem+json naming the fields,
and the batch publish refused as a whole when a variant earns less than the minimum."""

from __future__ import annotations

from collections.abc import Callable

from tests.api.v1.test_pricing import RULE_TEMPLATE
from tests.api.v2.conftest import with_key
from tests.conftest import upload_approved


def test_v2_learns_costs_and_shows_the_same_figures_as_v1(live_client, live_headers):
    created = live_client.post("/api/v2/templates", headers=live_headers, json=RULE_TEMPLATE)
    template_id = created.get_json()["id"]
    refreshed = live_client.post(
        f"/api/v2/templates/{template_id}/pricing/refresh",
        headers=with_key(live_headers),
        json={},
    )
    assert refreshed.status_code == 200, refreshed.get_json()
    v2 = live_client.get(f"/api/v2/templates/{template_id}/pricing", headers=live_headers)
    v1 = live_client.get(f"/api/v1/templates/{template_id}/pricing", headers=live_headers)
    assert v2.get_json() == v1.get_json()
    assert [row["profit"] for row in v2.get_json()["variants"]] == [774, 974]


def test_v2_pricing_errors_are_problems_naming_the_field(live_client, live_headers):
    absurd = {**RULE_TEMPLATE, "pricing": {"markup_percent": 100000}}
    refused = live_client.post("/api/v2/templates", headers=live_headers, json=absurd)
    assert refused.status_code == 400
    assert refused.headers["Content-Type"] == "application/problem+json"
    fields = [error["field"] for error in refused.get_json()["errors"]]
    assert fields == ["pricing.markup_percent"]
    missing = live_client.get("/api/v2/templates/tpl_nope/pricing", headers=live_headers)
    assert missing.status_code == 404
    assert missing.get_json()["code"] == "NOT_FOUND"
    assert live_client.get("/api/v2/templates", headers=live_headers).get_json()["items"] == []


def test_v2_batch_publish_below_the_minimum_is_refused_naming_the_variants(
    live_client, live_headers, make_artwork: Callable[..., bytes]
):
    template_id = live_client.post(
        "/api/v2/templates", headers=live_headers, json=RULE_TEMPLATE
    ).get_json()["id"]
    live_client.post(
        f"/api/v2/templates/{template_id}/pricing/refresh", headers=live_headers, json={}
    )
    image_id = upload_approved(live_client, live_headers, make_artwork)
    refused = live_client.post(
        "/api/v2/batch/publish",
        headers=with_key(live_headers),
        json={"image_ids": [image_id], "template_id": template_id, "allow_low_resolution": True},
    )
    assert refused.status_code == 400
    problem = refused.get_json()
    assert problem["code"] == "VALIDATION_ERROR" and "12100" in problem["detail"]
    image = live_client.get(f"/api/v2/images/{image_id}", headers=live_headers).get_json()
    assert image["status"] == "approved"
