"""/templates: product templates (list, create, edit, delete) and the Printify catalog behind them.

Admins only. A template is made by walking the catalog through the gateway's cache: a blueprint,
then a print provider (the query arguments `blueprint_id` and `print_provider_id`, so each step is
a plain GET that works without script), then the variants to enable, each with a price. Prices are
typed as decimals (24.99) and saved as integer cents (2499). While Printify is not configured and
nothing is cached, the ids and the print area's pixel size are typed instead. Every rule stays in
`publishing.templates`; its field errors are shown next to the fields they name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.wrappers import Response

from gateway.app.accounts.sessions import operator_principal
from gateway.app.api.v1.publishing import context as publishing_context
from gateway.app.audit.service import Actor
from gateway.app.errors import Conflict, Forbidden, GatewayError, ValidationFailed
from gateway.app.extensions import db
from gateway.app.publishing import templates as product_templates
from gateway.app.publishing.catalog import Catalog, CatalogUnavailable
from gateway.app.publishing.models import ProductTemplate
from gateway.app.ui import blueprint
from gateway.app.ui.access import ui_access
from gateway.app.ui.admin_forms import ConfirmForm, TemplateForm

# Service field names that are not the form field of the same name (dots become underscores).
FIELD_FOR_ERROR = {"placement": "placement_x", "placeholder": "placeholder_width"}
VARIANT_ERROR = re.compile(r"variants\.(\d+)\.(id|price)")
LINE_SEPARATORS = re.compile(r"[\s,;]+")
PLACEMENT = ("x", "y", "scale", "angle")


@dataclass
class CatalogChoices:
    """What the catalog offers at each step the admin has reached, or why it could not be read."""

    online: bool
    blueprints: list[dict[str, Any]] | None = None
    providers: list[dict[str, Any]] | None = None
    variants: list[dict[str, Any]] | None = None
    problem: str | None = None

    @property
    def offline(self) -> bool:
        """Printify is not configured and the step needed is not cached: ids are typed."""
        return self.problem is not None and not self.online

    @property
    def typed(self) -> bool:
        """Whether the variants are typed as lines (the catalog could not list them)."""
        return self.problem is not None

    @property
    def positions(self) -> list[str]:
        """The print positions the listed variants offer, in catalog order."""
        found: dict[str, None] = {}
        for variant in self.variants or []:
            for area in variant.get("placeholders") or []:
                found.setdefault(str(area.get("position")), None)
        return list(found)


@dataclass
class FormErrors:
    """Errors that belong to no single field: the variants' and the template's as a whole."""

    variants: list[str] = field(default_factory=list)
    general: list[str] = field(default_factory=list)


def _actor() -> Actor:
    return operator_principal(current_user).actor  # type: ignore[arg-type]


def _catalog() -> Catalog:
    return publishing_context().catalog


def _checked(form: ConfirmForm | TemplateForm) -> None:
    if not form.validate_on_submit():
        raise Forbidden("CSRF check failed: the form is missing its token")


def money(cents: int) -> str:
    """Integer cents as the decimal the form shows (2499 -> "24.99")."""
    return f"{cents // 100}.{cents % 100:02d}"


def _cents(text: str) -> int | None:
    """A decimal price ("24.99", "24") in cents; None if it is not one, or has finer digits."""
    try:
        value = Decimal(text)
        exact = value.is_finite() and value == value.quantize(Decimal("0.01"))
    except InvalidOperation:
        return None
    return int(value * 100) if exact else None


def _whole(text: str | None) -> int | str | None:
    """An id as typed: an int when it is one; other text goes to the service to be refused."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        return text


def _number(text: str | None) -> float | int | str | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def _release_session() -> None:
    """End the request's transaction (IMMEDIATE on SQLite), so the catalog cache's own writes
    never wait behind it."""
    db.session.rollback()


def _browse(catalog: Catalog, blueprint_id: object, provider_id: object) -> CatalogChoices:
    """Read the catalog down to the step chosen; a level that cannot be read ends the walk."""
    _release_session()
    choices = CatalogChoices(online=catalog.online)
    try:
        choices.blueprints = catalog.blueprints()
        if isinstance(blueprint_id, int):
            choices.providers = catalog.print_providers(blueprint_id)
            if isinstance(provider_id, int):
                choices.variants = catalog.variants(blueprint_id, provider_id)["variants"]
    except CatalogUnavailable as error:
        choices.problem = error.message
    except GatewayError as error:
        choices.problem = f"the Printify catalog could not be read: {error.message}"
    return choices


