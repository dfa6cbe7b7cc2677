"""Geometry shared by motifs, icons and layouts: boxes, discs, stars, outlines, painters."""

from __future__ import annotations

import math
import random
from collections.abc import Callable

from PIL import ImageDraw

from gateway.app.generation.backends.local.palettes import Palette

Point = tuple[float, float]
Box = tuple[float, float, float, float]
Draw = ImageDraw.ImageDraw
Painter = Callable[[Draw, Box, Palette, random.Random, int], None]


def measure(box: Box) -> tuple[float, float, float, float, float]:
    """Centre x, centre y, width, height and shorter side of a box."""
    x0, y0, x1, y1 = box
    return (x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0, min(x1 - x0, y1 - y0)


def extent(box: Box) -> tuple[float, float, float, float, float]:
    """Left, top, width, height and shorter side of a box."""
    x0, y0, x1, y1 = box
    return x0, y0, x1 - x0, y1 - y0, min(x1 - x0, y1 - y0)


def disc(cx: float, cy: float, r: float) -> Box:
    """The bounding box of a circle."""
    return (cx - r, cy - r, cx + r, cy + r)


def lerp(p: Point, q: Point, t: float) -> Point:
    """The point a fraction `t` of the way from p to q."""
    return p[0] + (q[0] - p[0]) * t, p[1] + (q[1] - p[1]) * t


def star(cx: float, cy: float, r: float, points: int = 5, inner: float = 0.42) -> list[Point]:
    """A star outline with its first point straight up."""
    radii = [r if i % 2 == 0 else r * inner for i in range(2 * points)]
    return [
        (cx + q * math.sin(math.pi * i / points), cy - q * math.cos(math.pi * i / points))
        for i, q in enumerate(radii)
    ]


def sparkle(cx: float, cy: float, r: float) -> list[Point]:
    """A four-pointed twinkle with pinched sides."""
    return star(cx, cy, r, points=4, inner=0.28)


def arch(box: Box, steps: int = 48) -> list[Point]:
    """A window arch filling `box`: straight sides under a semicircular top."""
    x0, y0, x1, y1 = box
    r = (x1 - x0) / 2
    top = [
        (x0 + r - r * math.cos(math.pi * i / steps), y0 + r - r * math.sin(math.pi * i / steps))
        for i in range(steps + 1)
    ]
    return [*top, (x1, y1), (x0, y1)]


def wave_line(
    x0: float, x1: float, base: float, amp: float, cycles: float, phase: float
) -> list[Point]:
    """A sine line across x0..x1 around `base`, fine enough to look smooth."""
    n = 72
    return [
        (
            x0 + (x1 - x0) * i / (n - 1),
            base + amp * math.sin(2 * math.pi * cycles * i / (n - 1) + phase),
        )
        for i in range(n)
    ]
