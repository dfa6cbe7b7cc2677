"""Scene motifs (sun, mountains, waves): each fills or strokes a box, lw 0 filled, lw > 0 line art.

The rng varies the composition inside the box (horizon, sun size and place, sky treatment,
number of ranges), so two seeds of one prompt frame the same subject differently. The ground a
filled scene lies on (its plain sky) is laid by `frames.MOTIFS`.
"""

from __future__ import annotations

import math
from random import Random

from gateway.app.generation.backends.local.palettes import Palette, luminance
from gateway.app.generation.backends.local.shapes import (
    Box,
    Draw,
    Point,
    disc,
    lerp,
    measure,
    wave_line,
)


def lightest(pal: Palette) -> str:
    """The palette's brightest colour: snow, clouds, a pale sun on a banded sky."""
    return max((pal.bg, pal.ink, pal.light, *pal.accents), key=luminance)


def darkest(pal: Palette) -> str:
    """The palette's darkest colour: silhouettes of palms and pines."""
    return min((pal.bg, pal.ink, pal.light, *pal.accents), key=luminance)


def _sky(draw: Draw, box: Box, horizon: float, pal: Palette, kind: str, lw: int) -> None:
    """Band the sky above `horizon` in the palette's warm accents; a plain sky is the ground."""
    x0, y0, x1, _ = box
    if kind != "bands":
        return
    colours = [pal.light, pal.accents[0], pal.accents[1], pal.accents[2]]
    edges = [y0 + (horizon - y0) * f for f in (0.0, 0.42, 0.66, 0.84, 1.0)]
    for k, colour in enumerate(colours):
        if lw and k:
            draw.line((x0, edges[k], x1, edges[k]), fill=pal.accents[1], width=lw)
        elif not lw:
            draw.rectangle((x0, edges[k], x1, edges[k + 1]), fill=colour)


def _rays(draw: Draw, centre: Point, reach: float, pal: Palette, count: int, lw: int) -> None:
    """Alternating rays spreading from the sun's centre."""
    cx, cy = centre
    for k in range(count):
        a0 = 2 * math.pi * k / count
        a1 = a0 + math.pi / count
        if lw:
            a = (a0 + a1) / 2
            draw.line(
                (cx, cy, cx + reach * math.cos(a), cy + reach * math.sin(a)),
                fill=pal.accents[1],
                width=lw,
            )
        else:
            wedge = [(cx + reach * math.cos(a), cy + reach * math.sin(a)) for a in (a0, a1)]
            draw.polygon([centre, *wedge], fill=pal.accents[0])


def paint_sun(draw: Draw, box: Box, pal: Palette, rng: Random, lw: int) -> None:
    """A retro sun setting over a sea with reflections, under a plain, banded or rayed sky."""
    x0, y0, x1, y1 = box
    cx, _, w, h, s = measure(box)
    horizon = y0 + h * rng.uniform(0.58, 0.72)
    r = s * rng.uniform(0.24, 0.36)
    sx = cx + w * rng.choice([0.0, 0.0, -0.15, 0.15])
    sy = horizon - r * rng.uniform(0.1, 0.5)
    sky = rng.choice(["plain", "bands", "rays"])
    _sky(draw, box, horizon, pal, sky, lw)
    if sky == "rays":
        _rays(draw, (sx, sy), math.hypot(w, h), pal, rng.choice([18, 24, 30]), lw)
    gaps = rng.randint(3, 6)
    gap_top = sy - r * rng.uniform(0.0, 0.3)  # sy is above the horizon, so gap_top is too
    step = (horizon - gap_top) / gaps
    if lw:
        draw.ellipse(disc(sx, sy, r), fill=pal.bg, outline=pal.accents[0], width=lw)
        for k in range(gaps):
            y = gap_top + step * (k + 0.5)
            half = math.sqrt(max(0.0, r * r - (y - sy) ** 2))
            draw.line((sx - half, y, sx + half, y), fill=pal.accents[0], width=lw)
    elif sky == "bands":
        draw.ellipse(disc(sx, sy, r), fill=lightest(pal))
    else:
        draw.ellipse(disc(sx, sy, r), fill=pal.accents[2])
        for colour, depth in ((pal.accents[1], 0.55), (pal.accents[0], 0.2)):
            a = math.degrees(math.asin(1 - 2 * depth))  # chord above `depth` of the diameter
            draw.chord(disc(sx, sy, r), 180 + a, 360 - a, fill=colour)
        for k in range(gaps):
            y, t = gap_top + step * (k + 0.5), step * (0.12 + 0.55 * k / gaps)
            draw.rectangle((sx - r - 2, y - t / 2, sx + r + 2, y + t / 2), fill=pal.light)
    if lw:
        draw.rectangle((x0, horizon, x1, y1), fill=pal.bg)
        draw.line((x0, horizon, x1, horizon), fill=pal.accents[1], width=lw)
    else:
        draw.rectangle((x0, horizon, x1, y1), fill=pal.accents[3])
    rows = rng.randint(3, 5)
    row_h = (y1 - horizon) / (rows + 1)
    for k in range(rows):
        y, half = horizon + row_h * (k + 0.8), r * (0.9 - 0.6 * k / rows)
        colour = pal.accents[1] if lw else pal.accents[k % 2]
        draw.line((sx - half, y, sx + half, y), fill=colour, width=lw or round(row_h * 0.3))


