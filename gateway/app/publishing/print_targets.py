"""The products an image could be printed on, as print targets for its quality report.

Each saved template is one: its design is `placement.scale` of its print area wide, at PRINT_DPI
(as the print file lays it out). With no template saved, the default product is the one target
when DEFAULT_PRINT_WIDTH_INCHES is set, and there is none otherwise: until a seller has a product,
no image is said to print soft. One query, made once per page or API call that shows images.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.app.imaging.quality import PrintTarget, PrintTargets
from gateway.app.publishing.models import ProductTemplate
from gateway.app.publishing.printfiles import Placement, design_size
from gateway.app.settings import Settings

DEFAULT_PRODUCT = "the default product"


def load(session: Session, settings: Settings) -> PrintTargets:
    """Every template's print target, by name; the default product's when there is none."""
    rows = session.execute(
        select(
            ProductTemplate.id,
            ProductTemplate.name,
            ProductTemplate.placeholder_width,
            ProductTemplate.placement,
        ).order_by(ProductTemplate.name)
    )
    items = tuple(
        PrintTarget(
            name=f"\N{LEFT DOUBLE QUOTATION MARK}{name}\N{RIGHT DOUBLE QUOTATION MARK}",
            width_px=design_size(1, 1, width, Placement(**placement))[0],
            template_id=template_id,
        )
        for template_id, name, width, placement in rows
    )
    if not items and settings.default_print_width_inches:
        width_px = round(settings.default_print_width_inches * settings.print_dpi)
        items = (PrintTarget(name=DEFAULT_PRODUCT, width_px=width_px),)
    return PrintTargets(items=items, print_dpi=settings.print_dpi)
