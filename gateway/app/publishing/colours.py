"""Product colours for mockup previews: the catalog's colour names as RGB.

Printify's catalog names a variant's colour (`options.color`: "Black", "Heather Grey", "True
Royal") but gives no RGB, so the names the big apparel and accessory blanks use (Bella+Canvas,
Gildan, Next Level, AS Colour) are kept here with a representative sRGB value. A name not in the
table is matched by its words: a "Heather" or "Vintage" modifier is dropped and the rest looked up
(a heather is then blended with grey, as heathered yarn looks), then its last word ("Deep Forest"
-> forest); a name still unknown is drawn in `NEUTRAL`, never guessed from its letters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

RGB = tuple[int, int, int]

NEUTRAL: RGB = (0xD9, 0xD9, 0xD6)
HEATHER_GREY: RGB = (0xB5, 0xB5, 0xB5)
HEATHER_MIX = 0.3  # how much grey a heathered colour carries
# Words that qualify a colour without changing its hue.
MODIFIERS = frozenset(
    {"heather", "heathered", "vintage", "solid", "washed", "garment", "dyed", "tri", "triblend"}
)
# The option keys Printify uses for a colour, lower-cased.
COLOUR_OPTION_KEYS = ("color", "colour", "colors", "colours", "frame color")

COLOURS: dict[str, RGB] = {
    "white": (0xFA, 0xFA, 0xF8),
    "black": (0x1E, 0x1E, 0x1F),
    "navy": (0x1F, 0x2A, 0x44),
    "heather grey": HEATHER_GREY,
    "athletic heather": (0xC0, 0xC0, 0xBE),
    "sport grey": (0xA9, 0xAA, 0xAB),
    "dark heather": (0x4A, 0x4C, 0x51),
    "dark grey heather": (0x52, 0x54, 0x58),
    "dark grey": (0x4B, 0x4D, 0x52),
    "grey": (0x8E, 0x90, 0x93),
    "light grey": (0xC8, 0xC9, 0xCB),
    "ash": (0xDC, 0xDC, 0xD8),
    "silver": (0xC4, 0xC6, 0xC8),
    "charcoal": (0x3E, 0x40, 0x45),
    "asphalt": (0x50, 0x52, 0x57),
    "red": (0xC4, 0x1E, 0x2A),
    "cardinal": (0x8A, 0x1C, 0x2B),
    "maroon": (0x5B, 0x1E, 0x2A),
    "burgundy": (0x6A, 0x1F, 0x2E),
    "cherry": (0xB0, 0x1B, 0x3A),
    "berry": (0x9E, 0x2A, 0x5E),
    "pink": (0xF2, 0xA7, 0xC0),
    "light pink": (0xF6, 0xC9, 0xD4),
    "heliconia": (0xE0, 0x3A, 0x8A),
    "orange": (0xE8, 0x6A, 0x1F),
    "coral": (0xF2, 0x7B, 0x6B),
    "peach": (0xF6, 0xC1, 0xA4),
    "gold": (0xF2, 0xB1, 0x2E),
    "yellow": (0xF6, 0xD8, 0x3C),
    "daisy": (0xF7, 0xD9, 0x4C),
    "mustard": (0xD4, 0x9E, 0x2B),
    "sand": (0xD9, 0xC8, 0xA9),
    "natural": (0xEF, 0xE7, 0xD4),
    "cream": (0xF3, 0xEC, 0xD8),
    "soft cream": (0xF0, 0xE6, 0xCF),
    "oatmeal": (0xE3, 0xD8, 0xC2),
    "tan": (0xC8, 0xAD, 0x85),
    "brown": (0x5A, 0x3E, 0x2F),
    "chocolate": (0x45, 0x2E, 0x24),
    "olive": (0x6B, 0x6B, 0x3A),
    "military green": (0x5B, 0x5E, 0x3E),
    "forest": (0x23, 0x4A, 0x34),
    "forest green": (0x23, 0x4A, 0x34),
    "kelly": (0x1E, 0x8C, 0x4E),
    "kelly green": (0x1E, 0x8C, 0x4E),
    "irish green": (0x1F, 0x9A, 0x52),
    "green": (0x2E, 0x8B, 0x57),
    "mint": (0xB8, 0xE6, 0xD0),
    "sage": (0xA9, 0xB8, 0x9A),
    "teal": (0x1F, 0x7A, 0x80),
    "aqua": (0x3F, 0xB5, 0xC4),
    "light blue": (0xA9, 0xC8, 0xE6),
    "baby blue": (0xB5, 0xD3, 0xEC),
    "carolina blue": (0x7B, 0xAF, 0xD9),
    "sky": (0x8E, 0xC3, 0xE6),
    "blue": (0x2C, 0x5A, 0xA0),
    "royal": (0x2A, 0x4B, 0xA8),
    "true royal": (0x23, 0x4B, 0xB0),
    "steel blue": (0x4F, 0x6D, 0x8C),
    "indigo": (0x3B, 0x45, 0x7A),
    "purple": (0x5B, 0x3A, 0x8C),
    "lavender": (0xC9, 0xB8, 0xE0),
    "mauve": (0xB5, 0x8C, 0x98),
}


@dataclass(frozen=True)
class Colour:
    """A variant's colour as the preview draws it; `known` is false for the neutral fallback."""

    name: str
    rgb: RGB
    known: bool

    @property
    def hex(self) -> str:
        return "#{:02x}{:02x}{:02x}".format(*self.rgb)


def _normalised(name: str) -> str:
    words = re.sub(r"[^a-z0-9]+", " ", name.lower().replace("gray", "grey")).split()
    return " ".join(words)


def _blend(colour: RGB, other: RGB, share: float) -> RGB:
    return (
        round(colour[0] * (1 - share) + other[0] * share),
        round(colour[1] * (1 - share) + other[1] * share),
        round(colour[2] * (1 - share) + other[2] * share),
    )


def rgb_of(name: str) -> RGB | None:
    """The RGB of a catalog colour name, or None when neither it nor its words are known.

    A two-colour name ("White / Black", a ringer tee) is drawn in its first, the body colour.
    """
    key = _normalised(name.split("/")[0])
    if key in COLOURS:
        return COLOURS[key]
    words = key.split()
    hue = [word for word in words if word not in MODIFIERS]
    for candidate in (" ".join(hue), hue[-1] if hue else ""):
        if candidate in COLOURS:
            found = COLOURS[candidate]
            heathered = "heather" in words or "heathered" in words
            return _blend(found, HEATHER_GREY, HEATHER_MIX) if heathered else found
    if hue == [] and "heather" in words:
        return HEATHER_GREY
    return None


def option_colour(options: object) -> str | None:
    """The colour name among a catalog variant's `options`, if it has one."""
    if not isinstance(options, Mapping):
        return None
    by_key: dict[str, Any] = {str(key).lower(): value for key, value in options.items()}
    for key in COLOUR_OPTION_KEYS:
        value = by_key.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def colour_named(name: str | None, default: RGB = NEUTRAL) -> Colour:
    """The preview colour of `name`; `default` (unknown) when the name is missing or not known."""
    rgb = rgb_of(name) if name else None
    if rgb is None:
        return Colour(name or "default", default, known=False)
    return Colour(name or "default", rgb, known=True)
