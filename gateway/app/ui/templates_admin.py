"""/templates: product templates (list, create, edit, delete) and the Printify catalog behind them.

Admins only. A template is made by walking the catalog through the gateway's cache: a blueprint,
then a print provider (the query arguments `blueprint_id` and `print_provider_id`, so each step is
a plain GET that works without script), then the variants to enable, each with a price or priced
by a markup rule (`ui.template_forms` reads the form). While Printify is not configured and nothing
is cached, the ids and the print area's pixel size are typed instead. A template's page shows each
variant's price, learned cost, shipping, profit and margin, and "Refresh costs" learns them now.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.wrappers import Response

from gateway.app.accounts.sessions import operator_principal
from gateway.app.audit.service import Actor
from gateway.app.errors import GatewayError
from gateway.app.extensions import db
from gateway.app.publishing import cost_refresh, pricing
from gateway.app.publishing import templates as product_templates
from gateway.app.publishing.catalog import Catalog, CatalogUnavailable
from gateway.app.publishing.context import current as publishing_context
from gateway.app.publishing.models import ProductTemplate
from gateway.app.ui import blueprint
from gateway.app.ui.access import ui_access
from gateway.app.ui.actions import attempt, require_token
from gateway.app.ui.admin_forms import ConfirmForm, TemplateForm
from gateway.app.ui.template_forms import (
    FormErrors,
    apply_errors,
    body_from,
    form_for,
    money,
    selection,
    typed_prices,
    variants_from,
    whole,
)


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


def _actor() -> Actor:
    return operator_principal(current_user).actor  # type: ignore[arg-type]


def _catalog() -> Catalog:
    return publishing_context().catalog


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
    choices = _browse(_catalog(), whole(form.blueprint_id.data), whole(form.print_provider_id.data))
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
            priced=pricing.view(
                db.session,
                product_templates.to_dict(template),
                publishing_context().settings.pricing_country,
            ),
            action_form=ConfirmForm(),
            page_url=url_for("ui.template_detail", template_id=template.id),
            **_editor(form, selection, errors),
        ),
        status,
    )


@dataclass(frozen=True)
class _Refused:
    status: int
    errors: FormErrors


def _save(
    form: TemplateForm, chosen: dict[str, str], save: Callable[[dict[str, Any]], ProductTemplate]
) -> ProductTemplate | _Refused:
    """The template `save` makes of the form's body, or its refusal marked on the form's fields
    (the request's transaction rolled back)."""
    variant_ids: list[Any] = []
    try:
        variants, variant_ids = variants_from(form, chosen)
        return save(body_from(form, variants, _catalog().online))
    except GatewayError as error:
        db.session.rollback()
        return _Refused(error.status, apply_errors(form, error, variant_ids))


def _saved(template: ProductTemplate, verb: str) -> Response:
    """Say the template is saved (and whether the catalog checked it), back on the list."""
    if template.catalog_checked_at:
        flash(f"Template “{template.name}” {verb}, checked against the Printify catalog.", "ok")
    else:
        flash(
            f"Template “{template.name}” {verb} unchecked: Printify is not configured, so its ids "
            "and print area are taken as typed until publishing can check them.",
            "ok",
        )
    return redirect(url_for("ui.templates"), 303)


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
    require_token(form)
    chosen = selection()
    saved = _save(
        form, chosen, lambda body: product_templates.create(db.session, _catalog(), body, _actor())
    )
    if isinstance(saved, _Refused):
        return _list_page(form, chosen, saved.status, saved.errors)
    return _saved(saved, "created")


@blueprint.get("/templates/<template_id>")
@ui_access("admin")
def template_detail(template_id: str) -> ResponseReturnValue:
    template = product_templates.get(db.session, template_id)
    form = form_for(template)
    _follow_steps(form)
    return _edit_page(template, form, typed_prices(template))


@blueprint.post("/templates/<template_id>")
@ui_access("admin")
def update_template(template_id: str) -> ResponseReturnValue:
    form = TemplateForm()
    require_token(form)
    product_templates.get(db.session, template_id)
    chosen = selection()
    saved = _save(
        form,
        chosen,
        lambda body: product_templates.update(db.session, _catalog(), template_id, body, _actor()),
    )
    if isinstance(saved, _Refused):
        template = product_templates.get(db.session, template_id)
        return _edit_page(template, form, chosen, saved.status, saved.errors)
    return _saved(saved, "saved")


@blueprint.get("/templates/<template_id>/delete")
@ui_access("admin")
def confirm_delete_template(template_id: str) -> str:
    template = product_templates.get(db.session, template_id)
    return render_template("ui/template_delete.html", template=template, form=ConfirmForm())


@blueprint.post("/templates/<template_id>/delete")
@ui_access("admin")
def delete_template(template_id: str) -> Response:
    require_token(ConfirmForm())
    name = product_templates.get(db.session, template_id).name
    product_templates.delete(db.session, template_id, _actor())
    flash(f"Template “{name}” deleted; publications made with it keep their copy.", "ok")
    return redirect(url_for("ui.templates"), 303)


@blueprint.post("/templates/catalog/refresh")
@ui_access("admin")
def refresh_catalog() -> Response:
    """Forget the cached catalog, so the next steps ask Printify again."""
    require_token(ConfirmForm())
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


@blueprint.post("/templates/<template_id>/pricing/refresh")
@ui_access("admin")
def refresh_pricing(template_id: str) -> Response:
    """Learn the template's costs and shipping now (may make and delete a draft product)."""
    require_token(ConfirmForm())
    template = product_templates.to_dict(product_templates.get(db.session, template_id))
    learned = attempt(
        lambda: cost_refresh.refresh(db.session, publishing_context(), template),
        "Costs could not be learned",
    )
    if learned is not None:
        known = sum(row["known"] for row in learned["variants"])
        flash(f"Costs refreshed: {known} of {len(learned['variants'])} variants known.", "ok")
    return redirect(url_for("ui.template_detail", template_id=template_id) + "#pricing", 303)
