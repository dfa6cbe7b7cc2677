"""Price and margin through API v1 (contract 11.1): pricing rules on templates, costs learned from
Printify (the emulator) and kept, and publishing refused below the minimum profit.

Blueprint 6 at provider 99 costs 11.50 (XL 13.50) and ships to the US for 4.75 in the emulator, so
a 100 % markup rounded to .99 prices 12100 at 23.99 (profit 7.74) and 12113 (XL) at 27.99 (9.74).
"""

from __future__ import annotations

from collections.abc import Callable

import requests
from flask import Flask
from flask.testing import FlaskClient

from gateway.app.extensions import db
from gateway.app.publishing.models import VariantCost
from tests.api.v1.test_publishing import (
    OFFLINE_TEMPLATE,
    ask_to_publish,
    create_template,
    products,
    publish,
    settle,
)
from tests.conftest import TEE_TEMPLATE, upload_approved
from tests.emulators.process import EmulatorProcess

RULE_TEMPLATE = {
    **TEE_TEMPLATE,
    "name": "Tee by rule",
    "variants": [{"id": 12100}, {"id": 12113}],
    "pricing": {"markup_percent": 100, "round_to_cents": 99, "min_profit_cents": 800},
}


def requests_to(emulator: EmulatorProcess, route: str) -> list[dict]:
    log = requests.get(f"{emulator.url}/_emulator/requests?limit=1000", timeout=5).json()
    return [entry for entry in log if entry["route"] == route]


def figures(client: FlaskClient, headers: dict, template_id: str) -> dict[int, dict]:
    response = client.get(f"/api/v1/templates/{template_id}/pricing", headers=headers)
    assert response.status_code == 200, response.get_json()
    return {row["id"]: row for row in response.get_json()["variants"]}


def refreshed_template(client: FlaskClient, headers: dict, body: dict) -> dict:
    """A template made from `body` whose costs and shipping were then learned from the emulator."""
    template = create_template(client, headers, body)
    response = client.post(
        f"/api/v1/templates/{template['id']}/pricing/refresh", headers=headers, json={}
    )
    assert response.status_code == 200, response.get_json()
    return template


def test_a_rule_priced_template_keeps_its_rule_and_variants_listed_by_id(live_client, live_headers):
    template = create_template(live_client, live_headers, RULE_TEMPLATE)
    assert template["variants"] == [{"id": 12100}, {"id": 12113}]
    assert template["pricing"] == {
        "markup_percent": 100.0,
        "round_to_cents": 99,
        "min_profit_cents": 800,
    }


def test_pricing_is_unknown_until_learned(live_client, live_headers):
    template = create_template(live_client, live_headers, RULE_TEMPLATE)
    response = live_client.get(f"/api/v1/templates/{template['id']}/pricing", headers=live_headers)
    body = response.get_json()
    assert (body["currency"], body["country"]) == ("USD", "US")
    assert [row["known"] for row in body["variants"]] == [False, False]
    assert {row["price"] for row in body["variants"]} == {None}
    assert {row["profit"] for row in body["variants"]} == {None}


