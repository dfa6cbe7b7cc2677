"""Learned costs and shipping are kept per blueprint, provider and variant (on both databases),
and publishing's prices come from them."""

from __future__ import annotations

import pytest
from flask import Flask

from gateway.app.errors import ValidationFailed
from gateway.app.extensions import db
from gateway.app.publishing import pricing

TEMPLATE = {
    "id": "tpl_test",
    "name": "Tee by rule",
    "blueprint_id": 6,
    "print_provider_id": 99,
    "variants": [{"id": 1}, {"id": 2, "price": 1500}],
    "pricing": {"markup_percent": 50, "round_to_cents": 99, "min_profit_cents": 100},
}
PRODUCT = {
    "id": "abc",
    "blueprint_id": 6,
    "print_provider_id": 99,
    "variants": [
        {"id": 1, "cost": 1000, "title": "White / S"},
        {"id": 2, "cost": 1200, "title": "White / M"},
        {"id": 3, "cost": "free"},
    ],
}
SHIPPING = {
    "profiles": [
        {
            "variant_ids": [1, 2],
            "first_item": {"cost": 400, "currency": "USD"},
            "countries": ["US"],
        },
        {
            "variant_ids": [1, 2],
            "first_item": {"cost": 900, "currency": "USD"},
            "countries": ["REST_OF_THE_WORLD"],
        },
    ]
}


def test_costs_and_shipping_are_kept_and_overwritten_when_learned_again(app: Flask) -> None:
    engine = app.extensions["publishing"].writer
    assert pricing.learn_product(engine, PRODUCT) == 2  # a cost that is not cents is skipped
    assert pricing.learn_product(engine, PRODUCT | {"variants": [{"id": 1, "cost": 1100}]}) == 1
    assert pricing.learn_shipping(engine, 6, 99, SHIPPING, "US") == 2
    assert pricing.learn_shipping(engine, 6, 99, SHIPPING, "DE") == 2  # rest of the world
    with app.app_context():
        rows, currency = pricing.figures(db.session, TEMPLATE, "US")
        abroad, _ = pricing.figures(db.session, TEMPLATE, "DE")
    assert currency == "USD"
    assert [(row.cost, row.shipping, row.price) for row in rows] == [
        (1100, 400, 1699),
        (1200, 400, 1500),
    ]
    assert [row.shipping for row in abroad] == [900, 900]
    assert [row.below_min_profit for row in rows] == [False, True]


def test_publishing_prices_come_from_the_rule_and_the_minimum_is_enforced(app: Flask) -> None:
    engine = app.extensions["publishing"].writer
    pricing.learn_product(engine, PRODUCT)
    with app.app_context():
        greedy = TEMPLATE | {"pricing": {**TEMPLATE["pricing"], "min_profit_cents": 400}}
        with pytest.raises(ValidationFailed) as refused:
            pricing.priced_variants(db.session, greedy, "US")
        assert [row["id"] for row in refused.value.details["variants"]] == [2]
        enough = TEMPLATE | {"pricing": {**TEMPLATE["pricing"], "min_profit_cents": 200}}
        assert pricing.priced_variants(db.session, enough, "US") == [
            {"id": 1, "price": 1599},
            {"id": 2, "price": 1500},
        ]


def test_a_product_answer_without_catalog_ids_teaches_nothing(app: Flask) -> None:
    engine = app.extensions["publishing"].writer
    assert pricing.learn_product(engine, {"id": "dryrun-product", "variants": []}) == 0


def test_a_variant_listed_twice_in_an_answer_is_kept_once(app: Flask) -> None:
    engine = app.extensions["publishing"].writer
    twice = PRODUCT | {"variants": [{"id": 1, "cost": 900}, {"id": 1, "cost": 950}]}
    assert pricing.learn_product(engine, twice) == 1
    with app.app_context():
        rows, _ = pricing.figures(db.session, TEMPLATE, "US")
    assert rows[0].cost == 950
