"""The product template form and the template service's body, both ways.

Prices are typed as decimals (24.99) and saved as integer cents (2499); ids are passed on as typed
(an int when they are one) for the service to judge. With "markup rule" chosen, a variant left
without a price is priced by the rule from its learned cost, and the rule's minimum profit is
typed as a decimal too. Every rule stays in `publishing.templates` and `publishing.pricing_rules`;
their field errors are put back next to the fields they name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import request

from gateway.app.errors import Conflict, GatewayError, ValidationFailed
from gateway.app.publishing import templates as product_templates
from gateway.app.publishing.models import ProductTemplate
from gateway.app.ui.admin_forms import TemplateForm

# Service field names that are not the form field of the same name (dots become underscores).
FIELD_FOR_ERROR = {
    "placement": "placement_x",
    "placeholder": "placeholder_width",
    "pricing": "markup_percent",
    "pricing.markup_percent": "markup_percent",
    "pricing.round_to_cents": "round_to_cents",
    "pricing.min_profit_cents": "min_profit",
}
RULE = "rule"
VARIANT_ERROR = re.compile(r"variants\.(\d+)\.(id|price)")
LINE_SEPARATORS = re.compile(r"[\s,;]+")
PLACEMENT = tuple(product_templates.PLACEMENT)


@dataclass
class FormErrors:
    """Errors that belong to no single field: the variants' and the template's as a whole."""

    variants: list[str] = field(default_factory=list)
    general: list[str] = field(default_factory=list)


def money(cents: int) -> str:
    """Integer cents as the decimal the form shows (2499 -> "24.99", -226 -> "-2.26")."""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def cents(text: str) -> int | None:
    """A decimal price ("24.99", "24") in cents; None if it is not one, or has finer digits."""
    try:
        value = Decimal(text)
        exact = value.is_finite() and value == value.quantize(Decimal("0.01"))
    except InvalidOperation:
        return None
    return int(value * 100) if exact else None


def _as_typed(text: str | None, *readings: type[int] | type[float]) -> Any:
    """Stripped text read by the first of `readings` that takes it, else the text itself (for the
    service to refuse); None when blank."""
    text = (text or "").strip()
    if not text:
        return None
    for read in readings:
        try:
            return read(text)
        except ValueError:
            pass
    return text


def whole(text: str | None) -> int | str | None:
    """An id as typed: an int when it is one; other text goes to the service to be refused."""
    return _as_typed(text, int)


def number(text: str | None) -> float | int | str | None:
    """A placement or markup as typed: an int or a float when it is one; other text goes on."""
    return _as_typed(text, int, float)


def _price_for(
    text: str, default: str, label: str, errors: list[str], *, by_rule: bool
) -> int | None:
    """The typed price in cents; None when the rule prices it or the text is not a price."""
    raw = (text or ("" if by_rule else default)).strip()
    if not raw:
        if not by_rule:
            errors.append(f"{label}: give it a price, or fill in the price for every variant.")
        return None
    found = cents(raw)
    if found is None:
        errors.append(f"{label}: {raw!r} is not a price like 24.99.")
    return found


def selection() -> dict[str, str]:
    """The ticked catalog variants with their price as typed, from the submitted form."""
    return {
        variant_id: request.form.get(f"price-{variant_id}", "")
        for variant_id in dict.fromkeys(request.form.getlist("variant"))
    }


def variants_from(
    form: TemplateForm, selection: dict[str, str]
) -> tuple[list[dict[str, Any]], list[Any]]:
    """The body's variants (price in cents) and their ids in order; ValidationFailed on a price
    or line the form cannot read."""
    default = form.default_price.data or ""
    errors: list[str] = []
    rows: list[tuple[str, str, str]] = []
    if form.variant_input.data == "typed":
        for line_number, line in enumerate((form.variant_lines.data or "").splitlines(), 1):
            parts = [part for part in LINE_SEPARATORS.split(line.strip()) if part]
            if len(parts) > 2:
                errors.append(f"Line {line_number}: write a variant id, then optionally its price.")
            elif parts:
                label = f"Line {line_number}"
                rows.append((parts[0], parts[1] if len(parts) == 2 else "", label))
    else:
        rows = [(vid, price, f"Variant {vid}") for vid, price in selection.items()]
    by_rule = form.price_mode.data == RULE
    variants = []
    for variant_id, price, label in rows:
        typed = _price_for(price, default, label, errors, by_rule=by_rule)
        variants.append({"id": whole(variant_id)} | ({} if typed is None else {"price": typed}))
    if errors:
        raise ValidationFailed("; ".join(errors), {"variants": "\n".join(errors)})
    return variants, [variant["id"] for variant in variants]


def body_from(form: TemplateForm, variants: list[dict[str, Any]], online: bool) -> dict[str, Any]:
    """The template service's body from the form; the placeholder only while Printify is off."""
    placement = {
        name: value
        for name in PLACEMENT
        if (value := number(getattr(form, f"placement_{name}").data)) is not None
    }
    body: dict[str, Any] = {
        "name": form.name.data or "",
        "blueprint_id": whole(form.blueprint_id.data),
        "print_provider_id": whole(form.print_provider_id.data),
        "variants": variants,
        "position": (form.position.data or "").strip() or "front",
        "placement": placement,
        "title_template": form.title_template.data or "",
        "description_template": form.description_template.data or "",
        "tags": (form.tags.data or "").split(","),
    }
    width, height = form.placeholder_width.data, form.placeholder_height.data
    if not online and ((width or "").strip() or (height or "").strip()):
        body["placeholder"] = {"width": whole(width), "height": whole(height)}
    body["pricing"] = _pricing(form)
    return body


