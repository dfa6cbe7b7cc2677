"""Production costs and shipping, learned from Printify and kept; each template's price and margin.

Printify states a variant's production cost only on a product (`variants[].cost`), never in the
catalog, so every product answer a publication gets is learned from (`publishing.cost_refresh`
makes a throwaway draft for the variants no answer has priced yet). First-item shipping to
`PRICING_COUNTRY` comes from the catalog's `shipping.json` (a country no profile names takes the
`REST_OF_THE_WORLD` profile). Costs and shipping are kept per blueprint, provider and variant
(shipping per country too), so every template on the same product shares them.

Publishing asks `priced_variants`: rule prices are computed from the learned costs, and a variant
below the rule's `min_profit_cents` (or whose cost is unknown, so no minimum can be promised) is
refused, naming the variants.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from gateway.app import versioning
from gateway.app.database import utcnow
from gateway.app.errors import ValidationFailed
from gateway.app.publishing.models import VariantCost, VariantShipping
from gateway.app.publishing.pricing_rules import (
    MAX_PRICE_CENTS,
    PricingRule,
    margin_percent,
    profit,
    rule_price,
)
from gateway.app.settings import Settings

log = logging.getLogger(__name__)
COSTS = VariantCost.__table__
SHIPPING = VariantShipping.__table__
FALLBACK_COUNTRY = "REST_OF_THE_WORLD"
DEFAULT_CURRENCY = "USD"


@dataclass(frozen=True)
class VariantFigures:
    """One variant's price, cost, shipping, profit and margin (cents); None while unknown."""

    id: int
    title: str | None
    price: int | None
    cost: int | None
    shipping: int | None
    profit: int | None
    margin_percent: float | None
    known: bool
    rule_priced: bool
    below_min_profit: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _upsert(
    connection: Connection, table: Any, rows: list[dict[str, Any]], keys: list[str]
) -> None:
    """Insert or overwrite by primary key, in one statement (concurrent learners never clash)."""
    if not rows:
        return
    dialect = connection.dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(table).values(rows)
    changed = {name: statement.excluded[name] for name in rows[0] if name not in keys}
    connection.execute(statement.on_conflict_do_update(index_elements=keys, set_=changed))


def learn_product(engine: Engine, product: Mapping[str, Any]) -> int:
    """Keep every variant cost a Printify product answer states; how many were learned."""
    blueprint_id, provider_id = product.get("blueprint_id"), product.get("print_provider_id")
    if not isinstance(blueprint_id, int) or not isinstance(provider_id, int):
        return 0
    now = utcnow()
    by_id = {
        variant["id"]: {
            "blueprint_id": blueprint_id,
            "print_provider_id": provider_id,
            "variant_id": variant["id"],
            "cost": variant["cost"],
            "title": str(variant.get("title") or "")[:200],
            "learned_at": now,
        }
        for variant in product.get("variants") or []
        if isinstance(variant, Mapping)
        and isinstance(variant.get("id"), int)
        and isinstance(variant.get("cost"), int)
        and 0 <= variant["cost"] <= MAX_PRICE_CENTS
    }
    rows = list(by_id.values())  # one row per variant: an upsert may not touch a row twice
    with engine.begin() as connection:
        _upsert(connection, COSTS, rows, ["blueprint_id", "print_provider_id", "variant_id"])
    return len(rows)


def learn_quietly(engine: Engine, product: Mapping[str, Any]) -> None:
    """`learn_product` for a worker: a cost that cannot be kept never fails a publication."""
    try:
        learn_product(engine, product)
    except SQLAlchemyError:
        log.warning("variant costs of product %s not kept", product.get("id"), exc_info=True)


def shipping_for(profiles: Iterable[Any], country: str) -> dict[int, tuple[int, str]]:
    """First-item cost and currency per variant to `country` (else the rest-of-world profile)."""
    found: dict[int, tuple[int, str]] = {}
    fallback: dict[int, tuple[int, str]] = {}
    for profile in profiles:
        if not isinstance(profile, Mapping):
            continue
        first = profile.get("first_item") or {}
        cost, currency = first.get("cost"), str(first.get("currency") or DEFAULT_CURRENCY)[:8]
        if not isinstance(cost, int) or cost < 0:
            continue
        countries = profile.get("countries") or []
        for variant_id in profile.get("variant_ids") or []:
            if country in countries:
                found.setdefault(variant_id, (cost, currency))
            elif FALLBACK_COUNTRY in countries:
                fallback.setdefault(variant_id, (cost, currency))
    return fallback | found


def learn_shipping(
    engine: Engine, blueprint_id: int, provider_id: int, data: Mapping[str, Any], country: str
) -> int:
    """Keep first-item shipping of every variant `shipping.json` names; how many were learned."""
    now = utcnow()
    rows = [
        {
            "blueprint_id": blueprint_id,
            "print_provider_id": provider_id,
            "variant_id": variant_id,
            "country": country,
            "first_item": cost,
            "currency": currency,
            "learned_at": now,
        }
        for variant_id, (cost, currency) in shipping_for(
            data.get("profiles") or [], country
        ).items()
        if isinstance(variant_id, int)
    ]
    with engine.begin() as connection:
        keys = ["blueprint_id", "print_provider_id", "variant_id", "country"]
        _upsert(connection, SHIPPING, rows, keys)
    return len(rows)