def _ridge(rng: Random, box: Box, base: float, amp: float, peaks: int) -> list[Point]:
    """A mountain ridge line: alternating peaks and saddles across the box (and a bit beyond)."""
    x0, _, x1, _ = box
    pad, n = (x1 - x0) * 0.05, peaks * 2
    points = [(x0 - pad, base - amp * rng.uniform(0.1, 0.4))]
    for k in range(1, n):
        x = x0 + (x1 - x0) * (k + rng.uniform(-0.25, 0.25)) / n
        lift = rng.uniform(0.65, 1.0) if k % 2 else rng.uniform(0.1, 0.35)
        points.append((x, base - amp * lift))
    return [*points, (x1 + pad, base - amp * rng.uniform(0.1, 0.4))]


def _snow_cap(draw: Draw, ridge: list[Point], colour: str) -> None:
    """Jagged snow caps on every peak of a ridge."""
    for i in range(1, len(ridge) - 1, 2):
        peak = ridge[i]
        a, b = lerp(peak, ridge[i - 1], 0.3), lerp(peak, ridge[i + 1], 0.3)
        mid = ((a[0] + b[0]) / 2, max(a[1], b[1]) - (b[0] - a[0]) * 0.08)
        cap = [a, peak, b, lerp(b, mid, 0.5), lerp(a, b, 0.55), mid, lerp(a, mid, 0.5)]
        draw.polygon(cap, fill=colour)


def _crescent(draw: Draw, centre: Point, r: float, pal: Palette, lw: int) -> None:
    """A crescent moon: a disc less a disc of the same size shifted up and to the right."""
    cx, cy = centre
    bx, by = cx + r * 0.6, cy - r * 0.35
    if not lw:
        draw.ellipse(disc(cx, cy, r), fill=pal.accents[0])
        draw.ellipse(disc(bx, by, r), fill=pal.light)
        return
    toward = math.degrees(math.atan2(by - cy, bx - cx))  # PIL angles turn clockwise, as y does
    half = math.degrees(math.acos(math.hypot(bx - cx, by - cy) / (2 * r)))
    draw.arc(disc(cx, cy, r), toward + half, toward - half + 360, fill=pal.accents[0], width=lw)
    draw.arc(
        disc(bx, by, r), toward + 180 - half, toward + 180 + half, fill=pal.accents[0], width=lw
    )


