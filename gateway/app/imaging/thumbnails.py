"""Review thumbnails: WebP images fitting a THUMBNAIL_SIZE square, made from the smallest source."""

from __future__ import annotations

import io

from PIL import Image

THUMBNAIL_SIZE = 512
THUMBNAIL_QUALITY = 80
THUMBNAIL_METHOD = 4
THUMBNAIL_MIME = "image/webp"

_DISPLAY_MODES = frozenset({"RGB", "RGBA"})
_RGB_MODES = frozenset({"RGB", "RGBA", "RGBX", "P", "PA"})
_DEEP_GREY_MODES = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N"})


def thumbnail_dimensions(width: int, height: int) -> tuple[int, int]:
    """The size a `width` x `height` image is shrunk to; smaller images are never enlarged."""
    scale = min(1.0, THUMBNAIL_SIZE / width, THUMBNAIL_SIZE / height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def draft_for_thumbnail(image: Image.Image) -> None:
    """Ask a not yet decoded JPEG to decode at the smallest DCT scale still as big as its thumbnail.

    Other formats ignore drafts. After this `image.size` is the reduced size.
    """
    image.draft(None, thumbnail_dimensions(*image.size))


def make_thumbnail(image: Image.Image) -> Image.Image:
    """`image` as RGB or RGBA, shrunk to fit a THUMBNAIL_SIZE square; `image` itself if it fits."""
    display = _display_copy(image)
    size = thumbnail_dimensions(*display.size)
    if size == display.size:
        return display
    return display.resize(size, Image.Resampling.BICUBIC, reducing_gap=2.0)


def thumbnail_icc_profile(source: Image.Image) -> bytes | None:
    """The source's ICC profile when it still describes the thumbnail's RGB pixels."""
    if source.mode not in _RGB_MODES:
        return None
    return source.info.get("icc_profile") or None


def encode_thumbnail(thumbnail: Image.Image, *, icc_profile: bytes | None) -> bytes:
    """The thumbnail as lossy WebP bytes, carrying only the colour profile."""
    buffer = io.BytesIO()
    options = {"icc_profile": icc_profile} if icc_profile else {}
    thumbnail.save(buffer, "WEBP", quality=THUMBNAIL_QUALITY, method=THUMBNAIL_METHOD, **options)
    return buffer.getvalue()


def _display_copy(image: Image.Image) -> Image.Image:
    if image.mode in _DISPLAY_MODES:
        return image
    if image.mode in _DEEP_GREY_MODES:
        # Pillow clips 16-bit grey to 255 on conversion; scale it to 8 bits instead.
        return image.convert("I").point(lambda value: value / 256).convert("RGB")
    return image.convert("RGBA" if image.has_transparency_data else "RGB")
