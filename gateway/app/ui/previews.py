"""The review detail page's mockup previews: the image on each template's product, per colour.

Each template gets one preview per colour its variants come in (one for a product without a colour
option). The pictures are the API's `GET /images/{id}/preview`, which takes the operator's session
as the page's thumbnails do; the page links each colour to its picture, and `static/js/detail.js`
swaps the shown picture in place.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from gateway.app import versioning
from gateway.app.images.models import Image
from gateway.app.publishing import mockups, silhouettes
from gateway.app.publishing.colours import Colour
from gateway.app.publishing.context import current
from gateway.app.publishing.models import ProductTemplate


@dataclass(frozen=True)
class PreviewColour:
    colour: Colour
    url: str


@dataclass(frozen=True)
class PreviewPanel:
    template: ProductTemplate
    family: str
    colours: list[PreviewColour]


def preview_url(image_id: str, template_id: str, variant_id: int) -> str:
    """The picture of `image_id` on the template's product in the variant's colour."""
    query = urlencode({"template_id": template_id, "variant_id": variant_id})
    return f"{versioning.CURRENT_API}/images/{image_id}/preview?{query}"


def preview_panels(image: Image, templates: list[ProductTemplate]) -> list[PreviewPanel]:
    """One panel per template, its colours in the order of the template's variants."""
    catalog = current().catalog
    return [
        PreviewPanel(
            template=template,
            family=silhouettes.family_for(template.blueprint_title).name,
            colours=[
                PreviewColour(choice.colour, preview_url(image.id, template.id, choice.variant_id))
                for choice in mockups.colour_choices(catalog, template)
            ],
        )
        for template in templates
    ]
