"""Secondary motifs laid over a scene: birds, palms, pines, clouds and twinkling stars.

They are small enough not to compete with the main motif, but they change a picture's
silhouette, so seeds that share a scene still read as different designs.
"""

from __future__ import annotations

import math
from random import Random

from gateway.app.generation.backends.local.palettes import Palette
from gateway.app.generation.backends.local.scenes import darkest, lightest
from gateway.app.generation.backends.local.shapes import (
    Box,
    Draw,
    Painter,
    Point,
    disc,
    extent,
    measure,
    sparkle,
)


def _silhouette(pal: Palette, lw: int) -> str:
    """The colour of birds and trees: the ink in line art, else the palette's darkest colour."""
    return pal.ink if lw else darkest(pal)


def paint_birds(draw: Draw, box: Box, pal: Palette, rng: Random, lw: int) -> None:
    """A few gulls, each two shallow arcs, drifting across the upper sky."""
    x0, y0, w, h, s = extent(box)
    width = lw or max(1, round(s * 0.012))
    colour = _silhouette(pal, lw)
    for _ in range(rng.randint(3, 5)):
        x, y = x0 + w * rng.uniform(0.15, 0.85), y0 + h * rng.uniform(0.12, 0.38)
        span = s * rng.uniform(0.025, 0.05)
        for side in (-1, 1):
            wing = disc(x + side * span / 2, y + span * 0.35, span / 2)
            draw.arc(wing, 200, 340, fill=colour, width=width)


def _frond(base: Point, angle: float, length: float) -> list[Point]:
    """One drooping palm leaf: a tapered crescent from the crown outwards."""
    bx, by = base
    upper: list[Point] = []
    lower: list[Point] = []
    for i in range(9):
        u = i / 8
        droop = length * 0.35 * u * u
        x = bx + math.cos(angle) * length * u
        y = by + math.sin(angle) * length * u + droop
        half = length * 0.09 * math.sin(math.pi * min(1.0, u * 1.15))
        upper.append((x, y - half))
        lower.append((x, y + half))
    return upper + lower[::-1]


def paint_palms(draw: Draw, box: Box, pal: Palette, rng: Random, lw: int) -> None:
    """One or two leaning palm trees in silhouette at the sides of the scene."""
    x0, _, x1, y1 = box
    _, _, w, h, s = measure(box)
    colour = _silhouette(pal, lw)
    sides = rng.choice([(-1,), (1,), (-1, 1)])
    for side in sides:
        foot = (x0 + w * 0.12, y1) if side < 0 else (x1 - w * 0.12, y1)
        height, lean = h * rng.uniform(0.55, 0.75), -side * w * rng.uniform(0.06, 0.14)
        spine = [
            (foot[0] + lean * (u**1.6), foot[1] - height * u) for u in (i / 12 for i in range(13))
        ]
        thick = s * 0.028
        trunk = [(x - thick * (1 - 0.5 * i / 12), y) for i, (x, y) in enumerate(spine)]
        trunk += [
            (x + thick * (1 - 0.5 * i / 12), y) for i, (x, y) in reversed(list(enumerate(spine)))
        ]
        crown = spine[-1]
        leaves = [
            _frond(crown, math.radians(a), s * rng.uniform(0.2, 0.26))
            for a in (-170, -130, -95, -55, -15, 20, 160)
        ]
        if lw:
            draw.line(spine, fill=colour, width=lw * 2, joint="curve")
            for leaf in leaves:
                draw.line([*leaf, leaf[0]], fill=colour, width=lw, joint="curve")
        else:
            draw.polygon(trunk, fill=colour)
            for leaf in leaves:
                draw.polygon(leaf, fill=colour)


def paint_pines(draw: Draw, box: Box, pal: Palette, rng: Random, lw: int) -> None:
    """A row of pine trees of varied height standing along the bottom edge."""
    x0, _, _, y1 = box
    _, _, w, h, _ = measure(box)
    colour = _silhouette(pal, lw)
    count = rng.randint(5, 9)
    for k in range(count):
        x = x0 + w * (k + 0.5 + rng.uniform(-0.3, 0.3)) / count
        tall = h * rng.uniform(0.16, 0.3)
        half = tall * 0.28
        tree = [(x, y1 - tall), (x + half, y1 - tall * 0.12), (x - half, y1 - tall * 0.12)]
        if lw:
            draw.polygon(tree, fill=pal.bg, outline=colour, width=lw)
            draw.line((x, y1 - tall * 0.12, x, y1), fill=colour, width=lw)
        else:
            draw.polygon(tree, fill=colour)
            draw.rectangle((x - half * 0.15, y1 - tall * 0.14, x + half * 0.15, y1), fill=colour)


def paint_clouds(draw: Draw, box: Box, pal: Palette, rng: Random, lw: int) -> None:
    """Two flat-bottomed puffy clouds in the upper sky."""
    x0, y0, w, h, s = extent(box)
    colour = lightest(pal)
    for _ in range(2):
        cx, base = x0 + w * rng.uniform(0.2, 0.8), y0 + h * rng.uniform(0.18, 0.34)
        r = s * rng.uniform(0.045, 0.07)
        puffs = [
            (cx - r * 1.2, base - r * 0.6, r * 0.7),
            (cx, base - r, r),
            (cx + r * 1.1, base - r * 0.55, r * 0.75),
        ]
        for px, py, pr in puffs:
            if lw:
                draw.arc(disc(px, py, pr), 180, 360, fill=pal.ink, width=lw)
            else:
                draw.ellipse(disc(px, py, pr), fill=colour)
        if lw:
            draw.line((cx - r * 1.9, base, cx + r * 1.85, base), fill=pal.ink, width=lw)
        else:
            draw.rectangle((cx - r * 1.9, base - r * 0.6, cx + r * 1.85, base), fill=colour)


def paint_stars(draw: Draw, box: Box, pal: Palette, rng: Random, lw: int) -> None:
    """A scatter of four-pointed twinkles, larger and fewer than a starfield."""
    x0, y0, w, h, s = extent(box)
    for _ in range(rng.randint(6, 10)):
        x, y = x0 + w * rng.uniform(0.08, 0.92), y0 + h * rng.uniform(0.06, 0.45)
        shape = sparkle(x, y, s * rng.uniform(0.015, 0.035))
        if lw:
            draw.line([*shape, shape[0]], fill=pal.accents[0], width=max(1, lw // 2 + 1))
        else:
            draw.polygon(shape, fill=pal.accents[0])


EXTRAS: dict[str, Painter] = {
    "birds": paint_birds,
    "palms": paint_palms,
    "pines": paint_pines,
    "clouds": paint_clouds,
    "stars": paint_stars,
}
EXTRAS_FOR_MOTIF: dict[str, tuple[str, ...]] = {
    "sun": ("palms", "birds", "clouds"),
    "mountains": ("pines", "birds"),
    "waves": ("birds", "clouds", "stars"),
}