def paint_mountains(draw: Draw, box: Box, pal: Palette, rng: Random, lw: int) -> None:
    """Layered mountain ranges with snow caps under a sun, a big setting sun or a crescent moon."""
    x0, y0, x1, y1 = box
    _, _, w, h, s = measure(box)
    sky = rng.choice(["sun", "big-sun", "moon"])
    sx = x0 + w * rng.uniform(0.25, 0.75)
    if sky == "big-sun":
        cx, cy, r = (x0 + x1) / 2, y0 + h * 0.55, s * 0.36
    else:
        cx, cy, r = sx, y0 + h * rng.uniform(0.22, 0.36), s * rng.uniform(0.09, 0.14)
    if sky == "moon":
        _crescent(draw, (cx, cy), r, pal, lw)
    else:
        draw.ellipse(
            disc(cx, cy, r), fill=None if lw else pal.accents[0], outline=pal.accents[0], width=lw
        )
    ranges = rng.randint(2, 3 if lw else 4)  # line art stays sparse
    colours = [pal.accents[1], pal.accents[2], pal.accents[3], darkest(pal)][-ranges:]
    top = rng.uniform(0.4, 0.52)
    for k, colour in enumerate(colours):
        base = y0 + h * (0.74 + 0.26 * k / ranges)
        ridge = _ridge(rng, box, base, h * (top - 0.3 * k / ranges), rng.randint(1, 3))
        body = [*ridge, (x1 + w, y1 + h), (x0 - w, y1 + h)]
        draw.polygon(body, fill=pal.bg if lw else colour)  # line art: hide what is behind
        if lw:
            draw.line(ridge, fill=pal.accents[1] if k == 0 else pal.ink, width=lw, joint="curve")
        elif k == 0:
            _snow_cap(draw, ridge, lightest(pal))


def paint_waves(draw: Draw, box: Box, pal: Palette, rng: Random, lw: int) -> None:
    """Rolling bands or scalloped rows of sea, under a small sun."""
    x0, y0, x1, y1 = box
    _, _, w, h, s = measure(box)
    sun = disc(
        x0 + w * rng.uniform(0.25, 0.75),
        y0 + h * rng.uniform(0.2, 0.32),
        s * rng.uniform(0.09, 0.16),
    )
    draw.ellipse(sun, fill=None if lw else pal.accents[0], outline=pal.accents[0], width=lw)
    colours = [pal.accents[1], pal.accents[2], pal.accents[3], pal.ink]
    top = rng.uniform(0.4, 0.55)
    if rng.random() < 0.4:
        _scallops(draw, box, y0 + h * top, pal, rng, lw)
        return
    cycles, rows = rng.uniform(1.2, 2.6), rng.randint(3, 6)
    for k in range(rows):
        base = y0 + h * (top + (0.98 - top) * k / rows)
        crest = wave_line(
            x0, x1, base, h * rng.uniform(0.025, 0.05), cycles, rng.uniform(0, 2 * math.pi)
        )
        if lw:
            draw.polygon([*crest, (x1, y1), (x0, y1)], fill=pal.bg)
            draw.line(crest, fill=pal.accents[1 + k % 3], width=lw, joint="curve")
        else:
            draw.polygon([*crest, (x1, y1), (x0, y1)], fill=colours[k % 4])


def _scallops(draw: Draw, box: Box, top: float, pal: Palette, rng: Random, lw: int) -> None:
    """Rows of concentric half-rings (seigaiha), each row overlapping the one behind it."""
    x0, _, x1, y1 = box
    r = (x1 - x0) / rng.choice([5, 6, 7]) / 2
    colours = [pal.accents[1], pal.accents[2], pal.accents[3]]
    row = 0
    y = top
    while y - r < y1:
        shift = r if row % 2 else 0.0
        x = x0 - shift
        while x - r < x1:
            for k, f in enumerate((1.0, 0.72, 0.44)):
                if lw:
                    draw.pieslice(
                        disc(x, y, r * f), 180, 360, fill=pal.bg, outline=pal.accents[1], width=lw
                    )
                else:
                    draw.pieslice(disc(x, y, r * f), 180, 360, fill=colours[(row + k) % 3])
            x += 2 * r
        y += r * 0.55
        row += 1
