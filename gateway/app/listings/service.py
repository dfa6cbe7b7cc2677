"""Listing drafts for stored images: the image and (optionally) the template that names its
product, handed to the drafter. Nothing is saved: the operator edits the draft and saves it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from gateway.app import validation as v
from gateway.app.errors import ValidationFailed
from gateway.app.images import service as images
from gateway.app.ip_risk.screen import Screen
from gateway.app.listings.drafts import Draft, draft, product_kind
from gateway.app.publishing import templates as product_templates


def draft_listing(session: Session, image_id: str, body: object, screen: Screen) -> Draft:
    """Draft a title, description and tags for the image (`{template_id?}` names the product).

    An upload has no prompt; its own title and tags seed the draft instead.
    """
    data = v.require_object(body)
    v.refuse_unknown(data, {"template_id"})
    template_id = data.get("template_id")
    if template_id is not None and not v.looks_like_id(template_id):
        raise ValidationFailed("template_id must be an id", {"template_id": "must be an id"})
    image = images.get(session, image_id)
    kind = None
    if template_id is not None:
        # A template saved without the catalog (no Printify token) has no blueprint title yet.
        template = product_templates.get(session, template_id)
        kind = product_kind(template.blueprint_title) or product_kind(template.name)
    seed = image.prompt or " ".join([image.title, *(image.tags or [])])
    return draft(seed, image.params or {}, kind, screen)
