"""Product silhouettes for mockup previews: one clean vector drawing per blueprint family.

Each family is drawn as SVG on a square of `VIEW` units in the variant's colour, with a box on it
where the print area goes. The template's print area (its aspect ratio from the catalog's
placeholder) is fitted into that box, so a tall poster, a square sticker and a wide mug wrap each
land where they print; the family's drawings that depend on the print area (a poster's sheet, a
sticker's cut line) are drawn around it. libvips renders the SVG anti-aliased, so no image files
ship with the gateway. `VERSION` is part of every preview's cache key: raise it when a drawing
changes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from gateway.app.publishing.colours import NEUTRAL, RGB

VERSION = 1
VIEW = 1000
BACKGROUND = "#f4f4f2"
WHITE: RGB = (0xFA, 0xFA, 0xF8)
NATURAL: RGB = (0xEF, 0xE7, 0xD4)


@dataclass(frozen=True)
class Box:
    """A rectangle in view units."""

    left: float
    top: float
    width: float
    height: float

    def grown(self, margin: float) -> Box:
        return Box(
            self.left - margin, self.top - margin, self.width + 2 * margin, self.height + 2 * margin
        )

    def rect(self, **attributes: str | float) -> str:
        extra = "".join(
            f' {name.replace("_", "-")}="{value}"' for name, value in attributes.items()
        )
        return (
            f'<rect x="{self.left:.1f}" y="{self.top:.1f}" width="{self.width:.1f}" '
            f'height="{self.height:.1f}"{extra}/>'
        )


@dataclass(frozen=True)
class Palette:
    """The product's fill, a contrasting outline and a shade for seams and insides."""

    fill: str
    line: str
    shade: str

    @classmethod
    def of(cls, rgb: RGB) -> Palette:
        light = (0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]) / 255 > 0.35
        target, share = ((0, 0, 0), 0.38) if light else ((255, 255, 255), 0.28)
        return cls(
            fill=_hex(rgb),
            line=_hex(_towards(rgb, target, share)),
            shade=_hex(_towards(rgb, target, share / 3)),
        )


Drawing = Callable[[Palette, Box, bool], str]


@dataclass(frozen=True)
class Family:
    """A kind of product: how to recognise its blueprint, where it prints, how it is drawn.

    `areas` maps a print position to the box its print area is fitted into (`front` serves any
    other position); `top_aligned` puts the print area at the top of its box, as on a garment's
    chest, instead of the middle. `default_colour` is the blank's colour when no variant names one.
    """

    name: str
    keywords: str
    areas: dict[str, Box]
    top_aligned: bool
    default_colour: RGB
    draw: Drawing

    def area(self, position: str, aspect: float) -> Box:
        """The print area of `aspect` (width / height) at `position`, fitted into its box."""
        box = self.areas.get(position, self.areas["front"])
        width = min(box.width, box.height * aspect)
        height = width / aspect
        top = box.top if self.top_aligned else box.top + (box.height - height) / 2
        return Box(box.left + (box.width - width) / 2, top, width, height)


