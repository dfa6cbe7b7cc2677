"""Lettering in Pillow's bundled font: fitting, tracking, solid/shadow/outline/extruded faces, arcs.

The bundled font has identical glyphs on every machine, which keeps renders byte-identical;
a stroke in the text colour turns its regular face into a poster weight.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from gateway.app.generation.backends.local.shapes import Point
from gateway.app.generation.backends.local.words import FILLER

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@dataclass(frozen=True)
class Lettering:
    """How a design sets its words: letter case, tracking (in em) and the face's treatment."""

    case: str = "upper"  # "upper" | "title"
    tracking: float = 0.0
    face: str = "solid"  # "solid" | "shadow" | "outline" | "extrude"

    def apply_case(self, text: str) -> str:
        """The text in this lettering's case; title case keeps short joining words small."""
        if self.case != "title":
            return text.upper()
        words = text.lower().split()
        return " ".join(
            w if i and w in FILLER else w[:1].upper() + w[1:] for i, w in enumerate(words)
        )


@dataclass(frozen=True)
class Ink:
    """Colours of one line of lettering: its fill, the hollow of an outline face, a shadow."""

    fill: str
    hollow: str | None = None
    shadow: str | None = None


@lru_cache(maxsize=256)
def font(size: int) -> Font:
    """Pillow's bundled scalable font: identical glyphs on every machine."""
    return ImageFont.load_default(size=size)


def weight(size: int) -> int:
    """A stroke that turns the bundled regular face into a poster-weight one."""
    return max(1, round(size * 0.035))


def _outline_width(size: int) -> int:
    """The stroke of outlined (hollow) letters: heavier than the weight stroke, to read."""
    return max(2, round(size * 0.055))


def text_box(text: str, size: int, tracking: float = 0.0) -> tuple[float, float, float, float]:
    """Ink box (left, top, right, bottom) of set text around its baseline origin.

    It allows for the widest stroke any face uses, so every face of one size fits the same box.
    """
    f, stroke = font(size), max(weight(size), _outline_width(size))
    left, top, right, bottom = f.getbbox(text, stroke_width=stroke, anchor="ls")
    if tracking:
        advance = sum(f.getlength(ch) for ch in text) + tracking * size * (len(text) - 1)
        right = left + advance + 2 * stroke
    return left, top, right, bottom


def text_height(text: str, size: int) -> float:
    """Ink height of `text` at `size`."""
    _, top, _, bottom = text_box(text, size)
    return bottom - top


def fit_font(text: str, max_w: float, max_h: float, tracking: float = 0.0) -> int:
    """The largest font size whose ink box of `text` fits max_w x max_h."""
    left, top, right, bottom = text_box(text, 200, tracking)
    size = max(6, int(200 * min(max_w / max(1.0, right - left), max_h / max(1.0, bottom - top))))
    while size > 6:
        left, top, right, bottom = text_box(text, size, tracking)
        if right - left <= max_w and bottom - top <= max_h:
            break
        size = int(size * 0.96)
    return size


def _set(
    draw: ImageDraw.ImageDraw,
    text: str,
    origin: Point,
    size: int,
    tracking: float,
    paint: tuple[str, int, str],
) -> None:
    """Draw text from a baseline origin with (fill, stroke width, stroke colour), letter by
    letter when it is tracked."""
    fill, stroke, stroke_fill = paint
    f = font(size)
    x, y = origin
    for part in text if tracking else [text]:
        draw.text(
            (x, y),
            part,
            font=f,
            fill=fill,
            anchor="ls",
            stroke_width=stroke,
            stroke_fill=stroke_fill,
        )
        x += f.getlength(part) + tracking * size


def draw_text(
    draw: ImageDraw.ImageDraw,
    text: str,
    xy: Point,
    size: int,
    ink: Ink,
    lettering: Lettering = Lettering(),
) -> float:
    """Draw `text` centred on x with its ink top at y, in the lettering's face; return its height."""
    left, top, right, bottom = text_box(text, size, lettering.tracking)
    origin = (xy[0] - (left + right) / 2, xy[1] - top)
    stroke = weight(size)
    depth = max(1.0, (bottom - top) * 0.05)
    if ink.shadow and lettering.face in ("shadow", "extrude"):
        steps = 6 if lettering.face == "extrude" else 1
        reach = depth * 1.6 if lettering.face == "extrude" else depth
        for k in range(steps, 0, -1):
            off = reach * k / steps
            shifted = (origin[0] + off, origin[1] + off)
            _set(draw, text, shifted, size, lettering.tracking, (ink.shadow, stroke, ink.shadow))
    if lettering.face == "outline" and ink.hollow:
        paint = (ink.hollow, _outline_width(size), ink.fill)
    else:
        paint = (ink.fill, stroke, ink.fill)
    _set(draw, text, origin, size, lettering.tracking, paint)
    return bottom - top


def draw_tagline(
    draw: ImageDraw.ImageDraw, text: str, xy: Point, cap: float, fill: str, lw: int
) -> None:
    """Small letter-spaced capitals of cap height `cap` between two short rules."""
    size = max(6, round(cap / 0.72))
    f, tracking = font(size), size * 0.35
    width = sum(f.getlength(ch) for ch in text) + tracking * (len(text) - 1)
    x, top = xy[0] - width / 2, xy[1]
    for ch in text:
        draw.text((x, top + cap), ch, font=f, fill=fill, anchor="ls")
        x += f.getlength(ch) + tracking
    for sign in (-1, 1):
        near = xy[0] + sign * (width / 2 + cap * 0.8)
        rule = (near, top + cap / 2, near + sign * cap * 2.2, top + cap / 2)
        draw.line(rule, fill=fill, width=max(1, lw))


def arc_span(text: str, size: int, radius: float, tracking: float) -> float:
    """The angle (radians) `text` covers when set on a circle of `radius`."""
    f = font(size)
    return (sum(f.getlength(ch) for ch in text) + tracking * size * (len(text) - 1)) / radius


def draw_arc_text(
    canvas: Image.Image,
    text: str,
    centre: Point,
    radius: float,
    size: int,
    colour: str,
    *,
    bottom: bool = False,
    tracking: float = 0.12,
) -> None:
    """Set `text` on a circle: over the top reading clockwise, or under the bottom upright.

    Each letter's baseline sits on the circle; over the top letters rise outwards, under the
    bottom they rise towards the centre, as on a seal.
    """
    f, stroke = font(size), weight(size)
    cx, cy = centre
    direction = -1 if bottom else 1
    theta = (math.pi / 2 if bottom else -math.pi / 2) - direction * arc_span(
        text, size, radius, tracking
    ) / 2
    tile = math.ceil(size * 1.2)
    for ch in text:
        advance = f.getlength(ch)
        mid = theta + direction * advance / 2 / radius
        theta += direction * (advance + tracking * size) / radius
        if ch.isspace():
            continue
        glyph = Image.new("L", (2 * tile, 2 * tile), 0)
        ImageDraw.Draw(glyph).text(
            (tile, tile), ch, font=f, fill=255, anchor="ms", stroke_width=stroke, stroke_fill=255
        )
        turn = math.pi / 2 - mid if bottom else -(mid + math.pi / 2)
        glyph = glyph.rotate(math.degrees(turn), resample=Image.Resampling.BICUBIC)
        px, py = round(cx + radius * math.cos(mid)), round(cy + radius * math.sin(mid))
        canvas.paste(colour, (px - tile, py - tile, px + tile, py + tile), glyph)
