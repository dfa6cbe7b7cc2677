"""Pattern motifs: fields that fill a box edge to edge; lw 0 filled shapes, lw > 0 line art.

Patterns carry no horizon, so the layouts may rotate and zoom them; the rng varies their
density and focus. The ground a filled pattern lies on is laid by `frames.MOTIFS`.
"""

from __future__ import annotations

import math
from random import Random

from gateway.app.generation.backends.local.palettes import Palette
from gateway.app.generation.backends.local.shapes import Box, Draw, disc, extent, measure, sparkle


def paint_sunburst(draw: Draw, box: Box, pal: Palette, rng: Random, lw: int) -> None:
    """Alternating rays from the centre around a ringed disc."""
    cx, cy, w, h, s = measure(box)
    rays, reach, inner = rng.choice([16, 20, 24, 28]), math.hypot(w, h), s * rng.uniform(0.14, 0.22)
    for k in range(rays):
        a0 = 2 * math.pi * k / rays
        a1 = a0 + math.pi / rays
        if lw:
            c, d = math.cos(a0 + math.pi / rays / 2), math.sin(a0 + math.pi / rays / 2)
            ray = (cx + inner * 1.3 * c, cy + inner * 1.3 * d, cx + s * 0.46 * c, cy + s * 0.46 * d)
            draw.line(ray, fill=pal.accents[1 + k % 2], width=lw)
        else:
            wedge = [(cx + reach * math.cos(a), cy + reach * math.sin(a)) for a in (a0, a1)]
            draw.polygon([(cx, cy), *wedge], fill=pal.accents[0])
    if lw:
        draw.ellipse(disc(cx, cy, inner), outline=pal.accents[0], width=lw)
    else:
        draw.ellipse(disc(cx, cy, inner), fill=pal.accents[2])
        draw.ellipse(disc(cx, cy, inner * 0.72), fill=pal.accents[1])


def paint_rings(draw: Draw, box: Box, pal: Palette, rng: Random, lw: int) -> None:
    """Concentric rings, centred or rising from below the centre."""
    cx, cy, w, h, _ = measure(box)
    cy += h * rng.choice([0.0, 0.0, 0.35])
    count, outer = rng.randint(5, 9), math.hypot(w, h) * 0.55
    colours = [pal.accents[3], pal.accents[2], pal.accents[1], pal.accents[0], pal.light]
    for k in range(count):
        ring = disc(cx, cy, outer * (1 - k / count))
        if lw:
            draw.ellipse(ring, outline=pal.accents[k % 3], width=lw)
        else:
            draw.ellipse(ring, fill=colours[k % len(colours)])


def paint_truchet(draw: Draw, box: Box, pal: Palette, rng: Random, lw: int) -> None:
    """Smith-style Truchet tiles: quarter arcs that join into meandering paths."""
    x0, y0, w, h, s = extent(box)
    cell = s / rng.randint(5, 9)
    band = lw or max(1, round(cell * rng.uniform(0.2, 0.34)))
    r = cell / 2 + band / 2
    colour = pal.accents[1] if lw else pal.accents[0]
    for j in range(math.ceil(h / cell)):
        for i in range(math.ceil(w / cell)):
            x, y = x0 + i * cell, y0 + j * cell
            if rng.random() < 0.5:
                arcs = (((x, y), 0, 90), ((x + cell, y + cell), 180, 270))
            else:
                arcs = (((x + cell, y), 90, 180), ((x, y + cell), 270, 360))
            for (ax, ay), start, end in arcs:
                draw.arc(disc(ax, ay, r), start, end, fill=colour, width=band)


def paint_halftone(draw: Draw, box: Box, pal: Palette, rng: Random, lw: int) -> None:
    """A halftone dot field that swells towards a focal point."""
    x0, y0, w, h, s = extent(box)
    step = s / rng.randint(12, 22)
    fx, fy = x0 + w * rng.uniform(0.1, 0.9), y0 + h * rng.uniform(0.1, 0.9)
    span = math.hypot(w, h) * rng.uniform(0.6, 0.9)
    colour = pal.accents[1] if lw else pal.accents[rng.choice([1, 2])]
    for j in range(math.ceil(h / (step * 0.87)) + 1):
        for i in range(math.ceil(w / step) + 1):
            x, y = x0 + (i + (j % 2) * 0.5) * step, y0 + j * step * 0.87
            r = step * 0.52 * max(0.0, 1 - math.hypot(x - fx, y - fy) / span)
            if r > step * 0.04 and lw and r > 2 * lw:  # line art: rings, not blots
                draw.ellipse(disc(x, y, r), outline=colour, width=lw)
            elif r > step * 0.04:
                draw.ellipse(disc(x, y, r), fill=colour)


