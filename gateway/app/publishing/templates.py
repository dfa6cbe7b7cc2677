"""Product templates: validated field by field, then against Printify's catalog, when saved.

A template names a blueprint, a print provider, the enabled variants with prices (integer cents) or
a pricing rule that prices them from their production cost (`publishing.pricing_rules`), the print
position and the design's placement on it, and how a product's title, description and tags are
filled from the image. Saving checks every variant against the catalog (out-of-stock ones count: they
come back in stock) and that the position is a placeholder of each, and keeps the print area's pixel
size. With no Printify token the catalog cannot be asked: the template is kept unchecked and must
give `placeholder` itself; publishing checks it once Printify is configured.
"""

from __future__ import annotations

import html
import string
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.app import validation as v
from gateway.app.audit import service as audit
from gateway.app.audit.service import Actor
from gateway.app.database import isoformat, utcnow
from gateway.app.errors import Conflict, NotFound, ValidationFailed
from gateway.app.pagination import Keyset
from gateway.app.publishing.catalog import Catalog, CatalogUnavailable
from gateway.app.publishing.models import ProductTemplate
from gateway.app.publishing.pricing_rules import MAX_PRICE_CENTS, parse_rule, require_prices
from gateway.app.publishing.printfiles import Placement

MAX_VARIANTS = 500
MAX_TEMPLATE_LENGTH = 300
MAX_NAME_LENGTH = 120
MAX_POSITION_LENGTH = 32
MAX_CATALOG_ID = 2**31 - 1
MAX_PRINT_AREA_PIXELS = 20000
# name: (default, minimum, maximum) of each placement number.
PLACEMENT = {
    "x": (0.5, -1.0, 2.0),
    "y": (0.5, -1.0, 2.0),
    "scale": (1.0, 0.01, 10.0),
    "angle": (0.0, -360.0, 360.0),
}
PLACEHOLDER_FIELDS = ("title", "description", "prompt", "tags")
FIELDS = {
    "name",
    "blueprint_id",
    "print_provider_id",
    "variants",
    "position",
    "placement",
    "placeholder",
    "title_template",
    "description_template",
    "tags",
    "pricing",
}


def _placement(value: object) -> dict[str, float]:
    if value is None:
        value = {}
    if not isinstance(value, Mapping):
        raise ValidationFailed("placement must be an object", {"placement": "must be an object"})
    v.refuse_unknown(value, set(PLACEMENT))
    errors = v.FieldErrors()
    result = {
        name: errors.check(
            v.number, value.get(name, default), f"placement.{name}", minimum=low, maximum=high
        )
        for name, (default, low, high) in PLACEMENT.items()
    }
    errors.raise_if_any()
    return result


def _variants(value: object) -> list[dict[str, int]]:
    """`{id, price}` each, or `{id}` alone for a variant the pricing rule prices."""
    if not isinstance(value, list) or not value:
        raise ValidationFailed(
            "variants must be a non-empty list of {id, price?}", {"variants": "must not be empty"}
        )
    if len(value) > MAX_VARIANTS:
        raise ValidationFailed(
            f"at most {MAX_VARIANTS} variants", {"variants": f"at most {MAX_VARIANTS}"}
        )
    result: list[dict[str, int]] = []
    seen: set[int] = set()
    for index, item in enumerate(value):
        field = f"variants.{index}"
        if not isinstance(item, Mapping):
            raise ValidationFailed(f"{field} must be an object", {field: "must be an object"})
        v.refuse_unknown(item, {"id", "price"})
        variant_id = v.integer(item.get("id"), f"{field}.id", minimum=1, maximum=MAX_CATALOG_ID)
        if variant_id in seen:
            raise ValidationFailed(
                f"{field}.id: variant {variant_id} is listed twice", {f"{field}.id": "duplicate"}
            )
        seen.add(variant_id)
        if item.get("price") is None:
            result.append({"id": variant_id})
            continue
        price = v.integer(item.get("price"), f"{field}.price", minimum=0, maximum=MAX_PRICE_CENTS)
        result.append({"id": variant_id, "price": price})
    return result


def _text_template(
    value: object, field: str, *, max_length: int, default: str, allow_markup: bool = False
) -> str:
    """A template string whose placeholders are only the image fields we fill in."""
    text = v.clean_text(
        default if value is None else value,
        field,
        max_length=max_length,
        allow_newlines=True,
        allow_markup=allow_markup,
    )
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as error:
        raise ValidationFailed(f"{field}: {error}", {field: str(error)}) from None
    unknown = sorted(names - set(PLACEHOLDER_FIELDS))
    if unknown:
        allowed = ", ".join("{" + name + "}" for name in PLACEHOLDER_FIELDS)
        message = f"unknown placeholder(s) {', '.join(unknown)}; use {allowed}"
        raise ValidationFailed(f"{field}: {message}", {field: message})
    return text


