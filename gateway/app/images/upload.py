"""Operators' own designs coming in, and image files going out."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Protocol

from PIL import Image as PILImage
from sqlalchemy.orm import Session

from gateway.app import validation as v
from gateway.app.audit.service import Actor
from gateway.app.images import service
from gateway.app.images.models import Image
from gateway.app.images.service import ImageOrigin
from gateway.app.imaging.storage import Storage
from gateway.app.imaging.validation import ImageLimits
from gateway.app.settings import Settings


class ImageFiles(Protocol):
    """The handles storing and serving image files take: a process's settings, storage and
    image limits (the generation context holds them; images never imports generation)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def storage(self) -> Storage: ...

    @property
    def limits(self) -> ImageLimits: ...


def store_upload(
    session: Session,
    context: ImageFiles,
    data: bytes,
    *,
    filename: str | None,
    form: Mapping[str, str],
    actor: Actor,
) -> Image:
    """Validate the form first (cheap), then the image, store it, and add it in `pending`."""
    errors = v.FieldErrors()
    title = service.check_listing_text(errors, "title", form.get("title"))
    description = service.check_listing_text(errors, "description", form.get("description"))
    tags = errors.check(v.comma_separated_tags, form.get("tags"))
    errors.raise_if_any()
    settings = context.settings
    processed = service.prepare(
        context.storage, data, context.limits, settings, declared_filename=filename
    )
    image = service.add_image(
        session,
        processed,
        ImageOrigin(source="upload", prompt=None),
        actor,
        duplicate_max_distance=settings.duplicate_max_distance,
        screen=settings.ip_screen,
        title=title or "",
        description=description or "",
        tags=tags or [],
    )
    session.commit()
    return image


def _print_png(original: bytes, dpi: int) -> bytes:
    with PILImage.open(io.BytesIO(original)) as source:
        source.load()
        converted = source if source.mode in ("RGB", "RGBA") else source.convert("RGBA")
        out = io.BytesIO()
        converted.save(out, format="PNG", dpi=(dpi, dpi), optimize=False)
    return out.getvalue()


def stored_variant(context: ImageFiles, image: Image, variant: str) -> tuple[str, str]:
    """The storage key and type of `original`, `thumbnail` (WebP) or `print` (PNG at print DPI).

    The print file is made on first request and stored like the other content-addressed files,
    so every variant can be served from storage, by a presigned URL included.
    """
    if variant == "thumbnail":
        return image.thumbnail_key, "image/webp"
    if variant == "original":
        return image.original_key, image.mime
    storage = context.storage
    key = service.print_key(image)
    if not storage.exists(key):
        data = _print_png(storage.get(image.original_key), context.settings.print_dpi)
        storage.put(key, data, "image/png")
    return key, "image/png"
