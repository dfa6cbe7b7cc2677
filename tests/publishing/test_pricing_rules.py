"""Pricing rules: markup over cost, charm rounding up, profit and margin, and their input limits."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.app.errors import ValidationFailed
from gateway.app.publishing.pricing_rules import (
    MAX_MARKUP_PERCENT,
    MAX_PRICE_CENTS,
    PricingRule,
    charm_rounded,
    margin_percent,
    parse_rule,
    profit,
    require_prices,
    rule_price,
)


@pytest.mark.parametrize(
    "cost, markup, ending, price",
    [
        (1000, 20, 99, 1299),  # 12.00 -> 12.99
        (1150, 20, 99, 1399),  # 13.80 -> 13.99
        (1199, 0, 99, 1199),  # already ends in 99
        (1000, 20, 0, 1200),  # whole units
        (1001, 20, 0, 1300),  # 12.012 -> 12.02 -> 13.00
        (1999, 12.5, None, 2249),  # 2248.875 rounds up to the cent, no charm
        (100, 1000, 49, 1149),  # 11.00 -> 11.49
        (0, 50, 99, 99),  # a free variant still ends in .99
    ],
)
def test_rule_price_marks_up_then_rounds_up_to_the_ending(
    cost: int, markup: float, ending: int | None, price: int
) -> None:
    assert rule_price(cost, PricingRule(markup_percent=markup, round_to_cents=ending)) == price


def test_profit_takes_cost_and_known_shipping_and_margin_is_its_share_of_the_price() -> None:
    assert profit(1399, 1150, 475) == -226
    assert profit(2999, 1150, 475) == 1374
    assert profit(2999, 1150, None) == 1849
    assert margin_percent(2999, 1374) == 45.8
    assert margin_percent(0, -100) is None


@given(
    cost=st.integers(min_value=0, max_value=1_000_000),
    markup=st.floats(min_value=0, max_value=MAX_MARKUP_PERCENT, allow_nan=False),
    ending=st.none() | st.integers(min_value=0, max_value=99),
)
def test_rule_price_never_sells_below_the_markup_and_rounds_by_less_than_a_unit(
    cost: int, markup: float, ending: int | None
) -> None:
    price = rule_price(cost, PricingRule(markup_percent=markup, round_to_cents=ending))
    exact = cost * (1 + markup / 100)
    assert price >= exact - 1e-6 * max(1.0, exact)
    assert price - exact < (100 if ending is not None else 1) + 1e-6 * max(1.0, exact)
    if ending is not None:
        assert price % 100 == ending


@given(cents=st.integers(min_value=0, max_value=MAX_PRICE_CENTS), ending=st.integers(0, 99))
def test_charm_rounding_is_the_smallest_amount_with_that_ending(cents: int, ending: int) -> None:
    rounded = charm_rounded(cents, ending)
    assert rounded >= cents and rounded % 100 == ending and rounded - cents < 100


def test_a_full_rule_is_parsed_and_round_to_cents_defaults_to_99() -> None:
    assert parse_rule({"markup_percent": 40}) == PricingRule(40.0, 99, None)
    rule = parse_rule({"markup_percent": 40, "round_to_cents": None, "min_profit_cents": 300})
    assert rule == PricingRule(40.0, None, 300)
    assert PricingRule.from_dict(rule.to_dict()) == rule
    assert parse_rule(None) is None


@pytest.mark.parametrize(
    "body, field",
    [
        ({"markup_percent": -1}, "pricing.markup_percent"),
        ({"markup_percent": MAX_MARKUP_PERCENT + 1}, "pricing.markup_percent"),
        ({"markup_percent": "40"}, "pricing.markup_percent"),
        ({"markup_percent": True}, "pricing.markup_percent"),
        ({"markup_percent": 40, "round_to_cents": 100}, "pricing.round_to_cents"),
        ({"markup_percent": 40, "round_to_cents": -1}, "pricing.round_to_cents"),
        ({"markup_percent": 40, "min_profit_cents": -5}, "pricing.min_profit_cents"),
        ({"markup_percent": 40, "min_profit_cents": 2.5}, "pricing.min_profit_cents"),
        ({"round_to_cents": 99}, "pricing"),
        ("40%", "pricing"),
    ],
)
def test_absurd_rules_are_refused_naming_the_field(body: object, field: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_rule(body)
    assert field in refused.value.field_errors


def test_unknown_rule_fields_are_refused() -> None:
    with pytest.raises(ValidationFailed):
        parse_rule({"markup_percent": 40, "markup": 40})


def test_variants_without_a_price_need_a_markup() -> None:
    variants = [{"id": 1, "price": 500}, {"id": 2}]
    require_prices(variants, PricingRule(markup_percent=30))
    with pytest.raises(ValidationFailed) as refused:
        require_prices(variants, PricingRule(min_profit_cents=100))
    assert refused.value.field_errors == {
        "variants.1.price": "is required unless pricing.markup_percent is set"
    }
    with pytest.raises(ValidationFailed):
        require_prices(variants, None)
