"""A template's pricing rule and the arithmetic of price, profit and margin (integer cents).

A rule prices a variant from its production cost: cost * (1 + markup_percent / 100), rounded up to
a whole cent, then up to the next amount ending in `round_to_cents` (99 turns 12.37 into 12.99, 0
into 13.00; null keeps the whole cent). Rounding only ever goes up, so a rule never sells below its
markup. `min_profit_cents` is the guard publishing applies to every variant, however it is priced.
The arithmetic is exact (Decimal): a markup of 12.5 % on 1,999 cents is 2,248.875, so 2,249.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Any

from gateway.app import validation as v
from gateway.app.errors import ValidationFailed

MAX_PRICE_CENTS = 10_000_000
# Ten times cost is already a luxury mark-up; past it a typo (4000 for 40.00) is far likelier.
MAX_MARKUP_PERCENT = 1000
DEFAULT_ROUND_TO_CENTS = 99
RULE_FIELDS = {"markup_percent", "round_to_cents", "min_profit_cents"}


@dataclass(frozen=True)
class PricingRule:
    """`markup_percent` None: the rule only guards a minimum profit over explicit prices."""

    markup_percent: float | None = None
    round_to_cents: int | None = DEFAULT_ROUND_TO_CENTS
    min_profit_cents: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "markup_percent": self.markup_percent,
            "round_to_cents": self.round_to_cents,
            "min_profit_cents": self.min_profit_cents,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> PricingRule | None:
        """The rule a template stored (already validated), or None for explicit prices only."""
        if not data:
            return None
        return cls(
            markup_percent=data.get("markup_percent"),
            round_to_cents=data.get("round_to_cents"),
            min_profit_cents=data.get("min_profit_cents"),
        )


def parse_rule(value: object, field: str = "pricing") -> PricingRule | None:
    """A rule from a request body; every bad field is reported at once, by its dotted name."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ValidationFailed(f"{field} must be an object", {field: "must be an object"})
    v.refuse_unknown(value, RULE_FIELDS)
    errors = v.FieldErrors()
    markup = value.get("markup_percent")
    rounding = value.get("round_to_cents", DEFAULT_ROUND_TO_CENTS)
    min_profit = value.get("min_profit_cents")
    rule = PricingRule(
        markup_percent=None
        if markup is None
        else errors.check(
            v.number,
            markup,
            f"{field}.markup_percent",
            minimum=0,
            maximum=MAX_MARKUP_PERCENT,
        ),
        round_to_cents=None
        if rounding is None
        else errors.check(v.integer, rounding, f"{field}.round_to_cents", minimum=0, maximum=99),
        min_profit_cents=None
        if min_profit is None
        else errors.check(
            v.integer,
            min_profit,
            f"{field}.min_profit_cents",
            minimum=0,
            maximum=MAX_PRICE_CENTS,
        ),
    )
    errors.raise_if_any()
    if rule.markup_percent is None and rule.min_profit_cents is None:
        message = "give markup_percent, min_profit_cents or both (or leave pricing out)"
        raise ValidationFailed(f"{field}: {message}", {field: message})
    return rule


def require_prices(variants: list[dict[str, int]] | None, rule: PricingRule | None) -> None:
    """Every variant has a price, its own or the rule's: VALIDATION_ERROR naming those without."""
    if not variants or (rule is not None and rule.markup_percent is not None):
        return
    missing = {
        f"variants.{index}.price": "is required unless pricing.markup_percent is set"
        for index, variant in enumerate(variants)
        if "price" not in variant
    }
    if missing:
        names = ", ".join(str(variant["id"]) for variant in variants if "price" not in variant)
        raise ValidationFailed(
            f"variants {names} have no price and the template has no pricing rule", missing
        )


def rule_price(cost: int, rule: PricingRule) -> int:
    """The price the rule gives a variant costing `cost` cents."""
    if rule.markup_percent is None:
        raise ValueError("a rule without markup_percent prices nothing")
    factor = 1 + Decimal(str(rule.markup_percent)) / 100
    cents = int((Decimal(cost) * factor).to_integral_value(rounding=ROUND_CEILING))
    return charm_rounded(cents, rule.round_to_cents)


def charm_rounded(cents: int, ending: int | None) -> int:
    """The smallest amount >= `cents` whose last two digits are `ending` (None: `cents` itself)."""
    if ending is None:
        return cents
    candidate = cents - cents % 100 + ending
    return candidate if candidate >= cents else candidate + 100


def profit(price: int, cost: int, shipping: int | None) -> int:
    """What a sale earns: price less production cost and (where known) first-item shipping."""
    return price - cost - (shipping or 0)


def margin_percent(price: int, earned: int) -> float | None:
    """Profit as a share of the price, to one decimal; None for a free variant."""
    if price <= 0:
        return None
    return round(earned * 100 / price, 1)
