"""Learning costs now (`POST /templates/{id}/pricing/refresh`): shipping and a throwaway draft.

Shipping comes from the catalog's `shipping.json` (cached like the rest of the catalog). A cost is
only ever stated on a product, so for the variants no product answer has priced yet a draft product
with the template's variants is made, read and deleted at once (its tiny upload archived). Every
call is paced and guarded like any Printify call; what is learned is kept by `publishing.pricing`.
"""

from __future__ import annotations

import contextlib
import io
import secrets
from collections.abc import Mapping
from typing import Any

from PIL import Image as PILImage
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gateway.app.clients.pacing import PacingDelay
from gateway.app.clients.printify import PrintifyClient
from gateway.app.clients.printify_errors import PrintifyError, PrintifyUnavailable
from gateway.app.errors import ServiceUnavailable
from gateway.app.publishing.catalog import budget_spent, external_error
from gateway.app.publishing.context import PublishingContext
from gateway.app.publishing.pricing import figures, learn_product, learn_shipping, view

# Printify wants a price on every variant of a product; a draft that is deleted at once is never sold.
PROBE_PRICE_CENTS = 9999
PROBE_TITLE = "POD Gateway cost probe (deleted at once)"
# Configuration changes take a restart; an hour is when asking again may find Printify set up.
NOT_CONFIGURED_RETRY_SECONDS = 3600


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
            raise budget_spent(delay) from None
        except PrintifyError as error:
            raise external_error(error) from error
    answer = view(session, template, country)
    answer["learned"] = {"shipping_variants": shipping, "draft_product_id": draft}
    return answer
