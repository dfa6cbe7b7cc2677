"""Icons: a hero object (mug, heart, cat, tiger, ...) filled flat or outlined as line art.

An icon is a silhouette drawn into a mask plus details over it. Line art is the mask's rim
(the mask less its erosion), which outlines overlapping parts (ears on a head) as one shape.
"""

from __future__ import annotations

import math

from PIL import Image, ImageChops, ImageDraw, ImageFilter

from gateway.app.generation.backends.local.palettes import Palette, luminance
from gateway.app.generation.backends.local.scenes import lightest
from gateway.app.generation.backends.local.shapes import Point, star

_BOLT: list[Point] = [
    (0.1, -0.5),
    (-0.26, 0.08),
    (-0.02, 0.08),
    (-0.12, 0.5),
    (0.28, -0.1),
    (0.04, -0.1),
]
_HEART: list[Point] = [
    (
        math.sin(t) ** 3 / 2,  # the classic heart curve, scaled to a unit box
        (math.cos(4 * t) + 2 * math.cos(3 * t) + 5 * math.cos(2 * t) - 13 * math.cos(t) - 2.5) / 32,
    )
    for t in (2 * math.pi * i / 72 for i in range(72))
]


class _Pen:
    """Draws unit-box shapes (icon height 1, centred on 0, 0) at a place and size."""

    def __init__(self, draw: ImageDraw.ImageDraw, cx: float, cy: float, s: float) -> None:
        self.draw, self.cx, self.cy, self.s = draw, cx, cy, s

    def pt(self, x: float, y: float) -> Point:
        """The canvas point of unit point (x, y)."""
        return self.cx + x * self.s, self.cy + y * self.s

    def poly(self, points: list[Point], fill: int | str) -> None:
        """A filled polygon."""
        self.draw.polygon([self.pt(x, y) for x, y in points], fill=fill)

    def oval(self, x: float, y: float, rx: float, ry: float, fill: int | str) -> None:
        """A filled ellipse centred on (x, y) with radii rx, ry."""
        (x0, y0), (x1, y1) = self.pt(x - rx, y - ry), self.pt(x + rx, y + ry)
        self.draw.ellipse((x0, y0, x1, y1), fill=fill)

    def line(self, points: list[Point], fill: int | str, width: float) -> None:
        """A polyline `width` units wide (at least one pixel)."""
        pts = [self.pt(x, y) for x, y in points]
        self.draw.line(pts, fill=fill, width=max(1, round(width * self.s)), joint="curve")


def _silhouette(pen: _Pen, name: str) -> None:
    """Draw the icon's body shape in mask value 255."""
    if name == "star":
        pen.poly([(x / pen.s, y / pen.s) for x, y in star(0, 0, 0.55 * pen.s)], 255)
    elif name == "heart":
        pen.poly(_HEART, 255)
    elif name == "bolt":
        pen.poly(_BOLT, 255)
    elif name == "moon":
        pen.oval(0, 0, 0.46, 0.46, 255)
        pen.oval(0.2, -0.14, 0.38, 0.38, 0)
    elif name == "tree":
        for k in range(3):
            pen.poly(
                [
                    (0, -0.5 + 0.22 * k),
                    (0.22 + 0.08 * k, -0.2 + 0.22 * k),
                    (-0.22 - 0.08 * k, -0.2 + 0.22 * k),
                ],
                255,
            )
        pen.poly([(-0.05, 0.22), (0.05, 0.22), (0.05, 0.5), (-0.05, 0.5)], 255)
    elif name == "mug":
        pen.poly([(-0.36, -0.1), (0.2, -0.1), (0.17, 0.5), (-0.33, 0.5)], 255)
        handle = [
            (0.19 + 0.17 * math.sin(math.pi * i / 16), 0.2 - 0.16 * math.cos(math.pi * i / 16))
            for i in range(17)
        ]
        pen.line(handle, 255, 0.08)
    elif name == "palm":
        trunk = [(0.12 * (u**1.4) - 0.04, 0.5 - 0.72 * u) for u in (i / 10 for i in range(11))]
        pen.line(trunk, 255, 0.09)
        crown = trunk[-1]
        for a in (-170, -135, -100, -70, -38, -8):
            pen.poly(_leaf(crown, math.radians(a), 0.5), 255)
        pen.oval(crown[0] - 0.04, crown[1] + 0.05, 0.045, 0.045, 255)
        pen.oval(crown[0] + 0.05, crown[1] + 0.06, 0.045, 0.045, 255)
    elif name == "tiger":
        for side in (-1, 1):
            pen.poly([(side * 0.42, -0.06), (side * 0.36, -0.42), (side * 0.12, -0.27)], 255)
            ruff = [
                (0.3, -0.06),
                (0.52, 0.1),
                (0.42, 0.16),
                (0.5, 0.28),
                (0.36, 0.32),
                (0.4, 0.42),
                (0.0, 0.46),
            ]
            pen.poly([(side * x, y) for x, y in ruff], 255)
        pen.oval(0, 0.06, 0.4, 0.34, 255)
    else:  # cat
        pen.oval(0, 0.08, 0.44, 0.36, 255)
        for side in (-1, 1):
            pen.poly([(side * 0.42, -0.02), (side * 0.36, -0.5), (side * 0.08, -0.24)], 255)


