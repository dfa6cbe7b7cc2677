"""Lay a design out on a Printify placeholder's canvas and encode it as a print-ready PNG.

The placement follows Printify's image object: `x`, `y` put the design's centre at fractions of the
canvas, `scale` is the design's width over the canvas width, `angle` turns it clockwise (as it
appears on the product) about its centre. Whatever falls outside the canvas is clipped.

Rendering uses libvips (pyvips): it resizes and encodes on all cores in one streamed pass, where
Pillow at 24 megapixels spends seconds in single-threaded resampling and zlib. The source's size
is read by Pillow first, so Pillow's decompression-bomb limits still guard the decode.
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import asdict, dataclass
from typing import Any

import pyvips
from PIL import Image, UnidentifiedImageError

from gateway.app.imaging.upscale import FACTORS, UpscaleAdvice, advise

SOURCE_FORMATS = ("PNG", "JPEG", "WEBP")
MAX_CANVAS_SIDE = 20_000
MAX_SCALE = 10.0
# zlib level 3 with the "up" row filter: smaller files than libvips' defaults (level 6, no
# filter), a third of the size on upscaled art, and faster to write.
PNG_COMPRESSION = 3
PNG_FILTER = "up"

_MM_PER_INCH = 25.4
_TRANSPARENT = (0, 0, 0, 0)
_HEADER_ERRORS = (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError)
_QUARTER_TURNS = {90: "d90", 180: "d180", 270: "d270"}


@dataclass(frozen=True)
class Placement:
    """Where the design sits on the canvas, in Printify's terms.

    `x`, `y`: the design's centre as fractions of the canvas width and height (0.5 is centred).
    `scale`: the design's width over the canvas width (1 is as wide as the print area); its height
    follows the source's aspect ratio. `angle`: degrees clockwise, applied after scaling, so
    `scale` measures the unturned design.
    """

    x: float = 0.5
    y: float = 0.5
    scale: float = 1.0
    angle: float = 0.0

    def __post_init__(self) -> None:
        _check_number("placement x", self.x, -1, 2)
        _check_number("placement y", self.y, -1, 2)
        _check_number("placement angle", self.angle, -360, 360)
        _check_number("placement scale", self.scale, 0, MAX_SCALE, above_minimum=True)


@dataclass(frozen=True)
class PrintReadiness:
    """What the source really gives at this template: the design's size in pixels and inches and
    its effective DPI, judged against the floor, and the upscale factor that would reach `dpi`
    (`upscale` is the stretch the print file applies to the source as it is)."""

    canvas_width: int
    canvas_height: int
    dpi: int
    design_width_px: int
    design_height_px: int
    upscale: float
    effective_dpi: float
    print_width_in: float
    print_height_in: float
    below_floor: bool
    warnings: list[str]
    upscale_for_print: UpscaleAdvice

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data, ratios and sizes rounded for display."""
        data = asdict(self)
        data.update(
            upscale_for_print=self.upscale_for_print.to_dict(),
            upscale=round(self.upscale, 3),
            effective_dpi=round(self.effective_dpi, 1),
            print_width_in=round(self.print_width_in, 2),
            print_height_in=round(self.print_height_in, 2),
        )
        return data


@dataclass(frozen=True)
class PrintFile:
    """An encoded print file: RGBA PNG, exactly the canvas size, with its DPI in `pHYs`."""

    data: bytes
    width: int
    height: int
    dpi: int
    readiness: PrintReadiness


