"""Decide whether uploaded bytes are an image we accept, before decoding a single pixel.

Checks run cheapest first: byte size, then magic bytes, then the declared file name, then the header
dimensions Pillow reads lazily. Only an image that passes all of them is handed back for decoding.
"""

from __future__ import annotations

import io
import struct
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import PurePosixPath

from PIL import Image, UnidentifiedImageError

ACCEPTED_FORMATS = ("PNG", "JPEG", "WEBP")

EXTENSION_FORMATS = {
    ".png": "PNG",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".jpe": "JPEG",
    ".jfif": "JPEG",
    ".webp": "WEBP",
}

_REFUSED_SIGNATURES = (
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"%PDF-", "PDF"),
)
_HEIF_BRANDS = (b"heic", b"heix", b"mif1", b"avif")

_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error)


@dataclass(frozen=True)
class ImageLimits:
    """How big an accepted image may be, in bytes, per side and in total pixels.

    `max_pixels` left at 0 means `max_dimension ** 2 // 2` (33.5 megapixels for 8192): any aspect
    ratio up to the side limit, but not a full square at the limit, which as RGBA would take
    268 MB to decode.
    """

    max_bytes: int
    max_dimension: int
    max_pixels: int = 0

    def __post_init__(self) -> None:
        if self.max_bytes <= 0 or self.max_dimension <= 0 or self.max_pixels < 0:
            raise ValueError(f"image limits must be positive: {self!r}")
        if self.max_pixels == 0:
            object.__setattr__(self, "max_pixels", self.max_dimension**2 // 2)


def generated_image_limits(max_bytes: int, max_dimension: int) -> ImageLimits:
    """The limits on images the gateway makes itself (generated, edited, upscaled): any shape
    within the side limit, a full square included, since no untrusted header is decoded."""
    return ImageLimits(
        max_bytes=max_bytes, max_dimension=max_dimension, max_pixels=max_dimension**2
    )


class ImageRejected(Exception):
    """An upload we refuse; `code` and `status` are what the API answers with."""

    code = "VALIDATION_ERROR"
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class FileTooLarge(ImageRejected):
    """Too many bytes, or a header declaring more pixels than we will decode."""

    code = "FILE_TOO_LARGE"
    status = 413


class UnsupportedImageType(ImageRejected):
    """Content that is not a still PNG, JPEG or WebP, or whose file name claims another type."""

    code = "UNSUPPORTED_MEDIA_TYPE"
    status = 415


class InvalidImage(ImageRejected):
    """A supported type whose data is truncated, corrupt, empty or too large on one side."""

    code = "VALIDATION_ERROR"
    status = 400


def detect_format(data: bytes) -> str | None:
    """The format ("PNG", "JPEG" or "WEBP") that the magic bytes announce, else None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def open_image(
    data: bytes, limits: ImageLimits, *, declared_filename: str | None = None
) -> Image.Image:
    """Check `data` against `limits` and open it lazily: headers read, no pixels decoded yet.

    Decode the result inside `decoding()` so that truncated data becomes `InvalidImage`.
    """
    if len(data) > limits.max_bytes:
        raise FileTooLarge(
            f"file is {_megabytes(len(data))}; the limit is {_megabytes(limits.max_bytes)}"
        )
    if not data:
        raise InvalidImage("file is empty")
    fmt = detect_format(data)
    if fmt is None:
        raise UnsupportedImageType(_unsupported_message(data))
    _check_declared_extension(fmt, declared_filename)
    image = _open_header(data, fmt)
    _check_dimensions(image.size, limits)
    if fmt != "JPEG" and getattr(image, "n_frames", 1) > 1:
        raise UnsupportedImageType(f"animated {fmt} images are not supported")
    return image


@contextmanager
def decoding(fmt: str) -> Iterator[None]:
    """Turn Pillow's errors while decoding pixels into `InvalidImage` (or `FileTooLarge`).

    Pillow's UserWarnings about damaged metadata are silenced: that metadata is stripped anyway.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        try:
            yield
        except Image.DecompressionBombError as exc:
            raise FileTooLarge(f"{fmt} image declares more pixels than allowed") from exc
        except _DECODE_ERRORS as exc:
            raise InvalidImage(f"{fmt} data is truncated or corrupt: {exc}") from exc


def _open_header(data: bytes, fmt: str) -> Image.Image:
    # Pillow's own bomb check runs inside Image.open: over MAX_IMAGE_PIXELS it warns, over twice
    # that it raises. Both become FileTooLarge here so that no warning escapes to the caller.
    # catch_warnings is process-wide: should another thread restore the filters mid-open, the
    # warning is merely printed, and Pillow's error threshold and our pixel limit still apply.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            return Image.open(io.BytesIO(data), formats=[fmt])
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise FileTooLarge(f"{fmt} image declares more pixels than allowed") from exc
        except UnidentifiedImageError as exc:
            raise InvalidImage(f"file starts like a {fmt} image but is not a valid one") from exc
        except _DECODE_ERRORS as exc:
            raise InvalidImage(f"{fmt} header is corrupt: {exc}") from exc


def _check_dimensions(size: tuple[int, int], limits: ImageLimits) -> None:
    width, height = size
    if width <= 0 or height <= 0:
        raise InvalidImage(f"image has no pixels ({width}x{height})")
    if width * height > limits.max_pixels:
        raise FileTooLarge(
            f"image is {width}x{height} ({width * height / 1e6:.1f} megapixels); "
            f"the limit is {limits.max_pixels / 1e6:.1f} megapixels"
        )
    if max(width, height) > limits.max_dimension:
        raise InvalidImage(
            f"image is {width}x{height}; neither side may exceed {limits.max_dimension} px"
        )


def _check_declared_extension(fmt: str, declared_filename: str | None) -> None:
    if not declared_filename:
        return
    suffix = PurePosixPath(declared_filename.replace("\\", "/")).suffix.lower()
    if suffix and EXTENSION_FORMATS.get(suffix) != fmt:
        raise UnsupportedImageType(f"file content is {fmt} but the name says {suffix}")


def _unsupported_message(data: bytes) -> str:
    for signature, name in _REFUSED_SIGNATURES:
        if data.startswith(signature):
            return f"{name} files are not supported; upload PNG, JPEG or WebP"
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return "HEIC/AVIF images are not supported; upload PNG, JPEG or WebP"
    return "file content is not a PNG, JPEG or WebP image"


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"
