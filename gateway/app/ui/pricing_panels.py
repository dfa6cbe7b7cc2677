"""Price and margin of every template, for the review detail page (its `_pricing.html` panel)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from gateway.app.publishing import pricing
from gateway.app.publishing import templates as product_templates
from gateway.app.publishing.models import ProductTemplate
from gateway.app.settings import Settings
from gateway.app.ui.template_forms import money


def pricing_panels(
    session: Session, settings: Settings, templates: list[ProductTemplate]
) -> dict[str, Any]:
    """Each template's figures (`publishing.pricing.view`) and the cents formatter they show with.

    Reads only what has been learned: the page never asks Printify.
    """
    views = [
        (
            template,
            pricing.view(session, product_templates.to_dict(template), settings.pricing_country),
        )
        for template in templates
    ]
    return {"pricing": views, "money": money}