def _price_for(text: str, default: str, label: str, errors: list[str]) -> int | None:
    raw = (text or default).strip()
    if not raw:
        errors.append(f"{label}: give it a price, or fill in the price for every variant.")
        return None
    cents = _cents(raw)
    if cents is None:
        errors.append(f"{label}: {raw!r} is not a price like 24.99.")
    return cents


def _selection() -> dict[str, str]:
    """The ticked catalog variants with their price as typed, from the submitted form."""
    return {
        variant_id: request.form.get(f"price-{variant_id}", "")
        for variant_id in dict.fromkeys(request.form.getlist("variant"))
    }


def _variants(
    form: TemplateForm, selection: dict[str, str]
) -> tuple[list[dict[str, Any]], list[Any]]:
    """The body's variants (price in cents) and their ids in order; ValidationFailed on a price
    or line the form cannot read."""
    default = form.default_price.data or ""
    errors: list[str] = []
    rows: list[tuple[str, str, str]] = []
    if form.variant_input.data == "typed":
        for number, line in enumerate((form.variant_lines.data or "").splitlines(), 1):
            parts = [part for part in LINE_SEPARATORS.split(line.strip()) if part]
            if len(parts) > 2:
                errors.append(f"Line {number}: write a variant id, then optionally its price.")
            elif parts:
                rows.append((parts[0], parts[1] if len(parts) == 2 else "", f"Line {number}"))
    else:
        rows = [(vid, price, f"Variant {vid}") for vid, price in selection.items()]
    variants = []
    for variant_id, price, label in rows:
        cents = _price_for(price, default, label, errors)
        variants.append({"id": _whole(variant_id), "price": cents})
    if errors:
        raise ValidationFailed("; ".join(errors), {"variants": "\n".join(errors)})
    return variants, [variant["id"] for variant in variants]


def _body(form: TemplateForm, variants: list[dict[str, Any]], online: bool) -> dict[str, Any]:
    """The template service's body from the form; the placeholder only while Printify is off."""
    placement = {
        name: value
        for name in PLACEMENT
        if (value := _number(getattr(form, f"placement_{name}").data)) is not None
    }
    body: dict[str, Any] = {
        "name": form.name.data or "",
        "blueprint_id": _whole(form.blueprint_id.data),
        "print_provider_id": _whole(form.print_provider_id.data),
        "variants": variants,
        "position": (form.position.data or "").strip() or "front",
        "placement": placement,
        "title_template": form.title_template.data or "",
        "description_template": form.description_template.data or "",
        "tags": (form.tags.data or "").split(","),
    }
    width, height = form.placeholder_width.data, form.placeholder_height.data
    if not online and ((width or "").strip() or (height or "").strip()):
        body["placeholder"] = {"width": _whole(width), "height": _whole(height)}
    return body


def _apply_errors(form: TemplateForm, error: GatewayError, variant_ids: list[Any]) -> FormErrors:
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


def _form_for(template: ProductTemplate) -> TemplateForm:
    data = product_templates.to_dict(template)
    lines = [f"{variant['id']} {money(variant['price'])}" for variant in data["variants"]]
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
        }
    )


def _follow_steps(form: TemplateForm) -> None:
    """A GET's catalog step (`blueprint_id`, then `print_provider_id`) overrides the form's ids."""
    chosen = request.args.get("blueprint_id", type=int)
    if chosen is not None:
        form.blueprint_id.data = str(chosen)
        form.print_provider_id.data = str(request.args.get("print_provider_id", type=int) or "")


def _editor(
    form: TemplateForm,
    selection: dict[str, str],
    errors: FormErrors | None = None,
) -> dict[str, Any]:
    """What the template form needs: the catalog walk from the form's ids, and the ticks."""
    choices = _browse(
        _catalog(), _whole(form.blueprint_id.data), _whole(form.print_provider_id.data)
    )
    form.variant_input.data = "typed" if choices.typed else "catalog"
    return {
        "form": form,
        "choices": choices,
        "selection": selection,
        "errors": errors or FormErrors(),
        "money": money,
    }


def _list_page(
    form: TemplateForm,
    selection: dict[str, str],
    status: int = 200,
    errors: FormErrors | None = None,
) -> ResponseReturnValue:
    editor = _editor(form, selection, errors)
    return (
        render_template(
            "ui/templates.html",
            templates=product_templates.list_all(db.session),
            action_form=ConfirmForm(),
            page_url=url_for("ui.templates"),
            **editor,
        ),
        status,
    )