def parse(body: Mapping[str, Any], *, current: ProductTemplate | None = None) -> dict[str, Any]:
    """The template's fields from a request body (every field for a new one, a subset for PUT)."""
    v.refuse_unknown(body, FIELDS)
    base: dict[str, Any] = to_dict(current) if current else {}
    merged = {**base, **body}
    errors = v.FieldErrors()
    fields: dict[str, Any] = {
        "name": errors.check(
            v.clean_text, merged.get("name"), "name", max_length=MAX_NAME_LENGTH, required=True
        ),
        "blueprint_id": errors.check(
            v.integer, merged.get("blueprint_id"), "blueprint_id", minimum=1, maximum=MAX_CATALOG_ID
        ),
        "print_provider_id": errors.check(
            v.integer,
            merged.get("print_provider_id"),
            "print_provider_id",
            minimum=1,
            maximum=MAX_CATALOG_ID,
        ),
        "variants": errors.check(_variants, merged.get("variants")),
        "position": errors.check(
            v.clean_text,
            merged.get("position") or "front",
            "position",
            max_length=MAX_POSITION_LENGTH,
        ),
        "placement": errors.check(_placement, merged.get("placement")),
        "title_template": errors.check(
            _text_template,
            merged.get("title_template"),
            "title_template",
            max_length=MAX_TEMPLATE_LENGTH,
            default="{title}",
        ),
        "description_template": errors.check(
            _text_template,
            merged.get("description_template"),
            "description_template",
            max_length=v.MAX_DESCRIPTION_LENGTH,
            default="{description}",
            allow_markup=True,
        ),
        "tags": errors.check(v.tags, merged.get("tags") or []),
        "pricing": errors.check(parse_rule, merged.get("pricing")),
    }
    if "placeholder" in body:
        fields["placeholder"] = errors.check(_placeholder, body["placeholder"])
    elif current is not None:
        fields["placeholder"] = {
            "width": current.placeholder_width,
            "height": current.placeholder_height,
        }
    errors.raise_if_any()
    rule = fields["pricing"]
    fields["pricing"] = rule.to_dict() if rule is not None else None
    require_prices(fields["variants"], rule)
    return fields


def _placeholder(value: object) -> dict[str, int]:
    if not isinstance(value, Mapping):
        raise ValidationFailed(
            "placeholder must be {width, height}", {"placeholder": "must be an object"}
        )
    v.refuse_unknown(value, {"width", "height"})
    return {
        name: v.integer(
            value.get(name), f"placeholder.{name}", minimum=1, maximum=MAX_PRINT_AREA_PIXELS
        )
        for name in ("width", "height")
    }


def check_against_catalog(catalog: Catalog, fields: dict[str, Any]) -> dict[str, Any]:
    """Catalog titles and the print area's pixel size; VALIDATION_ERROR naming what is wrong."""
    blueprint_id = fields["blueprint_id"]
    provider_id = fields["print_provider_id"]
    blueprints = {item["id"]: item for item in catalog.blueprints()}
    if blueprint_id not in blueprints:
        message = f"blueprint {blueprint_id} is not in the Printify catalog"
        raise ValidationFailed(message, {"blueprint_id": message})
    providers = {item["id"]: item for item in catalog.print_providers(blueprint_id)}
    if provider_id not in providers:
        message = f"print provider {provider_id} does not print blueprint {blueprint_id}"
        raise ValidationFailed(message, {"print_provider_id": message})
    offered = {item["id"]: item for item in catalog.variants(blueprint_id, provider_id)["variants"]}
    errors: dict[str, str] = {}
    sizes: list[tuple[int, int]] = []
    for index, variant in enumerate(fields["variants"]):
        found = offered.get(variant["id"])
        area = _print_area(found, fields["position"], blueprint_id, provider_id)
        if isinstance(area, str):
            errors[f"variants.{index}.id"] = f"variant {variant['id']} {area}"
        else:
            sizes.append((int(area["width"]), int(area["height"])))
    if errors:
        summary = "; ".join(errors.values())
        raise ValidationFailed(f"template does not match the catalog: {summary}", errors)
    width, height = max(sizes)
    return {
        "blueprint_title": blueprints[blueprint_id].get("title", ""),
        "print_provider_title": providers[provider_id].get("title", ""),
        "placeholder": {"width": width, "height": height},
    }


def _print_area(
    variant: dict[str, Any] | None, position: str, blueprint_id: int, provider_id: int
) -> dict[str, Any] | str:
    """The catalog variant's print area at `position`, or what keeps it from having one."""
    if variant is None:
        return f"is not offered by provider {provider_id} for blueprint {blueprint_id}"
    areas = {p["position"]: p for p in variant.get("placeholders") or []}
    if position not in areas:
        return f"has no {position!r} print area (it has {', '.join(sorted(areas)) or 'none'})"
    return areas[position]


