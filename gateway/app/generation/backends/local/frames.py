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
from gateway.app.generation.backends.local.shapes import Box, Painter, arch


@dataclass(frozen=True)
class Motif:
    """A motif's painter and the palette colour its filled form lies on (None: it covers its box).

    Line art (lw > 0) has no ground: it is drawn over the design's background.
    """

    paint: Painter
    ground: Callable[[Palette], str] | None = None

    def __call__(
        self, draw: ImageDraw.ImageDraw, box: Box, pal: Palette, rng: random.Random, lw: int
    ) -> None:
        """Lay the ground (filled only), then paint the motif over it."""
        if self.ground and not lw:
            draw.rectangle(box, fill=self.ground(pal))
        self.paint(draw, box, pal, rng, lw)


def _light(pal: Palette) -> str:
    """The palette's light fill: the ground of skies and most patterns."""
    return pal.light


MOTIFS: dict[str, Motif] = {
    "sun": Motif(paint_sun, _light),
    "mountains": Motif(paint_mountains, _light),
    "waves": Motif(paint_waves, _light),
    "sunburst": Motif(paint_sunburst, _light),
    "rings": Motif(paint_rings),
    "truchet": Motif(paint_truchet, lambda pal: pal.accents[3]),
    "halftone": Motif(paint_halftone, _light),
    "stripes": Motif(paint_stripes, lambda pal: pal.accents[1]),
    "chevrons": Motif(paint_chevrons, _light),
    "confetti": Motif(paint_confetti, _light),
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


def open_layout(
    canvas: Image.Image, design: Design
) -> tuple[int, int, int, ImageDraw.ImageDraw, int]:
    """What a layout starts from: the canvas's width, height and shorter side, a pen on it and
    the stroke width of its rules and rings."""
    width, height = canvas.size
    m = min(width, height)
    return width, height, m, ImageDraw.Draw(canvas), line_width(design, m)


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
