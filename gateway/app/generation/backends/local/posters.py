"""Poster and type layouts: full-bleed motif with a plate, panorama band, stacked words, label block."""

from __future__ import annotations

import random

from PIL import Image, ImageDraw

from gateway.app.generation.backends.local.design import Design
from gateway.app.generation.backends.local.frames import (
    colours,
    head_ink,
    is_flat,
    open_layout,
    paint_hero,
    paint_motif,
)
from gateway.app.generation.backends.local.lettering import (
    Ink,
    draw_tagline,
    draw_text,
    fit_font,
    text_height,
)
from gateway.app.generation.backends.local.shapes import Box, disc, star
from gateway.app.generation.backends.local.words import SCENE_MOTIFS


def _set_lines(
    draw: ImageDraw.ImageDraw,
    design: Design,
    lines: list[tuple[str, int]],
    cx: float,
    top: float,
    gap: float,
    inks: list[Ink],
) -> float:
    """Set pre-fitted lines downwards from `top`, cycling through `inks`; return the bottom."""
    y = top
    for i, (line, size) in enumerate(lines):
        y += draw_text(draw, line, (cx, y), size, inks[i % len(inks)], design.lettering) + gap
    return y - gap


def _fit(design: Design, max_w: float, per_line: float) -> list[tuple[str, int]]:
    """Each headline line with the font size that fits it."""
    return [
        (line, fit_font(line, max_w, per_line, design.lettering.tracking))
        for line in design.headline
    ]


def _height(lines: list[tuple[str, int]], gap: float) -> float:
    """The ink height of fitted lines set `gap` apart."""
    return sum(text_height(*line) for line in lines) + gap * max(0, len(lines) - 1)


def _ribbon(
    draw: ImageDraw.ImageDraw, box: Box, tail: float, colours: tuple[str, str, str], lw: int
) -> None:
    """A banner with notched tails `tail` long folding behind it; colours are (face, tails,
    outline)."""
    x0, y0, x1, y1 = box
    face, tails, outline = colours
    drop = (y1 - y0) * 0.3
    for side in (-1, 1):
        edge = x0 if side < 0 else x1
        tip = edge + side * tail
        shape = [
            (edge - side * tail * 0.5, y0 + drop),
            (tip, y0 + drop),
            (tip - side * tail * 0.4, (y0 + y1) / 2 + drop),
            (tip, y1 + drop),
            (edge - side * tail * 0.5, y1 + drop),
        ]
        draw.polygon(shape, fill=tails, outline=outline, width=lw)
    draw.rectangle(box, fill=face, outline=outline, width=lw)


def layout_poster(canvas: Image.Image, design: Design, rng: random.Random) -> None:
    """A full-bleed motif panel, its lettering on a round plate or a ribbon banner."""
    width, height, m, draw, lw = open_layout(canvas, design)
    tone, pal = colours(design), design.palette
    inset = 0 if not design.transparent and rng.random() < 0.4 else round(0.05 * m)
    panel = (inset, inset, width - inset, height - inset)
    paint_motif(canvas, design, rng, panel, "rounded" if inset else "rect")
    if inset:
        draw.rounded_rectangle(panel, round(m * 0.04), outline=tone.line, width=lw)
    if not design.headline:
        return
    cx = width / 2
    ribbon = design.motif in SCENE_MOTIFS or rng.random() < 0.5
    gap = 0.025 * m
    if ribbon:
        line = " ".join(design.headline)
        size = fit_font(line, 0.6 * width, 0.1 * m, design.lettering.tracking)
        tag_h = 0.022 * m + gap if design.tagline else 0.0
        text_h = tag_h + text_height(line, size)
        bh = text_h + 0.07 * m
        low = height - max(inset, 0.04 * m) - bh * 0.8 - 0.02 * m
        cy = min(height * 0.8, low) if design.motif in SCENE_MOTIFS else height / 2
        box = (width * 0.16, cy - bh / 2, width * 0.84, cy + bh / 2)
        tails = tone.second if is_flat(design) else pal.bg
        _ribbon(draw, box, 0.1 * m, (pal.bg, tails, tone.line), lw)
        if design.tagline:
            draw_tagline(draw, design.tagline, (cx, cy - text_h / 2), 0.022 * m, tone.line, lw)
        top = cy - text_h / 2 + tag_h
        _set_lines(draw, design, [(line, size)], cx, top, gap, [head_ink(design)])
        return
    cy, r = height / 2, 0.27 * m
    draw.ellipse(disc(cx, cy, r), fill=pal.bg, outline=tone.line, width=lw * 2)
    lines = _fit(design, 1.5 * r, 0.15 * m if len(design.headline) == 1 else 0.1 * m)
    tag_cap = 0.024 * m if design.tagline else 0.0
    total = _height(lines, gap) + (tag_cap + gap * 1.5 if design.tagline else 0.0)
    y = cy - total / 2
    if design.tagline:
        draw_tagline(draw, design.tagline, (cx, y), tag_cap, tone.line, lw)
        y += tag_cap + gap * 1.5
    _set_lines(draw, design, lines, cx, y, gap, [head_ink(design)])