def readiness(
    source_width: int,
    source_height: int,
    canvas_width: int,
    canvas_height: int,
    placement: Placement,
    *,
    dpi: int = 300,
    dpi_floor: int = 150,
    upscale_factors: tuple[int, ...] = FACTORS,
) -> PrintReadiness:
    """Report how a `source_width` x `source_height` source prints when placed on the canvas, and
    which of `upscale_factors` (those the size limits allow) would make it print at `dpi`."""
    _check_side("source width", source_width, None)
    _check_side("source height", source_height, None)
    _check_side("canvas width", canvas_width, MAX_CANVAS_SIDE)
    _check_side("canvas height", canvas_height, MAX_CANVAS_SIDE)
    _check_side("dpi", dpi, None)
    _check_side("dpi floor", dpi_floor, None)
    design_width, design_height = design_size(source_width, source_height, canvas_width, placement)
    upscale = design_width / source_width
    effective_dpi = dpi / upscale
    print_width_in = design_width / dpi
    below_floor = effective_dpi < dpi_floor
    messages = []
    if below_floor:
        messages.append(
            f"source is {source_width} px wide; printed {print_width_in:.1f} in wide it gives "
            f"{effective_dpi:.0f} DPI, below the {dpi_floor} DPI floor"
        )
    if not _overlaps_canvas(design_width, design_height, canvas_width, canvas_height, placement):
        messages.append("the design lies entirely outside the print area; the print file is blank")
    return PrintReadiness(
        canvas_width=canvas_width,
        canvas_height=canvas_height,
        dpi=dpi,
        design_width_px=design_width,
        design_height_px=design_height,
        upscale=upscale,
        effective_dpi=effective_dpi,
        print_width_in=print_width_in,
        print_height_in=design_height / dpi,
        below_floor=below_floor,
        warnings=messages,
        upscale_for_print=advise(effective_dpi, dpi, upscale_factors),
    )


def render_print_file(
    source: bytes,
    canvas_width: int,
    canvas_height: int,
    placement: Placement,
    *,
    dpi: int = 300,
    dpi_floor: int = 150,
) -> PrintFile:
    """Place the PNG, JPEG or WebP `source` on a transparent canvas and encode it as a PNG.

    Raises ValueError for an invalid canvas or DPI, or a source that cannot be decoded.
    """
    width, height = source_size(source)
    report = readiness(
        width, height, canvas_width, canvas_height, placement, dpi=dpi, dpi_floor=dpi_floor
    )
    canvas = place(_decode(source, width, height), canvas_width, canvas_height, placement)
    pixels_per_mm = dpi / _MM_PER_INCH
    data = canvas.copy(xres=pixels_per_mm, yres=pixels_per_mm).write_to_buffer(
        ".png", compression=PNG_COMPRESSION, filter=PNG_FILTER, keep="none"
    )
    return PrintFile(data=data, width=canvas_width, height=canvas_height, dpi=dpi, readiness=report)


def design_size(
    source_width: int, source_height: int, canvas_width: int, placement: Placement
) -> tuple[int, int]:
    """The unturned design's pixel size on a canvas `canvas_width` wide: `scale` of its width,
    the source's aspect ratio kept."""
    design_width = max(1, round(placement.scale * canvas_width))
    return design_width, max(1, round(design_width * source_height / source_width))


def decode(source: bytes, *, fit: int | None = None) -> pyvips.Image:
    """The PNG, JPEG or WebP `source` in memory as 8-bit sRGB (ValueError if it cannot be read).

    With `fit`, a source larger than a `fit` pixels square is shrunk to fit it while it is decoded
    (shrink-on-load where the format has it, streamed otherwise): a preview of an 8192 px design
    never holds its full pixels.
    """
    width, height = source_size(source)
    if fit is None or max(width, height) <= fit:
        return _decode(source, width, height)
    try:
        image = pyvips.Image.thumbnail_buffer(
            source, fit, height=fit, size="down", no_rotate=True, fail_on="error"
        )
        return _in_srgb(image)
    except pyvips.Error as exc:
        raise ValueError(f"source image cannot be decoded: {exc}") from exc


def place(
    image: pyvips.Image,
    canvas_width: int,
    canvas_height: int,
    placement: Placement,
    *,
    source: tuple[int, int] | None = None,
) -> pyvips.Image:
    """The decoded design resized, turned and placed on a transparent canvas, clipped (lazily).

    The one layout of a design on a print area, at any canvas size: the print file at Printify's
    pixels, the mockup preview at a few hundred, so both show the design in the same place.
    `source` is the source's own size when `image` was shrunk while decoding, so the design's
    size is reckoned as the print file's is.
    """
    source_width, source_height = source or (image.width, image.height)
    design_width, design_height = design_size(source_width, source_height, canvas_width, placement)
    turn = placement.angle % 360
    if turn % 90 and not image.hasalpha():
        image = image.bandjoin_const(255)
    # Resampling and turning premultiplied colour keeps transparent pixels from bleeding dark
    # fringes into the edges; an opaque design skips it and gains its alpha band at the end.
    translucent = image.hasalpha()
    if translucent:
        image = image.premultiply()
    image = image.resize(design_width / image.width, vscale=design_height / image.height)
    if turn in _QUARTER_TURNS:
        image = image.rot(_QUARTER_TURNS[turn])
    elif turn:
        image = image.rotate(turn, background=_TRANSPARENT)
    image = image.unpremultiply().cast("uchar") if translucent else image.bandjoin_const(255)
    left = round(placement.x * canvas_width - image.width / 2)
    top = round(placement.y * canvas_height - image.height / 2)
    return _clip_onto_canvas(image, left, top, canvas_width, canvas_height)


