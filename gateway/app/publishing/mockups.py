"""Mockup previews: the design on the product, placed as the template's print file places it.

A preview is drawn locally and never asks Printify: the product is a silhouette of the blueprint's
family (`silhouettes`) in the variant's colour (the catalog's `options.color`, read through the
cached catalog, as RGB by `colours`), and the design is laid on the print area by the same
`printfiles.place` that lays out the print file, on a print area of the same aspect ratio, so the
preview shows exactly what would be printed, clipping included.

Previews are cached by content: the key hashes the image's content, the template's geometry, the
colour, the family and `silhouettes.VERSION`, so an edited template or a new drawing gets a new
preview and an unchanged one is rendered once. The cache is a directory under the state folder
shared by every process of the machine, kept to `MAX_CACHED_PREVIEWS` files (least recently used
go first); a preview is only ever served after its image and template are found, so one left
behind by a deleted image is never shown.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pyvips
from sqlalchemy.orm import Session

from gateway.app import validation as v
from gateway.app.errors import ValidationFailed
from gateway.app.images import service as images
from gateway.app.imaging.storage import Storage
from gateway.app.publishing import colours, printfiles, silhouettes
from gateway.app.publishing import templates as product_templates
from gateway.app.publishing.catalog import Catalog
from gateway.app.publishing.colours import Colour
from gateway.app.publishing.context import PublishingContext
from gateway.app.publishing.models import ProductTemplate
from gateway.app.publishing.printfiles import Placement

PREVIEW_SIDE = 1024
MEDIA_TYPE = "image/webp"
WEBP_QUALITY = 85
# libvips' fastest WebP effort: a quarter of the default's encoding time for files a third larger
# (about 27 KB at 1024 px), and encoding was most of a cold preview's time.
WEBP_EFFORT = 0
MAX_CACHED_PREVIEWS = 2000
CACHE_DIRECTORY = ("cache", "previews")
# A preview's URL keeps its address when its template is edited, so browsers ask again (cheaply:
# the ETag is the content key, answered 304 without rendering).
CACHE_CONTROL = "private, no-cache"


@dataclass(frozen=True)
class PreviewQuery:
    """The preview's parameters: a template and, optionally, one of its variants."""

    template_id: str
    variant_id: int | None

    @classmethod
    def parse(cls, args: Mapping[str, str]) -> PreviewQuery:
        """Read `template_id` and `variant_id` from query parameters; every bad one is named."""
        errors = v.FieldErrors()
        template_id = args.get("template_id")
        if not v.looks_like_id(template_id):
            message = "is required: a template id" if not template_id else "is not a template id"
            errors.errors["template_id"] = message
        variant_id = errors.check(_variant_id, args.get("variant_id"))
        errors.raise_if_any()
        return cls(template_id=str(template_id), variant_id=variant_id)


def _variant_id(value: str | None) -> int | None:
    if value is None:
        return None
    text = value.strip()
    if not text.isascii() or not text.isdigit():
        raise ValidationFailed(
            "variant_id must be an integer", {"variant_id": "must be an integer"}
        )
    return v.integer(int(text), "variant_id", minimum=1, maximum=product_templates.MAX_CATALOG_ID)


@dataclass(frozen=True)
class PreviewSpec:
    """Everything a preview depends on; `key` names its content."""

    sha256: str
    original_key: str
    variant_id: int
    position: str
    canvas_width: int
    canvas_height: int
    placement: Placement
    family: str
    colour: Colour

    @property
    def key(self) -> str:
        """The content key: equal keys are the same picture."""
        fields = {
            "version": silhouettes.VERSION,
            "side": PREVIEW_SIDE,
            "quality": WEBP_QUALITY,
            "effort": WEBP_EFFORT,
            "image": self.sha256,
            "position": self.position,
            "canvas": [self.canvas_width, self.canvas_height],
            "placement": [
                self.placement.x,
                self.placement.y,
                self.placement.scale,
                self.placement.angle,
            ],
            "family": self.family,
            "colour": self.colour.hex,
        }
        return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class ColourChoice:
    """One colour a template can be previewed in, by the first of its variants in that colour."""

    variant_id: int
    colour: Colour


def catalog_colours(catalog: Catalog, template: ProductTemplate) -> dict[int, str]:
    """Variant id -> colour name, from the stored catalog answer of the template's blueprint and
    provider however old (colour names rarely change, and Printify is never asked: the template's
    check against the catalog stored the answer); empty when nothing is stored (a template saved
    with no Printify token), so the preview falls back to a neutral colour instead of failing."""
    offered = catalog.stored_variants(template.blueprint_id, template.print_provider_id) or {}
    found: dict[int, str] = {}
    for variant in offered.get("variants") or []:
        name = colours.option_colour(variant.get("options"))
        if name is not None and isinstance(variant.get("id"), int):
            found[variant["id"]] = name
    return found


def colour_choices(catalog: Catalog, template: ProductTemplate) -> list[ColourChoice]:
    """The template's colours in its variants' order, one choice each (one for a product that
    has no colour option, such as a poster)."""
    family = silhouettes.family_for(template.blueprint_title)
    names = catalog_colours(catalog, template)
    choices: dict[str, ColourChoice] = {}
    for variant in template.variants:
        colour = colours.colour_named(names.get(variant["id"]), family.default_colour)
        choices.setdefault(colour.name, ColourChoice(variant["id"], colour))
    return list(choices.values())