def test_refresh_learns_cost_and_shipping_from_a_draft_it_deletes(
    live_client, live_headers, printify_emulator
):
    template = create_template(live_client, live_headers, RULE_TEMPLATE)
    response = live_client.post(
        f"/api/v1/templates/{template['id']}/pricing/refresh", headers=live_headers, json={}
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    draft = body["learned"]["draft_product_id"]
    assert draft and body["learned"]["shipping_variants"] == 12
    rows = {row["id"]: row for row in body["variants"]}
    assert rows[12100] | {"title": None} == {
        "id": 12100,
        "title": None,
        "price": 2399,
        "cost": 1150,
        "shipping": 475,
        "profit": 774,
        "margin_percent": 32.3,
        "known": True,
        "rule_priced": True,
        "below_min_profit": True,
    }
    assert rows[12100]["title"] == "White / S"
    assert (rows[12113]["price"], rows[12113]["profit"]) == (2799, 974)
    assert figures(live_client, live_headers, template["id"]) == rows
    assert products(printify_emulator) == []
    assert [entry["status"] for entry in requests_to(printify_emulator, "delete_product")] == [200]
    assert len(requests_to(printify_emulator, "archive_upload")) == 1


def test_refresh_asks_no_draft_once_every_cost_is_known(
    live_client, live_headers, printify_emulator
):
    template = refreshed_template(live_client, live_headers, RULE_TEMPLATE)
    url = f"/api/v1/templates/{template['id']}/pricing/refresh"
    again = live_client.post(url, headers=live_headers, json={}).get_json()
    assert again["learned"]["draft_product_id"] is None
    assert len(requests_to(printify_emulator, "create_product")) == 1


def test_publishing_below_the_minimum_profit_is_refused_naming_the_variants(
    live_app: Flask, live_client, live_headers, make_artwork: Callable[..., bytes]
):
    template = refreshed_template(live_client, live_headers, RULE_TEMPLATE)
    image_id = upload_approved(live_client, live_headers, make_artwork)
    response = ask_to_publish(live_client, live_headers, image_id, template_id=template["id"])
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == "VALIDATION_ERROR"
    assert "12100" in body["error"] and "12113" not in body["error"]
    assert [row["id"] for row in body["details"]["variants"]] == [12100]
    image = live_client.get(f"/api/v1/images/{image_id}", headers=live_headers).get_json()
    assert image["status"] == "approved"


def test_publishing_above_the_minimum_sends_the_rule_prices(
    live_app: Flask,
    live_client,
    live_headers,
    printify_emulator,
    make_artwork: Callable[..., bytes],
):
    body = {**RULE_TEMPLATE, "pricing": {**RULE_TEMPLATE["pricing"], "min_profit_cents": 500}}
    template = refreshed_template(live_client, live_headers, body)
    image_id = upload_approved(live_client, live_headers, make_artwork)
    started = publish(
        live_client, live_headers, image_id, template_id=template["id"], allow_low_resolution=True
    )
    done = settle(live_app, live_client, live_headers, started["publication_id"])
    assert done["status"] == "published", done
    (product,) = products(printify_emulator)
    prices = {v["id"]: v["price"] for v in product["variants"] if v["is_enabled"]}
    assert prices == {12100: 2399, 12113: 2799}


def test_a_rule_price_whose_cost_is_unknown_is_refused_until_refreshed(
    live_client, live_headers, make_artwork: Callable[..., bytes]
):
    template = create_template(live_client, live_headers, RULE_TEMPLATE)
    image_id = upload_approved(live_client, live_headers, make_artwork)
    response = ask_to_publish(live_client, live_headers, image_id, template_id=template["id"])
    assert response.status_code == 400
    message = response.get_json()["error"]
    assert "12100, 12113" in message and "pricing/refresh" in message


def test_a_publication_answer_teaches_the_costs_of_every_offered_variant(
    live_app: Flask, live_client, live_headers, make_artwork: Callable[..., bytes]
):
    template = create_template(live_client, live_headers, TEE_TEMPLATE)
    image_id = upload_approved(live_client, live_headers, make_artwork)
    started = publish(
        live_client, live_headers, image_id, template_id=template["id"], allow_low_resolution=True
    )
    settle(live_app, live_client, live_headers, started["publication_id"])
    rows = figures(live_client, live_headers, template["id"])
    assert (rows[12100]["cost"], rows[12103]["cost"]) == (1150, 1350)
    assert rows[12100]["shipping"] is None  # shipping comes from the catalog, on refresh
    assert (rows[12100]["price"], rows[12100]["profit"]) == (2500, 1350)
    with live_app.app_context():
        kept = db.session.scalars(db.select(VariantCost)).all()
    assert len(kept) == 12


def test_unknown_template_pricing_is_404(live_client, live_headers):
    for method, url in (
        ("GET", "/api/v1/templates/tpl_nope/pricing"),
        ("POST", "/api/v1/templates/tpl_nope/pricing/refresh"),
    ):
        response = live_client.open(url, method=method, headers=live_headers, json={})
        assert response.status_code == 404
        assert response.get_json()["code"] == "NOT_FOUND"


def test_absurd_markup_or_negative_price_is_400_and_keeps_the_template(live_client, live_headers):
    template = create_template(live_client, live_headers, RULE_TEMPLATE)
    url = f"/api/v1/templates/{template['id']}"
    for body, field in (
        ({"pricing": {"markup_percent": 5000}}, "pricing.markup_percent"),
        ({"pricing": {"markup_percent": -10}}, "pricing.markup_percent"),
        ({"pricing": {"markup_percent": 40, "round_to_cents": 150}}, "pricing.round_to_cents"),
        ({"pricing": {"markup_percent": 40, "min_profit_cents": -1}}, "pricing.min_profit_cents"),
        ({"variants": [{"id": 12100, "price": -1}]}, "variants.0.price"),
        ({"variants": [{"id": 12100, "price": 10**12}]}, "variants.0.price"),
        ({"pricing": None}, "variants.0.price"),
    ):
        response = live_client.put(url, headers=live_headers, json=body)
        assert response.status_code == 400, body
        assert field in response.get_json()["details"]["fields"], response.get_json()
    assert live_client.get(url, headers=live_headers).get_json() == template


def test_refresh_without_printify_is_503_and_a_read_key_cannot_refresh(
    client: FlaskClient, admin_headers, viewer_headers
):
    template = create_template(
        client,
        admin_headers,
        {**OFFLINE_TEMPLATE, **{k: RULE_TEMPLATE[k] for k in ("variants", "pricing")}},
    )
    url = f"/api/v1/templates/{template['id']}/pricing/refresh"
    refused = client.post(url, headers=admin_headers, json={})
    assert refused.status_code == 503
    assert refused.headers["Retry-After"]
    assert client.post(url, headers=viewer_headers, json={}).status_code == 403
    readable = client.get(f"/api/v1/templates/{template['id']}/pricing", headers=viewer_headers)
    assert readable.status_code == 200