def _by_variant(
    session: Session,
    model: type[VariantCost] | type[VariantShipping],
    template: Mapping[str, Any],
    *where: ColumnElement[bool],
) -> dict[int, Any]:
    """The learned rows of the template's variants (blueprint and provider), by variant id."""
    return {
        row.variant_id: row
        for row in session.scalars(
            select(model).where(
                model.blueprint_id == template["blueprint_id"],
                model.print_provider_id == template["print_provider_id"],
                model.variant_id.in_([variant["id"] for variant in template["variants"]]),
                *where,
            )
        )
    }


def figures(
    session: Session, template: Mapping[str, Any], country: str
) -> tuple[list[VariantFigures], str]:
    """Every variant's figures at this template, and the currency they are in."""
    costs = _by_variant(session, VariantCost, template)
    shipping = _by_variant(session, VariantShipping, template, VariantShipping.country == country)
    rule = PricingRule.from_dict(template.get("pricing"))
    minimum = rule.min_profit_cents if rule else None
    result = []
    for variant in template["variants"]:
        learned, carried = costs.get(variant["id"]), shipping.get(variant["id"])
        cost = learned.cost if learned else None
        price = variant.get("price")
        if price is None and cost is not None and rule is not None:
            price = rule_price(cost, rule)
        earned = (
            profit(price, cost, carried.first_item if carried else None)
            if price is not None and cost is not None
            else None
        )
        result.append(
            VariantFigures(
                id=variant["id"],
                title=learned.title if learned and learned.title else None,
                price=price,
                cost=cost,
                shipping=carried.first_item if carried else None,
                profit=earned,
                margin_percent=margin_percent(price, earned)
                if price is not None and earned is not None
                else None,
                known=cost is not None,
                rule_priced="price" not in variant,
                below_min_profit=minimum is not None and earned is not None and earned < minimum,
            )
        )
    currency = next(iter(shipping.values())).currency if shipping else DEFAULT_CURRENCY
    return result, currency


def view(session: Session, template: Mapping[str, Any], country: str) -> dict[str, Any]:
    """`GET /templates/{id}/pricing`: the rule and every variant's figures."""
    rows, currency = figures(session, template, country)
    return {
        "template_id": template["id"],
        "currency": currency,
        "country": country,
        "pricing": template.get("pricing"),
        "variants": [row.to_dict() for row in rows],
    }


def _named(rows: list[VariantFigures]) -> str:
    return ", ".join(str(row.id) for row in rows)


def priced_variants(
    session: Session, template: Mapping[str, Any], country: str
) -> list[dict[str, int]]:
    """`{id, price}` of every variant as publishing sends them; VALIDATION_ERROR naming the
    variants when a price cannot be had, is out of range, or earns less than the minimum."""
    rule = PricingRule.from_dict(template.get("pricing"))
    if rule is None:
        return [
            {"id": variant["id"], "price": variant["price"]} for variant in template["variants"]
        ]
    rows, _ = figures(session, template, country)
    name, refresh = (
        template["name"],
        f"{versioning.CURRENT_API}/templates/{template['id']}/pricing/refresh",
    )
    guarded = rule.min_profit_cents is not None
    unknown = [row for row in rows if not row.known and (row.rule_priced or guarded)]
    if unknown:
        message = (
            f"the production cost of variant(s) {_named(unknown)} of template {name!r} is not "
            f"known yet, so its price or profit cannot be worked out: refresh its pricing first "
            f"(POST {refresh}, or Refresh costs on the templates page)"
        )
        raise _refused(message, unknown)
    too_dear = [row for row in rows if row.price is not None and row.price > MAX_PRICE_CENTS]
    if too_dear:
        message = f"variant(s) {_named(too_dear)} would cost more than {MAX_PRICE_CENTS} cents"
        raise _refused(message, too_dear)
    below = [row for row in rows if row.below_min_profit]
    if below:
        each = "; ".join(f"{row.id}: {row.profit}" for row in below)
        message = (
            f"variant(s) {_named(below)} of template {name!r} earn less than the minimum profit "
            f"of {rule.min_profit_cents} cents (profit in cents after cost and shipping: {each})"
        )
        raise _refused(message, below)
    return [{"id": row.id, "price": row.price} for row in rows if row.price is not None]


def priced(session: Session, template: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """The template as its publications keep it: every variant priced, the minimum profit met."""
    return template | {"variants": priced_variants(session, template, settings.pricing_country)}


def _refused(message: str, rows: list[VariantFigures]) -> ValidationFailed:
    error = ValidationFailed(message, {"template_id": message})
    error.details["variants"] = [row.to_dict() for row in rows]
    return error