def layout_band(canvas: Image.Image, design: Design, rng: random.Random) -> None:
    """A panorama band of the motif between the headline above and the tagline below."""
    width, height, m, draw, lw = open_layout(canvas, design)
    tone = colours(design)
    gap = 0.045 * m
    lines = _fit(design, 0.86 * width, 0.15 * m if len(design.headline) == 1 else 0.1 * m)
    text_h = _height(lines, gap * 0.4)
    bw, bh = 0.86 * width, rng.uniform(0.34, 0.44) * height
    foot = 0.04 * m
    total = (text_h + gap if lines else 0.0) + bh + gap + foot
    top = (height - total) / 2
    cx = width / 2
    y = (
        _set_lines(draw, design, lines, cx, top, gap * 0.4, [head_ink(design)]) + gap
        if lines
        else top
    )
    box = (round(cx - bw / 2), round(y), round(cx + bw / 2), round(y + bh))
    paint_motif(canvas, design, rng, box, "rounded")
    draw.rounded_rectangle(box, round(min(bw, bh) * 0.04), outline=tone.line, width=round(lw * 1.4))
    y += bh + gap
    if design.tagline:
        draw_tagline(draw, design.tagline, (cx, y), foot * 0.8, tone.line, lw)
    else:
        for k in (-1, 0, 1):
            draw.polygon(star(cx + k * foot * 1.5, y + foot / 2, foot / 2), fill=tone.line)


def layout_stack(canvas: Image.Image, design: Design, rng: random.Random) -> None:
    """Stacked words set to one width, under an icon and over a starred rule."""
    width, height, m, draw, lw = open_layout(canvas, design)
    tone, pal = colours(design), design.palette
    gap, deco = 0.03 * m, 0.04 * m
    icon_s = (0.26 if len(design.headline) < 2 else 0.2) * m if design.icon else 0.0
    lines = _fit(
        design, 0.8 * width, min(0.2 * m, (0.64 * height - icon_s) / max(1, len(design.headline)))
    )
    text_h = _height(lines, gap)
    total = icon_s + (gap * 1.5 if icon_s else 0.0) + text_h + gap * 2 + deco
    cx, y = width / 2, (height - total) / 2
    if rng.random() < 0.6:
        backdrop = disc(cx, height / 2, min(0.47 * m, total * 0.64))
        if is_flat(design):
            draw.ellipse(backdrop, fill=pal.light)
        else:
            draw.ellipse(backdrop, outline=tone.line, width=lw)
    if design.icon:
        paint_hero(canvas, design, (cx, y + icon_s / 2), icon_s, tone.second, inside=pal.bg)
        y += icon_s + gap * 1.5
    second = Ink(tone.second, pal.bg, None)
    y = _set_lines(draw, design, lines, cx, y, gap, [head_ink(design), second]) if lines else y
    y += gap * 2 + deco / 2
    for k in (-1, 0, 1):
        draw.polygon(star(cx + k * deco * 1.4, y, deco / 2), fill=tone.line)
    for sign in (-1, 1):
        near = cx + sign * deco * 2.6
        draw.line((near, y, near + sign * m * 0.16, y), fill=tone.line, width=lw)


def layout_block(canvas: Image.Image, design: Design, rng: random.Random) -> None:
    """A solid label block with the icon and words reversed out of it."""
    width, height, m, draw, lw = open_layout(canvas, design)
    tone, pal = colours(design), design.palette
    gap, pad = 0.03 * m, 0.07 * m
    bw = 0.8 * width
    icon_s = (0.22 if len(design.headline) < 2 else 0.17) * m if design.icon else 0.0
    lines = _fit(
        design, bw - 2 * pad, min(0.17 * m, (0.56 * height - icon_s) / max(1, len(design.headline)))
    )
    text_h = _height(lines, gap)
    bh = 2 * pad + icon_s + (gap * 1.5 if icon_s and lines else 0.0) + text_h
    cx, cy = width / 2, height / 2
    box = (cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2)
    corner = round(m * rng.choice([0.0, 0.03, 0.08]))
    if is_flat(design):
        block, text, hollow = tone.line, pal.bg, tone.line
        off = 0.02 * m
        shifted = (box[0] + off, box[1] + off, box[2] + off, box[3] + off)
        draw.rounded_rectangle(shifted, corner, fill=tone.second)
        draw.rounded_rectangle(box, corner, fill=block)
    else:
        text, hollow = tone.head, pal.bg
        draw.rounded_rectangle(box, corner, outline=tone.line, width=round(lw * 1.6))
        inner = 0.018 * m
        draw.rounded_rectangle(
            (box[0] + inner, box[1] + inner, box[2] - inner, box[3] - inner),
            corner,
            outline=tone.line,
            width=lw,
        )
    y = box[1] + pad
    if design.icon:
        icon_colour = pal.accents[0] if is_flat(design) else tone.second
        paint_hero(canvas, design, (cx, y + icon_s / 2), icon_s, icon_colour, inside=pal.bg)
        y += icon_s + gap * 1.5
    ink = Ink(text, hollow, pal.accents[1] if is_flat(design) else None)
    _set_lines(draw, design, lines, cx, y, gap, [ink])
    for sign in (-1, 1):
        x = cx + sign * (bw / 2 - pad * 0.5)
        for ty in (box[1] + pad * 0.5, box[3] - pad * 0.5):
            draw.polygon(star(x, ty, pad * 0.18), fill=text)