def _edit_page(
    template: ProductTemplate,
    form: TemplateForm,
    selection: dict[str, str],
    status: int = 200,
    errors: FormErrors | None = None,
) -> ResponseReturnValue:
    return (
        render_template(
            "ui/template_edit.html",
            template=template,
            page_url=url_for("ui.template_detail", template_id=template.id),
            **_editor(form, selection, errors),
        ),
        status,
    )


def _saved(template: ProductTemplate, verb: str) -> None:
    if template.catalog_checked_at:
        flash(f"Template “{template.name}” {verb}, checked against the Printify catalog.", "ok")
    else:
        flash(
            f"Template “{template.name}” {verb} unchecked: Printify is not configured, so its ids "
            "and print area are taken as typed until publishing can check them.",
            "ok",
        )


@blueprint.get("/templates")
@ui_access("admin")
def templates() -> ResponseReturnValue:
    form = TemplateForm()
    _follow_steps(form)
    return _list_page(form, {})


@blueprint.post("/templates")
@ui_access("admin")
def create_template() -> ResponseReturnValue:
    form = TemplateForm()
    _checked(form)
    selection = _selection()
    variant_ids: list[Any] = []
    try:
        variants, variant_ids = _variants(form, selection)
        body = _body(form, variants, _catalog().online)
        template = product_templates.create(db.session, _catalog(), body, _actor())
    except GatewayError as error:
        db.session.rollback()
        return _list_page(form, selection, error.status, _apply_errors(form, error, variant_ids))
    _saved(template, "created")
    return redirect(url_for("ui.templates"), 303)


@blueprint.get("/templates/<template_id>")
@ui_access("admin")
def template_detail(template_id: str) -> ResponseReturnValue:
    template = product_templates.get(db.session, template_id)
    form = _form_for(template)
    _follow_steps(form)
    selection = {str(variant["id"]): money(variant["price"]) for variant in template.variants}
    return _edit_page(template, form, selection)


@blueprint.post("/templates/<template_id>")
@ui_access("admin")
def update_template(template_id: str) -> ResponseReturnValue:
    form = TemplateForm()
    _checked(form)
    template = product_templates.get(db.session, template_id)
    selection = _selection()
    variant_ids: list[Any] = []
    try:
        variants, variant_ids = _variants(form, selection)
        body = _body(form, variants, _catalog().online)
        template = product_templates.update(db.session, _catalog(), template_id, body, _actor())
    except GatewayError as error:
        db.session.rollback()
        template = product_templates.get(db.session, template_id)
        errors = _apply_errors(form, error, variant_ids)
        return _edit_page(template, form, selection, error.status, errors)
    _saved(template, "saved")
    return redirect(url_for("ui.templates"), 303)


@blueprint.get("/templates/<template_id>/delete")
@ui_access("admin")
def confirm_delete_template(template_id: str) -> str:
    template = product_templates.get(db.session, template_id)
    return render_template("ui/template_delete.html", template=template, form=ConfirmForm())


@blueprint.post("/templates/<template_id>/delete")
@ui_access("admin")
def delete_template(template_id: str) -> Response:
    _checked(ConfirmForm())
    name = product_templates.get(db.session, template_id).name
    product_templates.delete(db.session, template_id, _actor())
    flash(f"Template “{name}” deleted; publications made with it keep their copy.", "ok")
    return redirect(url_for("ui.templates"), 303)


@blueprint.post("/templates/catalog/refresh")
@ui_access("admin")
def refresh_catalog() -> Response:
    """Forget the cached catalog, so the next steps ask Printify again."""
    _checked(ConfirmForm())
    _release_session()
    catalog = _catalog()
    dropped = catalog.refresh()
    if catalog.online:
        flash(f"Catalog cache cleared ({dropped} answers); Printify is asked again.", "ok")
    else:
        flash(
            f"Catalog cache cleared ({dropped} answers). Printify is not configured, so nothing "
            "can be read again until PRINTIFY_API_TOKEN and PRINTIFY_SHOP_ID are set.",
            "error",
        )
    steps = {
        name: value
        for name in ("blueprint_id", "print_provider_id")
        if (value := request.form.get(name, type=int)) is not None
    }
    return redirect(url_for("ui.templates", **steps), 303)