def _pricing(form: TemplateForm) -> dict[str, Any] | None:
    """The rule as typed: a markup (rule mode) and a minimum profit (either mode), or None."""
    rule: dict[str, Any] = {}
    if form.price_mode.data == RULE:
        rule["markup_percent"] = number(form.markup_percent.data)
        rule["round_to_cents"] = whole(form.round_to_cents.data)
    minimum = (form.min_profit.data or "").strip()
    if minimum:
        rule["min_profit_cents"] = cents(minimum)
        if rule["min_profit_cents"] is None:
            message = f"{minimum!r} is not an amount like 3.00"
            raise ValidationFailed(message, {"pricing.min_profit_cents": message})
    return rule or None


def apply_errors(form: TemplateForm, error: GatewayError, variant_ids: list[Any]) -> FormErrors:
    """Put the service's field errors next to their fields; the rest above the form."""
    found = FormErrors()
    if isinstance(error, Conflict):
        form.name.errors = [*form.name.errors, error.message]
        return found
    field_errors = error.field_errors if isinstance(error, ValidationFailed) else {}
    if not field_errors:
        found.general.append(error.message)
    for name, message in field_errors.items():
        match = VARIANT_ERROR.fullmatch(name)
        if match and int(match[1]) < len(variant_ids):
            variant_id = str(variant_ids[int(match[1])])
            what = " price (cents)" if match[2] == "price" else ""
            found.variants.append(
                message if variant_id in message else f"Variant {variant_id}{what}: {message}"
            )
        elif name == "variants" or name.startswith("variants."):
            found.variants.extend(message.splitlines())
        elif (key := FIELD_FOR_ERROR.get(name, name.replace(".", "_"))) in form:
            form[key].errors = [*form[key].errors, message]
        else:
            found.general.append(f"{name}: {message}")
    return found


def typed_prices(template: ProductTemplate) -> dict[str, str]:
    """Each variant's price as the form shows it (blank: the rule prices it)."""
    return {
        str(variant["id"]): money(variant["price"]) if "price" in variant else ""
        for variant in template.variants
    }


def form_for(template: ProductTemplate) -> TemplateForm:
    """The form filled in from a saved template, prices as decimals."""
    data = product_templates.to_dict(template)
    lines = [f"{vid} {price}".strip() for vid, price in typed_prices(template).items()]
    rule = data["pricing"] or {}
    markup, ending = rule.get("markup_percent"), rule.get("round_to_cents")
    minimum = rule.get("min_profit_cents")
    return TemplateForm(
        data={
            "name": data["name"],
            "blueprint_id": str(data["blueprint_id"]),
            "print_provider_id": str(data["print_provider_id"]),
            "variant_lines": "\n".join(lines),
            "position": data["position"],
            **{f"placement_{name}": f"{data['placement'][name]:g}" for name in PLACEMENT},
            "placeholder_width": str(data["placeholder"]["width"]),
            "placeholder_height": str(data["placeholder"]["height"]),
            "title_template": data["title_template"],
            "description_template": data["description_template"],
            "tags": ", ".join(data["tags"]),
            "price_mode": RULE if markup is not None else "explicit",
            "markup_percent": "" if markup is None else f"{markup:g}",
            "round_to_cents": "" if ending is None else str(ending),
            "min_profit": "" if minimum is None else money(minimum),
        }
    )