def _leaf(base: Point, angle: float, length: float) -> list[Point]:
    """A drooping palm leaf in unit coordinates."""
    upper, lower = [], []
    for i in range(9):
        u = i / 8
        x = base[0] + math.cos(angle) * length * u
        y = base[1] + math.sin(angle) * length * u + length * 0.55 * u * u
        half = length * 0.13 * math.sin(math.pi * min(1.0, u * 1.1))
        upper.append((x, y - half))
        lower.append((x, y + half))
    return upper + lower[::-1]


def _face(pen: _Pen, name: str, detail: str, light: str, flat: bool, shades: bool) -> None:
    """Eyes, nose, mouth and whiskers of a cat; stripes and a pale muzzle for a tiger."""
    if name == "tiger":
        if flat:
            pen.oval(0, 0.25, 0.2, 0.13, light)
        for x in (-0.09, 0.0, 0.09):
            pen.poly([(x - 0.035, -0.26), (x + 0.035, -0.26), (x, -0.11 + abs(x) * 0.6)], detail)
        for side in (-1, 1):
            for y, reach in ((0.06, 0.28), (0.17, 0.3), (0.28, 0.34)):
                pen.poly(
                    [(side * 0.44, y - 0.03), (side * 0.44, y + 0.03), (side * reach, y)], detail
                )
            pen.poly([(side * 0.1, -0.08), (side * 0.26, -0.1), (side * 0.18, -0.05)], detail)
    if not shades:
        for side in (-1, 1):
            pen.oval(side * 0.17, 0.04, 0.055, 0.075, detail)
    pen.poly([(-0.05, 0.17), (0.05, 0.17), (0, 0.23)], detail)
    pen.line([(0, 0.23), (-0.03, 0.28), (-0.08, 0.27)], detail, 0.022)
    pen.line([(0, 0.23), (0.03, 0.28), (0.08, 0.27)], detail, 0.022)
    if name == "cat":
        for side in (-1, 1):
            for dy in (-0.03, 0.03):
                pen.line([(side * 0.16, 0.22 + dy), (side * 0.36, 0.2 + dy * 2)], detail, 0.014)
    if shades:
        for side in (-1, 1):
            pen.oval(side * 0.18, 0.03, 0.15, 0.1, detail)
            pen.line([(side * 0.23, -0.02), (side * 0.15, 0.07)], light, 0.02)
        pen.line([(-0.06, 0.0), (0.0, -0.02), (0.06, 0.0)], detail, 0.03)
        pen.line([(-0.32, 0.0), (-0.42, -0.03)], detail, 0.03)
        pen.line([(0.32, 0.0), (0.42, -0.03)], detail, 0.03)


def _mug_steam(pen: _Pen, colour: str) -> None:
    """Three wisps of steam above the mug."""
    for k in (-1, 0, 1):
        x = -0.08 + k * 0.14
        pen.line(
            [(x + 0.04 * math.sin(i * math.pi / 4), -0.2 - 0.035 * i) for i in range(9)],
            colour,
            0.05,
        )


def paint_icon(
    canvas: Image.Image,
    name: str,
    centre: Point,
    s: float,
    colour: str,
    pal: Palette,
    lw: int,
    *,
    inside: str | None = None,
    shades: bool = False,
) -> None:
    """Paint icon `name` of height `s`: filled in `colour`, or outlined `lw` wide when lw > 0.

    `inside` fills a line-art icon's interior (hiding what is behind it); `shades` puts
    sunglasses on a cat or tiger. Features are drawn in whichever of ink and background
    stands out more against the body.
    """
    cx, cy = centre
    ox, oy = math.floor(cx - s), math.floor(cy - s)
    size = math.ceil(2 * s) + 2
    mask = Image.new("L", (size, size), 0)
    _silhouette(_Pen(ImageDraw.Draw(mask), cx - ox, cy - oy, s), name)
    box = (ox, oy, ox + size, oy + size)
    if lw:
        eroded = mask.filter(ImageFilter.BoxBlur(lw)).point(
            [255 if v >= 250 else 0 for v in range(256)]
        )
        if inside:
            canvas.paste(inside, box, eroded)
        canvas.paste(colour, box, ImageChops.subtract(mask, eroded))
    else:
        canvas.paste(colour, box, mask)
    pen = _Pen(ImageDraw.Draw(canvas), cx, cy, s)
    if name in ("cat", "tiger"):
        detail = max((pal.ink, pal.bg), key=lambda c: abs(luminance(c) - luminance(colour)))
        glint = lightest(pal) if detail != lightest(pal) else colour
        _face(pen, name, colour if lw else detail, inside or glint if lw else glint, not lw, shades)
    elif name == "mug":
        _mug_steam(pen, colour)