def _hex(rgb: RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def _towards(rgb: RGB, target: RGB, share: float) -> RGB:
    return (
        round(rgb[0] + (target[0] - rgb[0]) * share),
        round(rgb[1] + (target[1] - rgb[1]) * share),
        round(rgb[2] + (target[2] - rgb[2]) * share),
    )


def _path(d: str, fill: str, stroke: str = "none", width: float = 0, **extra: str) -> str:
    more = "".join(f' {name.replace("_", "-")}="{value}"' for name, value in extra.items())
    return (
        f'<path d="{d}" fill="{fill}" stroke="{stroke}" stroke-width="{width}" '
        f'stroke-linejoin="round" stroke-linecap="round"{more}/>'
    )


def _tee(p: Palette, area: Box, back: bool) -> str:
    neck = "M 385 95 Q 500 130 615 95" if back else "M 385 95 Q 500 185 615 95"
    body = (
        "M 385 95 L 240 140 L 85 330 L 185 400 L 260 330 L 255 915 Q 500 935 745 915 "
        "L 740 330 L 815 400 L 915 330 L 760 140 L 615 95 "
        + ("Q 500 130 385 95 Z" if back else "Q 500 185 385 95 Z")
    )
    return "".join(
        [
            _path(body, p.fill, p.line, 5),
            _path(neck, "none", p.shade, 16),
            _path(neck, "none", p.line, 4),
            _path("M 105 345 L 195 410 M 895 345 L 805 410", "none", p.shade, 5),
        ]
    )


def _hoodie(p: Palette, area: Box, back: bool) -> str:
    body = (
        "M 360 150 L 240 185 L 130 520 L 110 790 L 200 800 L 265 390 L 265 900 L 735 900 "
        "L 735 390 L 800 800 L 890 790 L 870 520 L 760 185 L 640 150 Q 500 250 360 150 Z"
    )
    parts = [
        _path("M 350 175 C 330 35, 670 35, 650 175 Z", p.shade, p.line, 5),
        _path(body, p.fill, p.line, 5),
        _path("M 265 860 L 735 860 M 112 755 L 198 765 M 888 755 L 802 765", "none", p.shade, 5),
    ]
    if back:
        parts.append(_path("M 360 150 Q 500 215 640 150", "none", p.line, 4))
        return "".join(parts)
    parts += [
        _path("M 360 150 Q 500 250 640 150 Q 500 190 360 150 Z", p.line, p.line, 3),
        _path("M 462 215 L 455 335 M 538 215 L 545 335", "none", p.shade, 6),
        _path("M 370 645 L 630 645 L 690 850 L 310 850 Z", "none", p.shade, 6),
    ]
    return "".join(parts)


def _outlined_stroke(d: str, outline: str, outer_width: int, colour: str, width: int) -> str:
    """A strap or handle: the path stroked wide in the outline colour, then narrower over it."""
    return _path(d, "none", outline, outer_width) + _path(d, "none", colour, width)


def _mug(p: Palette, area: Box, back: bool) -> str:
    handle = "M 690 340 C 870 340, 870 640, 690 640"
    return "".join(
        [
            _outlined_stroke(handle, p.line, 62, p.fill, 46),
            _path("M 230 230 L 230 775 C 230 835, 690 835, 690 775 L 690 230 Z", p.fill, p.line, 5),
            f'<ellipse cx="460" cy="230" rx="230" ry="42" fill="{p.shade}" stroke="{p.line}" '
            'stroke-width="5"/>',
            f'<ellipse cx="460" cy="236" rx="205" ry="30" fill="{p.line}" opacity="0.45"/>',
        ]
    )


def _poster(p: Palette, area: Box, back: bool) -> str:
    shadow = Box(area.left + 10, area.top + 14, area.width, area.height)
    return shadow.rect(fill="#000000", opacity=0.18) + area.rect(fill=p.fill)


def _sticker(p: Palette, area: Box, back: bool) -> str:
    cut = area.grown(28)
    shadow = Box(cut.left + 8, cut.top + 12, cut.width, cut.height)
    return shadow.rect(fill="#000000", opacity=0.16, rx=40) + cut.rect(
        fill=p.fill, stroke=p.line, stroke_width=3, rx=40
    )


def _tote(p: Palette, area: Box, back: bool) -> str:
    handles = "M 350 335 C 350 120, 470 120, 470 335 M 530 335 C 530 120, 650 120, 650 335"
    return "".join(
        [
            _outlined_stroke(handles, p.line, 28, p.shade, 18),
            _path("M 215 330 L 785 330 L 805 935 L 195 935 Z", p.fill, p.line, 5),
            _path("M 217 372 L 783 372", "none", p.shade, 5),
        ]
    )


def _card(p: Palette, area: Box, back: bool) -> str:
    return Box(120, 120, 760, 760).rect(fill=p.fill, stroke=p.line, stroke_width=4, rx=24)


TEE_AREAS = {"front": Box(300, 190, 400, 600)}
FAMILIES: tuple[Family, ...] = (
    Family(
        "hoodie",
        r"hood(?:ie|ed)?|zip[- ]?up",
        {"front": Box(330, 270, 340, 350), "back": Box(300, 220, 400, 600)},
        True,
        NEUTRAL,
        _hoodie,
    ),
    Family("tote", r"totes?|bags?", {"front": Box(280, 400, 440, 480)}, True, NATURAL, _tote),
    Family("mug", r"mugs?|cups?|tumblers?", {"front": Box(265, 300, 390, 440)}, False, WHITE, _mug),
    Family(
        "sticker",
        r"stickers?|decals?|magnets?",
        {"front": Box(250, 250, 500, 500)},
        False,
        WHITE,
        _sticker,
    ),
    Family(
        "poster",
        r"posters?|prints?|canvas(?:es)?|wall art",
        {"front": Box(160, 80, 680, 840)},
        False,
        WHITE,
        _poster,
    ),
    Family(
        "tee",
        r"tees?|t-?shirts?|shirts?|tanks?|sweatshirts?|crewnecks?|jerseys?",
        TEE_AREAS,
        True,
        NEUTRAL,
        _tee,
    ),
)
CARD = Family("card", "", {"front": Box(170, 170, 660, 660)}, False, NEUTRAL, _card)
_PATTERNS = [(re.compile(rf"\b(?:{f.keywords})\b", re.IGNORECASE), f) for f in FAMILIES]
BY_NAME = {family.name: family for family in (*FAMILIES, CARD)}


def family_for(blueprint_title: str) -> Family:
    """The family a blueprint's title names (the first in `FAMILIES` order, so "Hooded
    Sweatshirt" is a hoodie), or the neutral print-area card."""
    for pattern, family in _PATTERNS:
        if pattern.search(blueprint_title or ""):
            return family
    return CARD


def svg(family: Family, rgb: RGB, area: Box, position: str, size: int) -> bytes:
    """The product drawn `size` pixels square, with the print area's outline, as an SVG document."""
    palette = Palette.of(rgb)
    outline = ""
    if family.name != "poster":
        outline = area.rect(
            fill="none", stroke=palette.line, stroke_width=2, stroke_dasharray="9 7", opacity=0.5
        )
    body = family.draw(palette, area, position == "back")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="0 0 {VIEW} {VIEW}"><rect width="{VIEW}" height="{VIEW}" fill="{BACKGROUND}"/>'
        f"{body}{outline}</svg>"
    ).encode()
