"""Product templates: list, create, change, delete, print readiness, and price and margin.

Templates are read with `read` and changed with `admin`; a template's pricing is read with `read`
and refreshed (which asks Printify, and may make and delete a throwaway draft) with `admin`.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask_restx import Namespace, Resource, fields

from gateway.app import validation as v
from gateway.app.api import common, spec
from gateway.app.api.representation import Listing
from gateway.app.api.representation import current as representation
from gateway.app.api.spec import nullable
from gateway.app.api.v1 import schemas
from gateway.app.extensions import db
from gateway.app.images import service as images
from gateway.app.imaging.upscale import FACTORS as UPSCALE_FACTORS
from gateway.app.publishing import cost_refresh, pricing
from gateway.app.publishing import service as publications
from gateway.app.publishing import templates as product_templates
from gateway.app.publishing.context import current as context
from gateway.app.publishing.models import ProductTemplate
from gateway.app.publishing.pricing_rules import (
    DEFAULT_ROUND_TO_CENTS,
    MAX_MARKUP_PERCENT,
    MAX_PRICE_CENTS,
)
from gateway.app.security import api_access, require_principal

templates_ns = Namespace("templates", description="Product templates (admin changes them)")


def _cents(description: str) -> fields.Integer:
    """An amount of money a template may set, in integer cents (null: not set)."""
    return nullable(fields.Integer(min=0, max=MAX_PRICE_CENTS, description=description))


catalog_id = {"min": 1, "max": product_templates.MAX_CATALOG_ID}
variant_model = templates_ns.model(
    "TemplateVariant",
    {
        "id": fields.Integer(
            required=True, description="Printify catalog variant id", **catalog_id
        ),
        "price": _cents("integer cents; leave it out (or null) for the pricing rule to price"),
    },
    strict=True,
)
pricing_model = templates_ns.model(
    "PricingRule",
    {
        "markup_percent": nullable(
            fields.Float(
                min=0,
                max=MAX_MARKUP_PERCENT,
                description="price = production cost x (1 + markup_percent / 100); "
                "required when a variant has no price of its own",
            )
        ),
        "round_to_cents": nullable(
            fields.Integer(
                min=0,
                max=99,
                default=DEFAULT_ROUND_TO_CENTS,
                description="the rule's price is rounded up to end in these cents (99: 12.99); "
                "null: to the whole cent",
            )
        ),
        "min_profit_cents": _cents(
            "publishing refuses a variant earning less (price - cost - shipping)"
        ),
    },
    strict=True,
)
figures_model = templates_ns.model(
    "VariantPricing",
    {
        "id": fields.Integer(),
        "title": nullable(fields.String(description="null until a cost is learned")),
        "price": nullable(fields.Integer(description="cents; null: rule price, cost unknown")),
        "cost": nullable(fields.Integer(description="production cost, cents")),
        "shipping": nullable(fields.Integer(description="first item to PRICING_COUNTRY, cents")),
        "profit": nullable(fields.Integer(description="price - cost - shipping, cents")),
        "margin_percent": nullable(fields.Float(description="profit / price x 100")),
        "known": fields.Boolean(description="whether the production cost is known"),
        "rule_priced": fields.Boolean(description="priced by the template's rule"),
        "below_min_profit": fields.Boolean(),
    },
)
pricing_view_fields = {
    "template_id": fields.String(),
    "currency": fields.String(example="USD"),
    "country": fields.String(example="US", description="PRICING_COUNTRY"),
    "pricing": nullable(fields.Nested(pricing_model)),
    "variants": fields.List(fields.Nested(figures_model)),
}
pricing_view = templates_ns.model("TemplatePricing", pricing_view_fields)
learned_model = templates_ns.model(
    "PricingLearned",
    {
        "shipping_variants": fields.Integer(description="variants whose shipping was learned"),
        "draft_product_id": nullable(
            fields.String(description="the throwaway draft made (and deleted) to read costs")
        ),
    },
)
refreshed_view = templates_ns.model(
    "TemplatePricingRefreshed",
    {**pricing_view_fields, "learned": fields.Nested(learned_model)},
)
placement_descriptions = {
    "x": "centre, fraction of the print area width",
    "y": "centre, fraction of the print area height",
    "scale": "design width / print area width",
    "angle": "degrees",
}
placement_model = templates_ns.model(
    "Placement",
    {
        name: fields.Float(
            default=default, min=low, max=high, description=placement_descriptions[name]
        )
        for name, (default, low, high) in product_templates.PLACEMENT.items()
    },
    strict=True,
)
print_area = {"required": True, "min": 1, "max": product_templates.MAX_PRINT_AREA_PIXELS}
size_model = templates_ns.model(
    "PrintArea",
    {"width": fields.Integer(**print_area), "height": fields.Integer(**print_area)},
    strict=True,
)
template_fields = {
    "name": schemas.text(
        required=True, max_length=product_templates.MAX_NAME_LENGTH, example="Tee, front"
    ),
    "blueprint_id": fields.Integer(required=True, example=6, **catalog_id),
    "print_provider_id": fields.Integer(required=True, example=99, **catalog_id),
    "variants": fields.List(
        fields.Nested(variant_model),
        required=True,
        min_items=1,
        max_items=product_templates.MAX_VARIANTS,
        description="variant ids are unique",
    ),
    "position": schemas.optional_text(
        max_length=product_templates.MAX_POSITION_LENGTH, default="front"
    ),
    "placement": nullable(fields.Nested(placement_model, description="null: the defaults")),
    "placeholder": fields.Nested(
        size_model, description="print area pixels; only needed while Printify is offline"
    ),
    "title_template": schemas.optional_text(
        max_length=product_templates.MAX_TEMPLATE_LENGTH,
        allow_newlines=True,
        default="{title}",
        example="{title} | Graphic Tee",
    ),
    "description_template": schemas.optional_text(
        max_length=v.MAX_DESCRIPTION_LENGTH,
        allow_newlines=True,
        allow_markup=True,
        default="{description}",
        description="HTML; {title} {description} {prompt} {tags}",
    ),
    "tags": nullable(schemas.tag_list()),
    "pricing": nullable(
        fields.Nested(pricing_model, description="price variants from their cost; null: none")
    ),
}
template_input = templates_ns.model("TemplateInput", template_fields, strict=True)
template_update = templates_ns.model(
    "TemplateUpdate",
    {
        name: field
        for name, field in template_fields.items()
        if name not in {"name", "blueprint_id", "print_provider_id", "variants"}
    }
    | {
        "name": schemas.text(max_length=product_templates.MAX_NAME_LENGTH),
        "blueprint_id": fields.Integer(**catalog_id),
        "print_provider_id": fields.Integer(**catalog_id),
        "variants": fields.List(
            fields.Nested(variant_model), min_items=1, max_items=product_templates.MAX_VARIANTS
        ),
    },
    strict=True,
)
template_model = templates_ns.model(
    "Template",
    {
        **template_fields,
        "placement": fields.Nested(placement_model),
        "tags": fields.List(fields.String()),
        "id": fields.String(),
        "blueprint_title": fields.String(),
        "print_provider_title": fields.String(),
        "catalog_checked": fields.Boolean(),
        "catalog_checked_at": nullable(fields.DateTime()),
        "created_by": fields.String(),
        "created_at": fields.DateTime(),
        "updated_at": fields.DateTime(),
    },
)
template_list = templates_ns.model(
    "TemplateList", {"items": fields.List(fields.Nested(template_model))}
)
error = schemas.error_model(templates_ns)


def _present_templates(rows: Sequence[ProductTemplate]) -> list[dict]:
    return [product_templates.to_dict(row) for row in rows]


@templates_ns.route("")
class Templates(Resource):
    @templates_ns.response(200, "Every template", template_list)
    @spec.cursor_paged(templates_ns, "Template")
    @api_access("templates.list")
    def get(self) -> dict:
        """List product templates (v1: all, by name; v2: newest first, by cursor)."""
        return representation().listed(
            Listing(
                keyset=product_templates.BY_CREATED,
                query=product_templates.templates_query,
                present=_present_templates,
                legacy=lambda: {
                    "items": _present_templates(product_templates.list_all(db.session))
                },
            )
        )

    @templates_ns.expect(template_input)
    @templates_ns.response(201, "Created (checked against the catalog)", template_model)
    @templates_ns.response(400, "Invalid, or not in the catalog", error)
    @templates_ns.response(409, "Name taken", error)
    @spec.asks_printify(templates_ns)
    @api_access("templates.create")
    @common.idempotent_call(templates_ns)
    def post(self) -> tuple[dict, int]:
        """Create a template; every variant and the position are checked against the catalog."""
        template = product_templates.create(
            db.session, context().catalog, common.json_body(), require_principal().actor
        )
        return product_templates.to_dict(template), 201


@templates_ns.route("/<string:template_id>")
class TemplateItem(Resource):
    @templates_ns.response(200, "The template", template_model)
    @templates_ns.response(404, "Unknown template", error)
    @api_access("templates.get")
    def get(self, template_id: str) -> dict:
        """One template."""
        return product_templates.to_dict(product_templates.get(db.session, template_id))

    @templates_ns.expect(template_update)
    @templates_ns.response(200, "Updated", template_model)
    @templates_ns.response(400, "Invalid, or not in the catalog", error)
    @spec.asks_printify(templates_ns)
    @api_access("templates.update")
    def put(self, template_id: str) -> dict:
        """Change a template (any subset of fields); checked against the catalog again."""
        template = product_templates.update(
            db.session,
            context().catalog,
            template_id,
            common.json_body(),
            require_principal().actor,
        )
        return product_templates.to_dict(template)

    @templates_ns.response(204, "Deleted")
    @templates_ns.response(404, "Unknown template", error)
    @api_access("templates.delete")
    def delete(self, template_id: str) -> tuple[str, int]:
        """Delete a template; publications keep the copy they were made with."""
        product_templates.delete(db.session, template_id, require_principal().actor)
        return "", 204


upscale_advice_model = templates_ns.model(
    "UpscaleForPrint",
    {
        "needed": fields.Boolean(description="the image prints below PRINT_DPI here as it is"),
        "factor": nullable(
            spec.with_schema(
                fields.Integer(
                    description="the smallest upscale factor reaching PRINT_DPI here (POST "
                    "/images/{id}/upscale); null when none is needed or none reaches it",
                ),
                enum=list(UPSCALE_FACTORS),
            )
        ),
        "reachable": fields.Boolean(
            description="false when even the largest allowed factor falls short"
        ),
        "allowed": fields.List(
            spec.with_schema(fields.Integer(), enum=list(UPSCALE_FACTORS)),
            description="factors whose result stays within MAX_IMAGE_DIMENSION",
        ),
    },
)
readiness_model = templates_ns.model(
    "PrintReadiness",
    {
        "canvas_width": fields.Integer(description="the print area, px"),
        "canvas_height": fields.Integer(),
        "dpi": fields.Integer(description="PRINT_DPI: the print file's resolution"),
        "design_width_px": fields.Integer(description="the design's width on the print file"),
        "design_height_px": fields.Integer(),
        "upscale": fields.Float(description="how much the print file stretches the source"),
        "effective_dpi": fields.Float(description="the source's pixels per printed inch"),
        "print_width_in": fields.Float(),
        "print_height_in": fields.Float(),
        "below_floor": fields.Boolean(description="effective DPI below PRINT_DPI_FLOOR"),
        "warnings": fields.List(fields.String()),
        "upscale_for_print": fields.Nested(upscale_advice_model),
    },
)


@templates_ns.route("/<string:template_id>/readiness/<string:image_id>")
class TemplateReadiness(Resource):
    @templates_ns.response(200, "How the image prints at this template", readiness_model)
    @templates_ns.response(404, "Unknown template or image", error)
    @api_access("templates.readiness")
    def get(self, template_id: str, image_id: str) -> dict:
        """Print readiness of an image at this template: upscale factor, effective DPI, warnings."""
        template = product_templates.get(db.session, template_id)
        image = images.get(db.session, image_id)
        return publications.readiness_for(context(), image, template).to_dict()


@templates_ns.route("/<string:template_id>/pricing")
class TemplatePricing(Resource):
    @templates_ns.response(
        200, "Price, cost, shipping, profit and margin per variant", pricing_view
    )
    @templates_ns.response(404, "Unknown template", error)
    @api_access("templates.pricing")
    def get(self, template_id: str) -> dict:
        """Each variant's price, learned cost and shipping, profit and margin (null until known)."""
        template = product_templates.to_dict(product_templates.get(db.session, template_id))
        return pricing.view(db.session, template, context().settings.pricing_country)


@templates_ns.route("/<string:template_id>/pricing/refresh")
class TemplatePricingRefresh(Resource):
    @templates_ns.response(200, "Costs and shipping learned; the new figures", refreshed_view)
    @templates_ns.response(404, "Unknown template", error)
    @spec.asks_printify(templates_ns)
    @api_access("templates.pricing_refresh")
    @common.idempotent_call(templates_ns)
    def post(self, template_id: str) -> dict:
        """Learn costs now: shipping from the catalog; production costs no product answer gave
        yet from a throwaway draft product with the template's variants, deleted at once."""
        template = product_templates.to_dict(product_templates.get(db.session, template_id))
        return cost_refresh.refresh(db.session, context(), template)