def _clip_onto_canvas(
    image: pyvips.Image, left: int, top: int, canvas_width: int, canvas_height: int
) -> pyvips.Image:
    """`image` with its top-left corner at (`left`, `top`) on a transparent canvas, clipped."""
    visible_left, visible_top = max(left, 0), max(top, 0)
    visible_right = min(left + image.width, canvas_width)
    visible_bottom = min(top + image.height, canvas_height)
    if visible_right <= visible_left or visible_bottom <= visible_top:
        return pyvips.Image.black(canvas_width, canvas_height, bands=4).copy(interpretation="srgb")
    visible = image.crop(
        visible_left - left,
        visible_top - top,
        visible_right - visible_left,
        visible_bottom - visible_top,
    )
    return visible.embed(
        visible_left,
        visible_top,
        canvas_width,
        canvas_height,
        extend="background",
        background=_TRANSPARENT,
    )


def source_size(source: bytes) -> tuple[int, int]:
    """The source's pixel size from its header, refused over Pillow's decompression-bomb limit."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(source), formats=SOURCE_FORMATS) as image:
                return image.size
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ValueError(f"source image declares too many pixels: {exc}") from exc
        except _HEADER_ERRORS as exc:
            raise ValueError(f"source is not a readable PNG, JPEG or WebP image: {exc}") from exc


def _decode(source: bytes, width: int, height: int) -> pyvips.Image:
    """The source decoded into memory as 8-bit sRGB, with its alpha band if it has one."""
    try:
        image = pyvips.Image.new_from_buffer(source, "", fail_on="error")
        if (image.width, image.height) != (width, height):
            raise ValueError(
                f"source decodes as {image.width}x{image.height}, "
                f"but its header says {width}x{height}"
            )
        return _in_srgb(image)
    except pyvips.Error as exc:
        raise ValueError(f"source image cannot be decoded: {exc}") from exc


def _in_srgb(image: pyvips.Image) -> pyvips.Image:
    """`image` in memory as 8-bit sRGB, through its embedded colour profile if it has one."""
    if image.get_typeof("icc-profile-data"):
        image = image.icc_transform("srgb", embedded=True, depth=8)
    image = image.colourspace("srgb")
    if image.format != "uchar":
        image = image.cast("uchar")
    return image.copy_memory()


def _overlaps_canvas(
    design_width: int,
    design_height: int,
    canvas_width: int,
    canvas_height: int,
    placement: Placement,
) -> bool:
    """Whether the turned design's bounding box reaches into the canvas."""
    radians = math.radians(placement.angle)
    cos, sin = abs(math.cos(radians)), abs(math.sin(radians))
    half_width = (design_width * cos + design_height * sin) / 2
    half_height = (design_width * sin + design_height * cos) / 2
    centre_x = placement.x * canvas_width
    centre_y = placement.y * canvas_height
    return (
        centre_x + half_width > 0
        and centre_x - half_width < canvas_width
        and centre_y + half_height > 0
        and centre_y - half_height < canvas_height
    )


def _check_number(
    name: str, value: object, minimum: float, maximum: float, *, above_minimum: bool = False
) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number, got {value!r}")
    low_ok = minimum < value if above_minimum else minimum <= value
    if not (low_ok and value <= maximum):
        bounds = (
            f"greater than {minimum:g} and at most {maximum:g}"
            if above_minimum
            else f"between {minimum:g} and {maximum:g}"
        )
        raise ValueError(f"{name} must be {bounds}, got {value!r}")


def _check_side(name: str, value: object, maximum: int | None) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    if value < 1 or (maximum is not None and value > maximum):
        limit = f"between 1 and {maximum}" if maximum is not None else "at least 1"
        raise ValueError(f"{name} must be {limit}, got {value}")
