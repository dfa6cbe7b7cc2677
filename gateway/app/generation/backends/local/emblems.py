"""Emblem layouts: a badge over its lettering, a round seal lettered on its ring, an arch window."""

from __future__ import annotations

import math
import random

from PIL import Image, ImageDraw

from gateway.app.generation.backends.local.design import Design
from gateway.app.generation.backends.local.frames import (
    colours,
    head_ink,
    is_flat,
    line_width,
    open_layout,
    paint_hero,
    paint_motif,
)
from gateway.app.generation.backends.local.lettering import (
    arc_span,
    draw_arc_text,
    draw_tagline,
    draw_text,
    fit_font,
    text_height,
)
from gateway.app.generation.backends.local.shapes import arch, disc, star


def _lettering_block(
    draw: ImageDraw.ImageDraw,
    design: Design,
    cx: float,
    top: float,
    width: float,
    m: float,
    per_line: float,
) -> None:
    """Set the tagline and headline downwards from `top`."""
    tone = colours(design)
    lw, gap = line_width(design, m), 0.04 * m
    tracking = design.lettering.tracking
    y = top
    if design.tagline:
        tag_cap = 0.032 * m
        draw_tagline(draw, design.tagline, (cx, y), tag_cap, tone.line, lw)
        y += tag_cap + gap * 0.8
    for i, line in enumerate(design.headline):
        size = fit_font(line, width, per_line, tracking)
        y += draw_text(draw, line, (cx, y), size, head_ink(design), design.lettering)
        y += gap * 0.5 if i < len(design.headline) - 1 else 0.0


def _lettering_height(design: Design, width: float, m: float, per_line: float) -> float:
    """The height `_lettering_block` will use."""
    gap = 0.04 * m
    heights = [
        text_height(line, fit_font(line, width, per_line, design.lettering.tracking))
        for line in design.headline
    ]
    tag = 0.032 * m + gap * 0.8 if design.tagline else 0.0
    return tag + sum(heights) + gap * 0.5 * max(0, len(heights) - 1)


def layout_badge(canvas: Image.Image, design: Design, rng: random.Random) -> None:
    """A round emblem in a double ring, with the tagline and headline beneath it."""
    width, height, m, draw, lw = open_layout(canvas, design)
    tone = colours(design)
    gap, pad = 0.05 * m, 0.05 * m
    per_line = 0.14 * m if len(design.headline) == 1 else 0.1 * m
    text_h = (
        _lettering_height(design, 0.8 * width, m, per_line)
        if design.headline or design.tagline
        else 0.0
    )
    radius = max(0.1 * m, min(0.3 * m, (0.88 * height - text_h - gap) / 2 - pad))
    top = (height - 2 * (radius + pad) - text_h - (gap if text_h else 0.0)) / 2
    cx, cy = width / 2, top + pad + radius
    box = (round(cx - radius), round(cy - radius), round(cx + radius), round(cy + radius))
    paint_motif(canvas, design, rng, box, "circle")
    if design.icon:
        plate = disc(cx, cy, radius * 0.56)
        draw.ellipse(plate, fill=design.palette.bg, outline=tone.line, width=lw)
        paint_hero(
            canvas,
            design,
            (cx, cy + radius * 0.02),
            radius * 0.78,
            tone.second,
            inside=design.palette.bg,
        )
    draw.ellipse(box, outline=tone.line, width=lw)
    outer = radius + pad * 0.55
    draw.ellipse(disc(cx, cy, outer), outline=tone.line, width=round(lw * 1.6))
    if rng.random() < 0.5:
        for sign in (-1, 1):
            draw.polygon(star(cx + sign * (outer + pad * 0.9), cy, pad * 0.45), fill=tone.line)
    if text_h:
        _lettering_block(draw, design, cx, top + 2 * (radius + pad) + gap, 0.8 * width, m, per_line)


def _arc_size(text: str, cap: float, radius: float, max_span: float, tracking: float) -> int:
    """The font size that gives capitals of height `cap` unless the text would span too far."""
    size = max(6, round(cap / 0.72))
    span = arc_span(text, size, radius, tracking)
    return max(6, int(size * min(1.0, max_span / span))) if span else size