def resolve(session: Session, catalog: Catalog, image_id: str, query: PreviewQuery) -> PreviewSpec:
    """What the preview of `image_id` with the query's template and variant shows.

    NOT_FOUND for an unknown image or template; VALIDATION_ERROR naming `variant_id` when the
    variant is not one of the template's. Without a variant, the template's first is shown.
    """
    image = images.get(session, image_id)
    template = product_templates.get(session, query.template_id)
    offered = [variant["id"] for variant in template.variants]
    if query.variant_id is not None and query.variant_id not in offered:
        message = f"variant {query.variant_id} is not in template {template.id}"
        raise ValidationFailed(message, {"variant_id": message})
    variant_id = query.variant_id if query.variant_id is not None else offered[0]
    family = silhouettes.family_for(template.blueprint_title)
    name = catalog_colours(catalog, template).get(variant_id)
    return PreviewSpec(
        sha256=image.sha256,
        original_key=image.original_key,
        variant_id=variant_id,
        position=template.position,
        canvas_width=template.placeholder_width,
        canvas_height=template.placeholder_height,
        placement=Placement(**template.placement),
        family=family.name,
        colour=colours.colour_named(name, family.default_colour),
    )


@dataclass(frozen=True)
class PreviewFrame:
    """Where the print area sits in the preview, in pixels (what `render` composes onto)."""

    left: int
    top: int
    width: int
    height: int


def frame(spec: PreviewSpec, side: int = PREVIEW_SIDE) -> PreviewFrame:
    """The print area's pixels in a `side`-square preview: the family's box for the position,
    fitted to the print area's aspect ratio."""
    family = silhouettes.BY_NAME[spec.family]
    area = family.area(spec.position, spec.canvas_width / spec.canvas_height)
    factor = side / silhouettes.VIEW
    return PreviewFrame(
        left=round(area.left * factor),
        top=round(area.top * factor),
        width=max(1, round(area.width * factor)),
        height=max(1, round(area.height * factor)),
    )


def render(spec: PreviewSpec, source: bytes, side: int = PREVIEW_SIDE) -> bytes:
    """The preview as WebP: the product drawn `side` pixels square, the design on its print area.

    Raises ValueError when `source` cannot be decoded.
    """
    family = silhouettes.BY_NAME[spec.family]
    area = family.area(spec.position, spec.canvas_width / spec.canvas_height)
    drawing = silhouettes.svg(family, spec.colour.rgb, area, spec.position, side)
    product = pyvips.Image.new_from_buffer(drawing, "")
    where = frame(spec, side)
    size = printfiles.source_size(source)
    # Decoded no larger than the design is drawn: an 8192 px source costs what a small one does.
    fit = max(printfiles.design_size(*size, where.width, spec.placement))
    design = printfiles.place(
        printfiles.decode(source, fit=fit), where.width, where.height, spec.placement, source=size
    )
    # Only the print area is blended; the rest of the product is copied as drawn.
    region = product.crop(where.left, where.top, where.width, where.height)
    printed = region.composite2(design, "over").cast("uchar")
    mockup = product.insert(printed, where.left, where.top).extract_band(0, n=3)
    return mockup.write_to_buffer(".webp", Q=WEBP_QUALITY, effort=WEBP_EFFORT, keep="none")


class PreviewCache:
    """Rendered previews as files named by their content key, written atomically."""

    def __init__(self, root: Path, max_entries: int = MAX_CACHED_PREVIEWS) -> None:
        self.root = root
        self.max_entries = max_entries

    def path_for(self, key: str) -> Path:
        if len(key) != 64 or not all(ch in "0123456789abcdef" for ch in key):
            raise ValueError(f"not a preview key: {key!r}")
        return self.root / f"{key}.webp"

    def get(self, key: str) -> bytes | None:
        """The cached preview, marked as just used, or None."""
        path = self.path_for(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        with contextlib.suppress(FileNotFoundError):  # another process pruned it meanwhile
            os.utime(path)
        return data

    def put(self, key: str, data: bytes) -> None:
        """Keep `data` under `key`; readers see the whole file or none."""
        self.root.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.root, prefix=".tmp-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.replace(temporary, self.path_for(key))
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        self._prune()

    def _prune(self) -> None:
        """Drop the least recently used previews once there are more than `max_entries`."""
        entries: list[tuple[float, Path]] = []
        with os.scandir(self.root) as found:
            for entry in found:
                if entry.name.endswith(".webp"):
                    try:
                        entries.append((entry.stat().st_mtime, Path(entry.path)))
                    except FileNotFoundError:
                        continue
        if len(entries) <= self.max_entries:
            return
        entries.sort()
        # A tenth below the limit, so a full cache is not pruned again at every write.
        keep = self.max_entries * 9 // 10
        for _, path in entries[: len(entries) - keep]:
            path.unlink(missing_ok=True)


def cache_for(context: PublishingContext) -> PreviewCache:
    """This deployment's preview cache, under its state folder."""
    return PreviewCache(context.settings.state_dir.joinpath(*CACHE_DIRECTORY))


def preview(cache: PreviewCache, storage: Storage, spec: PreviewSpec) -> bytes:
    """The preview's WebP bytes: from the cache, or rendered from the stored original and kept."""
    data = cache.get(spec.key)
    if data is None:
        data = render(spec, storage.get(spec.original_key))
        cache.put(spec.key, data)
    return data
