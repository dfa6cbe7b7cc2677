"""The Printify steps of a publication: print file, upload, create, publish.

Printify has no idempotency keys, so before each call that creates something the step is written
down as `pending_call`; if the answer never arrives (timeout, 5xx, a dead worker), the next attempt
first looks in Printify for what the call would have made (the upload by file name, the product by
its marker tag, the lock of a started publish) and adopts it instead of sending again.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Row, select

from gateway.app.clients.printify import PrintifyClient
from gateway.app.clients.printify_errors import PrintifyError, PrintifyUnavailable
from gateway.app.images.models import Image
from gateway.app.publishing import claims, printfiles, publication_files
from gateway.app.publishing import templates as product_templates
from gateway.app.publishing.context import PublishingContext

log = logging.getLogger(__name__)
IMAGES = Image.__table__
MAX_MOCKUPS = 24


def image_row(context: PublishingContext, image_id: str) -> Row[Any]:
    with context.engine.connect() as connection:
        return connection.execute(select(IMAGES).where(IMAGES.c.id == image_id)).one()


def _render(context: PublishingContext, row: Row[Any], owner: str) -> str:
    image = image_row(context, row.image_id)
    template = row.template
    placeholder = template["placeholder"]
    print_file = printfiles.render_print_file(
        context.storage.get(image.original_key),
        placeholder["width"],
        placeholder["height"],
        product_templates.placement_of(template),
        dpi=context.settings.print_dpi,
        dpi_floor=context.settings.print_dpi_floor,
    )
    key = f"publications/{row.id}.png"
    context.storage.put(key, print_file.data, "image/png")
    claims.save(context, row.id, owner, print_key=key, readiness=print_file.readiness.to_dict())
    return key


def _send(context: PublishingContext, row: Row[Any], owner: str, call: str, send: Any) -> Any:
    """Send a call that creates something, with `pending_call` written down around it."""
    claims.save(context, row.id, owner, pending_call=call)
    try:
        return send()
    except PrintifyUnavailable as error:
        if not error.ambiguous:
            claims.save(context, row.id, owner, pending_call=None)
        raise
    except PrintifyError:
        claims.save(context, row.id, owner, pending_call=None)
        raise


def _reconciled(context: PublishingContext, row: Row[Any], owner: str, call: str) -> bool:
    """Whether an unconfirmed `call` must be looked for in Printify before sending again."""
    if row.pending_call != call:
        return False
    claims.save(context, row.id, owner, reconciliations=row.reconciliations + 1)
    log.info("publication %s: reconciling an unconfirmed %s", row.id, call)
    return True


def upload(context: PublishingContext, client: PrintifyClient, row: Row[Any], owner: str) -> str:
    file_name = f"{row.marker}.png"
    if _reconciled(context, row, owner, "upload"):
        found = client.find_upload(file_name)
        if found:
            return str(found["id"])
    key = row.print_key or _render(context, row, owner)
    url = None if client.dry_run else publication_files.upload_url(context, row.id, key)
    contents = None if url else context.storage.get(key)
    result = _send(
        context,
        row,
        owner,
        "upload",
        lambda: client.upload_image(file_name, url=url, contents=contents),
    )
    return str(result["id"])


def product_body(row: Row[Any], image: Row[Any], upload_id: str) -> dict[str, Any]:
    """The create-product request: the print file fills the print area (placement is baked in)."""
    template = row.template
    copy = product_templates.product_copy(template, image, row.marker)
    variant_ids = [variant["id"] for variant in template["variants"]]
    return {
        **copy,
        "blueprint_id": template["blueprint_id"],
        "print_provider_id": template["print_provider_id"],
        "variants": [
            {"id": variant["id"], "price": variant["price"], "is_enabled": True}
            for variant in template["variants"]
        ],
        "print_areas": [
            {
                "variant_ids": variant_ids,
                "placeholders": [
                    {
                        "position": template["position"],
                        "images": [{"id": upload_id, "x": 0.5, "y": 0.5, "scale": 1.0, "angle": 0}],
                    }
                ],
            }
        ],
    }


def mockups(product: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "src": item.get("src"),
            "position": item.get("position"),
            "variant_ids": (item.get("variant_ids") or [])[:50],
            "is_default": bool(item.get("is_default")),
        }
        for item in (product.get("images") or [])[:MAX_MOCKUPS]
        if isinstance(item, dict) and item.get("src")
    ]


def create(
    context: PublishingContext, client: PrintifyClient, row: Row[Any], owner: str
) -> dict[str, Any]:
    if _reconciled(context, row, owner, "create"):
        found = client.find_product(row.marker)
        if found:
            return found
    body = product_body(row, image_row(context, row.image_id), row.upload_id)
    return _send(context, row, owner, "create", lambda: client.create_product(body))


def publish(context: PublishingContext, client: PrintifyClient, row: Row[Any], owner: str) -> None:
    product_id = row.printify_product_id
    requested = row.publish_requested
    if _reconciled(context, row, owner, "publish"):
        product = client.get_product(product_id)
        requested = bool(product.get("is_locked") or product.get("external"))
    if not requested:
        _send(context, row, owner, "publish", lambda: client.publish(product_id))
    claims.save(context, row.id, owner, publish_requested=True, pending_call=None)
    handle = f"{context.settings.resolved_base_url}/review/images/{row.image_id}"
    client.publishing_succeeded(product_id, row.id, handle)