def paint_stripes(draw: Draw, box: Box, pal: Palette, rng: Random, lw: int) -> None:
    """Tapered, wavering tiger stripes reaching in from both sides."""
    x0, y0, x1, _ = box
    _, _, w, h, _ = measure(box)
    count = rng.randint(5, 8)
    for edge, inward in ((x0, 1), (x1, -1)):
        for k in range(count):
            y = y0 + h * (k + 0.5 + rng.uniform(-0.2, 0.2)) / count
            length, thick = w * rng.uniform(0.3, 0.55), h / count * rng.uniform(0.45, 0.7)
            bend, wobble = thick * rng.uniform(-1.2, 1.2), rng.uniform(0, 2 * math.pi)
            spine = [
                (
                    edge + inward * (length * u - w * 0.05),
                    y + bend * u * u + thick * 0.15 * math.sin(wobble + 5 * u),
                    thick * 0.5 * (1 - u) ** 0.8 * (1 + 0.25 * math.sin(wobble + 9 * u)),
                )
                for u in (i / 10 for i in range(11))
            ]
            shape = [(x, y - t) for x, y, t in spine] + [(x, y + t) for x, y, t in spine[::-1]]
            if lw:  # line art: the outline of each stripe, like a bent neon tube
                draw.line([*shape, shape[0]], fill=pal.accents[1 + k % 3], width=lw, joint="curve")
            else:
                draw.polygon(shape, fill=pal.ink)


def paint_chevrons(draw: Draw, box: Box, pal: Palette, rng: Random, lw: int) -> None:
    """Bold zigzag bands cycling through the accents."""
    x0, y0, _, y1 = box
    _, _, w, _, s = measure(box)
    band = s / rng.randint(5, 9)
    teeth = rng.randint(3, 6)
    colours = [pal.light, pal.accents[0], pal.accents[1], pal.accents[2]]
    pitch = w / teeth
    y, k = y0 - band * 2, 0
    while y < y1 + band:
        zig = [
            (x0 - pitch + i * pitch / 2, y + (band * 0.9 if i % 2 else 0.0))
            for i in range(2 * teeth + 5)
        ]
        if lw:
            draw.line(zig, fill=pal.accents[1 + k % 2], width=lw, joint="curve")
        else:
            lower = [(x, py + band) for x, py in zig[::-1]]
            draw.polygon(zig + lower, fill=colours[k % len(colours)])
        y, k = y + band, k + 1


def paint_confetti(draw: Draw, box: Box, pal: Palette, rng: Random, lw: int) -> None:
    """Scattered dots, dashes and twinkles in the accents, evenly spread by jittered grid."""
    x0, y0, w, h, s = extent(box)
    cell = s / rng.randint(6, 10)
    for j in range(math.ceil(h / cell)):
        for i in range(math.ceil(w / cell)):
            x = x0 + (i + rng.uniform(0.2, 0.8)) * cell
            y = y0 + (j + rng.uniform(0.2, 0.8)) * cell
            colour = pal.accents[rng.randrange(4)] if not lw else pal.accents[1 + rng.randrange(2)]
            kind, size = rng.randrange(3), cell * rng.uniform(0.12, 0.22)
            if kind == 0:
                draw.ellipse(
                    disc(x, y, size), fill=None if lw else colour, outline=colour, width=lw
                )
            elif kind == 1:
                a = rng.uniform(0, math.pi)
                dx, dy = math.cos(a) * size * 1.6, math.sin(a) * size * 1.6
                draw.line(
                    (x - dx, y - dy, x + dx, y + dy), fill=colour, width=lw or round(size * 0.8)
                )
            else:
                shape = sparkle(x, y, size * 1.5)
                if lw:
                    draw.line([*shape, shape[0]], fill=colour, width=lw)
                else:
                    draw.polygon(shape, fill=colour)
