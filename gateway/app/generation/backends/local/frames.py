"""What layouts share: colours of the lettering, line weights, and motifs clipped into frames."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, replace

from PIL import Image, ImageChops, ImageDraw

from gateway.app.generation.backends.local.design import Design
from gateway.app.generation.backends.local.extras import EXTRAS
from gateway.app.generation.backends.local.icons import paint_icon
from gateway.app.generation.backends.local.lettering import Ink
from gateway.app.generation.backends.local.palettes import Palette
from gateway.app.generation.backends.local.patterns import (
    paint_chevrons,
    paint_confetti,
    paint_halftone,
    paint_rings,
    paint_stripes,
    paint_sunburst,
    paint_truchet,
)
from gateway.app.generation.backends.local.scenes import paint_mountains, paint_sun, paint_waves
from gateway.app.generation.backends.local.shapes import Box, arch

MotifPainter = Callable[[ImageDraw.ImageDraw, Box, Palette, random.Random, int], None]
MOTIFS: dict[str, MotifPainter] = {
    "sun": paint_sun,
    "mountains": paint_mountains,
    "waves": paint_waves,
    "sunburst": paint_sunburst,
    "rings": paint_rings,
    "truchet": paint_truchet,
    "halftone": paint_halftone,
    "stripes": paint_stripes,
    "chevrons": paint_chevrons,
    "confetti": paint_confetti,
}


@dataclass(frozen=True)
class Colours:
    """The roles a layout paints in: headline, rules and rings, second accent, headline shadow."""

    head: str
    line: str
    second: str
    shadow: str | None


def colours(design: Design) -> Colours:
    """Lettering and line colours for the design's style."""
    pal = design.palette
    if design.style == "neon":
        return Colours(pal.accents[1], pal.accents[2], pal.accents[3], None)
    if design.style == "line":
        return Colours(pal.ink, pal.ink, pal.accents[1], None)
    return Colours(pal.ink, pal.ink, pal.accents[2], pal.accents[1])


def head_ink(design: Design, fill: str | None = None, hollow: str | None = None) -> Ink:
    """The headline's ink: its fill, the hollow of outlined letters, and its shadow."""
    tone = colours(design)
    return Ink(fill or tone.head, hollow or design.palette.bg, tone.shadow)


def line_width(design: Design, m: float) -> int:
    """Stroke width of rules, rings and line art on a canvas whose shorter side is `m`."""
    return max(1, round(m * (0.008 if design.style == "line" else 0.011)))


def is_flat(design: Design) -> bool:
    """True when shapes are filled rather than drawn as lines."""
    return design.style == "flat"


def paint_motif(
    canvas: Image.Image,
    design: Design,
    rng: random.Random,
    box: tuple[int, int, int, int],
    shape: str,
) -> None:
    """Paint the motif (and any secondary motif) into `box`, clipped to a frame shape.

    `shape` is "circle", "rounded", "arch" or "rect". Patterns are drawn larger and rotated
    or zoomed as the design says, then cropped to the frame.
    """
    x0, y0, x1, y1 = box
    size = (max(1, x1 - x0), max(1, y1 - y0))
    pal = design.palette
    lw = 0 if is_flat(design) else line_width(design, min(canvas.size))
    if design.style == "line":
        pal = replace(pal, accents=(pal.accents[1], pal.ink, pal.ink, pal.ink))
    if design.angle or design.zoom != 1.0:
        side = math.ceil(math.hypot(*size) * 1.02)
        pad = side * (design.zoom - 1) / 2  # a larger box makes larger cells, without resampling
        work = Image.new("RGBA", (side, side), (0, 0, 0, 0))
        MOTIFS[design.motif](
            ImageDraw.Draw(work), (-pad, -pad, side + pad, side + pad), pal, rng, lw
        )
        if design.angle:
            work = work.rotate(design.angle, resample=Image.Resampling.BICUBIC)
        left, top = (side - size[0]) // 2, (side - size[1]) // 2
        layer = work.crop((left, top, left + size[0], top + size[1]))
    else:
        layer = Image.new("RGBA", size, (0, 0, 0, 0))
        MOTIFS[design.motif](ImageDraw.Draw(layer), (0, 0, size[0], size[1]), pal, rng, lw)
    if design.extra:
        EXTRAS[design.extra](ImageDraw.Draw(layer), (0, 0, size[0], size[1]), pal, rng, lw)
    mask = Image.new("L", size, 0)
    clip = ImageDraw.Draw(mask)
    full = (0, 0, size[0] - 1, size[1] - 1)
    if shape == "circle":
        clip.ellipse(full, fill=255)
    elif shape == "arch":
        clip.polygon(arch(full), fill=255)
    elif shape == "rounded":
        clip.rounded_rectangle(full, round(min(size) * 0.04), fill=255)
    else:
        clip.rectangle(full, fill=255)
    layer.putalpha(ImageChops.multiply(layer.getchannel("A"), mask))
    canvas.alpha_composite(layer, (x0, y0))


def paint_hero(
    canvas: Image.Image,
    design: Design,
    centre: tuple[float, float],
    s: float,
    colour: str,
    *,
    inside: str | None = None,
) -> None:
    """Paint the design's icon, filled when the style is flat, outlined otherwise."""
    if design.icon is None:
        return
    lw = 0 if is_flat(design) else line_width(design, min(canvas.size))
    paint_icon(
        canvas,
        design.icon,
        centre,
        s,
        colour,
        design.palette,
        lw,
        inside=inside,
        shades=design.shades,
    )