def layout_seal(canvas: Image.Image, design: Design, rng: random.Random) -> None:
    """A round seal: the motif in the middle, the headline set on the ring around it."""
    width, height, m, draw, lw = open_layout(canvas, design)
    tone, pal = colours(design), design.palette
    cx, cy = width / 2, height / 2
    outer = 0.45 * m
    band = rng.uniform(0.11, 0.14) * m
    inner = outer - band
    if is_flat(design):
        draw.ellipse(disc(cx, cy, outer), fill=tone.line)
        text_colour = pal.bg
    else:
        draw.ellipse(disc(cx, cy, outer), outline=tone.line, width=round(lw * 1.6))
        text_colour = tone.head
    core = inner - 0.015 * m
    box = (round(cx - core), round(cy - core), round(cx + core), round(cy + core))
    paint_motif(canvas, design, rng, box, "circle")
    draw.ellipse(
        disc(cx, cy, inner), outline=text_colour if is_flat(design) else tone.line, width=lw
    )
    if design.icon:
        draw.ellipse(disc(cx, cy, core * 0.62), fill=pal.bg, outline=tone.line, width=lw)
        paint_hero(canvas, design, (cx, cy), core * 0.9, tone.second, inside=pal.bg)
    split = len(design.headline) > 1 and not design.tagline  # two lines: one over, one under
    top = design.headline[0] if split else " ".join(design.headline)
    bottom = design.headline[1] if split else design.tagline
    cap, tracking = band * 0.42, max(0.08, design.lettering.tracking + 0.06)
    if top:
        r_top = inner + (band - cap) / 2
        size = _arc_size(top, cap, r_top, math.radians(200), tracking)
        draw_arc_text(canvas, top, (cx, cy), r_top, size, text_colour, tracking=tracking)
    r_bottom = outer - (band - cap) / 2
    if bottom:
        size = _arc_size(bottom, cap * 0.8, r_bottom, math.radians(120), tracking)
        draw_arc_text(
            canvas, bottom, (cx, cy), r_bottom, size, text_colour, bottom=True, tracking=tracking
        )
    else:
        mid = (inner + outer) / 2
        for k in (-1, 0, 1):
            a = math.pi / 2 + k * 0.2
            draw.polygon(
                star(cx + mid * math.cos(a), cy + mid * math.sin(a), cap * 0.5), fill=text_colour
            )
    mid = (inner + outer) / 2
    for side in (-1, 1):
        a = math.pi / 2 - side * math.radians(80)
        draw.polygon(
            star(cx + mid * math.cos(a), cy + mid * math.sin(a), cap * 0.38), fill=text_colour
        )


def layout_arch(canvas: Image.Image, design: Design, rng: random.Random) -> None:
    """An arched window holding the motif (and icon), the lettering set beneath it."""
    width, height, m, draw, lw = open_layout(canvas, design)
    tone, pal = colours(design), design.palette
    gap = 0.05 * m
    per_line = 0.12 * m if len(design.headline) == 1 else 0.085 * m
    text_h = (
        _lettering_height(design, 0.84 * width, m, per_line)
        if design.headline or design.tagline
        else 0.0
    )
    aw = rng.uniform(0.5, 0.62) * m
    ah = min(aw * 1.3, 0.9 * height - text_h - gap)
    top = (height - ah - (text_h + gap if text_h else 0.0)) / 2
    box = (round(width / 2 - aw / 2), round(top), round(width / 2 + aw / 2), round(top + ah))
    if rng.random() < 0.5:
        off = 0.025 * m
        draw.polygon(
            arch((box[0] - off, box[1] - off, box[2] + off, box[3] + off)),
            outline=tone.line,
            width=lw,
        )
    paint_motif(canvas, design, rng, box, "arch")
    draw.polygon(arch(box), outline=tone.line, width=round(lw * 1.4))
    if design.icon:
        cx, cy = width / 2, box[1] + ah * 0.58
        draw.ellipse(disc(cx, cy, aw * 0.34), fill=pal.bg, outline=tone.line, width=lw)
        paint_hero(canvas, design, (cx, cy), aw * 0.48, tone.second, inside=pal.bg)
    if text_h:
        _lettering_block(draw, design, width / 2, top + ah + gap, 0.84 * width, m, per_line)