def _checked(catalog: Catalog, fields: dict[str, Any]) -> dict[str, Any]:
    """Fields plus catalog facts; offline (no token, nothing cached) a given placeholder is kept."""
    try:
        facts = check_against_catalog(catalog, fields)
    except CatalogUnavailable:
        if catalog.online:
            raise
        if "placeholder" not in fields:
            message = "is required while Printify is not configured (no catalog to read it from)"
            raise ValidationFailed(f"placeholder {message}", {"placeholder": message}) from None
        return {**fields, "catalog_checked_at": None}
    return {**fields, **facts, "catalog_checked_at": utcnow()}


def _apply(template: ProductTemplate, fields: dict[str, Any]) -> None:
    placeholder = fields.pop("placeholder")
    template.placeholder_width = placeholder["width"]
    template.placeholder_height = placeholder["height"]
    for name, value in fields.items():
        setattr(template, name, value)


def _unique_name(session: Session, name: str, template_id: str | None) -> None:
    clash = session.scalar(
        select(ProductTemplate.id).where(
            func.lower(ProductTemplate.name) == name.lower(), ProductTemplate.id != template_id
        )
    )
    if clash:
        raise Conflict(f"a template named {name!r} exists", details={"template_id": clash})


def create(session: Session, catalog: Catalog, body: object, actor: Actor) -> ProductTemplate:
    fields = parse(v.require_object(body))
    _unique_name(session, fields["name"], None)
    session.rollback()
    fields = _checked(catalog, fields)
    template = ProductTemplate(created_by=actor.name)
    _apply(template, fields)
    session.add(template)
    session.flush()
    audit.record(
        session, actor, entity_type="template", entity_id=template.id, action="template.created"
    )
    session.commit()
    return template


def update(
    session: Session, catalog: Catalog, template_id: str, body: object, actor: Actor
) -> ProductTemplate:
    template = get(session, template_id)
    fields = parse(v.require_object(body), current=template)
    _unique_name(session, fields["name"], template.id)
    session.rollback()
    fields = _checked(catalog, fields)
    template = get(session, template_id)
    _apply(template, fields)
    audit.record(
        session, actor, entity_type="template", entity_id=template.id, action="template.updated"
    )
    session.commit()
    return template


def delete(session: Session, template_id: str, actor: Actor) -> None:
    """Remove a template; publications keep the copy they were made with."""
    template = get(session, template_id)
    session.delete(template)
    audit.record(
        session, actor, entity_type="template", entity_id=template_id, action="template.deleted"
    )
    session.commit()


def get(session: Session, template_id: str) -> ProductTemplate:
    template = session.get(ProductTemplate, template_id) if v.looks_like_id(template_id) else None
    if template is None:
        raise NotFound(f"template {template_id} not found", details={"template_id": template_id})
    return template


BY_CREATED = Keyset(ProductTemplate.created_at, ProductTemplate.id)


def templates_query() -> Any:
    """`select(ProductTemplate)`, for v2's cursor pages."""
    return select(ProductTemplate)


def list_all(session: Session) -> list[ProductTemplate]:
    """Every template, by name (v1's list and the admin page)."""
    return list(session.scalars(select(ProductTemplate).order_by(ProductTemplate.name)))


def placement_of(template: Mapping[str, Any]) -> Placement:
    return Placement(**template["placement"])


def to_dict(template: ProductTemplate) -> dict[str, Any]:
    return {
        "id": template.id,
        "name": template.name,
        "blueprint_id": template.blueprint_id,
        "print_provider_id": template.print_provider_id,
        "blueprint_title": template.blueprint_title,
        "print_provider_title": template.print_provider_title,
        "variants": template.variants,
        "position": template.position,
        "placement": template.placement,
        "placeholder": {"width": template.placeholder_width, "height": template.placeholder_height},
        "title_template": template.title_template,
        "description_template": template.description_template,
        "tags": template.tags,
        "pricing": template.pricing,
        "catalog_checked": template.catalog_checked_at is not None,
        "catalog_checked_at": isoformat(template.catalog_checked_at),
        "created_by": template.created_by,
        "created_at": isoformat(template.created_at),
        "updated_at": isoformat(template.updated_at),
    }


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def product_copy(template: Mapping[str, Any], image: Any, marker: str) -> dict[str, Any]:
    """Title, description (HTML, every value escaped) and tags of the product for this image."""
    prompt = image.prompt or ""
    title_source = image.title or prompt[:80] or "Untitled design"
    values = _Blank(
        title=title_source,
        description=image.description or prompt,
        prompt=prompt,
        tags=", ".join(image.tags or []),
    )
    title = template["title_template"].format_map(values).strip()[: v.MAX_TITLE_LENGTH]
    escaped = _Blank({name: html.escape(text) for name, text in values.items()})
    description = template["description_template"].format_map(escaped).strip()
    tags = list(dict.fromkeys([*template["tags"], *(image.tags or []), marker]))
    return {"title": title or title_source, "description": description or title, "tags": tags}
