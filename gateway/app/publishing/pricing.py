"""Production costs and shipping, learned from Printify and kept; each template's price and margin.

Printify states a variant's production cost only on a product (`variants[].cost`), never in the
catalog, so every product answer the gateway gets (a publication's create, a reconciliation) is
learned from, and `refresh` makes a throwaway draft product for the variants no answer has priced
yet, reads it and deletes it. First-item shipping to `PRICING_COUNTRY` comes from the catalog's
`shipping.json` (cached like the rest of the catalog; a country no profile names takes the
`REST_OF_THE_WORLD` profile). Costs and shipping are kept per blueprint, provider and variant
(shipping per country too), so every template on the same product shares them.

Publishing asks `priced_variants`: rule prices are computed from the learned costs, and a variant
below the rule's `min_profit_cents` (or whose cost is unknown, so no minimum can be promised) is
refused, naming the variants.
"""

from __future__ import annotations

import contextlib
import io
import logging
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from PIL import Image as PILImage
from sqlalchemy import Connection, Engine, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from gateway.app.clients.pacing import PacingDelay
from gateway.app.clients.printify import PrintifyClient, PrintifyError, PrintifyUnavailable
from gateway.app.database import utcnow
from gateway.app.errors import ServiceUnavailable, ValidationFailed
from gateway.app.publishing.catalog import external_error
from gateway.app.publishing.context import PublishingContext
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
# Printify wants a price on every variant of a product; a draft that is deleted at once is never sold.
PROBE_PRICE_CENTS = 9999
# Configuration changes take a restart; an hour is when asking again may find Printify set up.
NOT_CONFIGURED_RETRY_SECONDS = 3600
PROBE_TITLE = "POD Gateway cost probe (deleted at once)"


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


def figures(
    session: Session, template: Mapping[str, Any], country: str
) -> tuple[list[VariantFigures], str]:
    """Every variant's figures at this template, and the currency they are in."""
    blueprint_id, provider_id = template["blueprint_id"], template["print_provider_id"]
    ids = [variant["id"] for variant in template["variants"]]
    costs = {
        row.variant_id: row
        for row in session.scalars(
            select(VariantCost).where(
                VariantCost.blueprint_id == blueprint_id,
                VariantCost.print_provider_id == provider_id,
                VariantCost.variant_id.in_(ids),
            )
        )
    }
    shipping = {
        row.variant_id: row
        for row in session.scalars(
            select(VariantShipping).where(
                VariantShipping.blueprint_id == blueprint_id,
                VariantShipping.print_provider_id == provider_id,
                VariantShipping.country == country,
                VariantShipping.variant_id.in_(ids),
            )
        )
    }
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
    name, refresh = template["name"], f"/api/v1/templates/{template['id']}/pricing/refresh"
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


def _probe_image() -> bytes:
    """A small white PNG: a draft product needs a design in its print area."""
    buffer = io.BytesIO()
    PILImage.new("RGB", (64, 64), "white").save(buffer, "PNG")
    return buffer.getvalue()


def _probe_body(template: Mapping[str, Any], upload_id: str, marker: str) -> dict[str, Any]:
    ids = [variant["id"] for variant in template["variants"]]
    design = {"id": upload_id, "x": 0.5, "y": 0.5, "scale": 1.0, "angle": 0}
    return {
        "title": PROBE_TITLE,
        "description": "Made by POD Gateway to read production costs; deleted at once.",
        "tags": [marker],
        "blueprint_id": template["blueprint_id"],
        "print_provider_id": template["print_provider_id"],
        "variants": [
            {
                "id": variant["id"],
                "price": variant.get("price", PROBE_PRICE_CENTS),
                "is_enabled": True,
            }
            for variant in template["variants"]
        ],
        "print_areas": [
            {
                "variant_ids": ids,
                "placeholders": [{"position": template["position"], "images": [design]}],
            }
        ],
    }


def probe_costs(engine: Engine, client: PrintifyClient, template: Mapping[str, Any]) -> str:
    """Make a draft product with the template's variants, learn its costs, delete it; its id.

    A create whose answer was lost may still have made the draft: it is found by its marker tag
    and deleted before the error is passed on. The tiny upload is archived either way.
    """
    marker = f"podgw-cost-{secrets.token_hex(6)}"
    upload = client.upload_image(f"{marker}.png", contents=_probe_image())
    try:
        try:
            product = client.create_product(_probe_body(template, str(upload["id"]), marker))
        except PrintifyUnavailable as error:
            found = client.find_product(marker) if error.ambiguous else None
            if found:
                client.delete_product(str(found["id"]))
            raise
        try:
            learn_product(engine, product)
        finally:
            client.delete_product(str(product["id"]))
        return str(product["id"])
    finally:
        with contextlib.suppress(PrintifyError):
            client.archive_upload(str(upload["id"]))


def refresh(
    session: Session, context: PublishingContext, template: Mapping[str, Any]
) -> dict[str, Any]:
    """Learn shipping (catalog) and the costs no product answer has given yet; the new figures.

    The request's transaction ends first: Printify may take seconds, and SQLite's write lock
    must not wait on it.
    """
    session.rollback()
    client = context.client
    if client is None:
        raise ServiceUnavailable(
            "costs cannot be learned: Printify is not configured "
            "(PRINTIFY_API_TOKEN and PRINTIFY_SHOP_ID)",
            details={"printify": "not configured"},
            headers={"Retry-After": str(NOT_CONFIGURED_RETRY_SECONDS)},
        )
    country = context.settings.pricing_country
    blueprint_id, provider_id = template["blueprint_id"], template["print_provider_id"]
    shipping = learn_shipping(
        context.writer,
        blueprint_id,
        provider_id,
        context.catalog.shipping(blueprint_id, provider_id),
        country,
    )
    rows, _ = figures(session, template, country)
    session.rollback()
    draft = None
    if any(not row.known for row in rows):
        try:
            draft = probe_costs(context.writer, client, template)
        except PacingDelay as delay:
            raise ServiceUnavailable(
                str(delay), headers={"Retry-After": str(max(1, round(delay.seconds)))}
            ) from None
        except PrintifyError as error:
            raise external_error(error) from error
    answer = view(session, template, country)
    answer["learned"] = {"shipping_variants": shipping, "draft_product_id": draft}
    return answer
