"""Curated palettes, grouped into families that the prompt's colour words select.

Each family holds light and dark members, so the seed can move a batch between them: a
sunset can be a cream retro print, a pink-and-purple one or a dusk-dark one.
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import ImageColor

from gateway.app.generation.backends.local.words import (
    STYLE_PALETTE_WORDS,
    SUBJECT_PALETTE_WORDS,
)


@dataclass(frozen=True)
class Palette:
    """Colours of one design: background, ink for text, a light fill and four accents.

    Painters read the accents as: 0 highlight (sun, stars), 1 main accent, 2 second accent,
    3 deep tone (sea, far shadow).
    """

    name: str
    bg: str
    ink: str
    light: str
    accents: tuple[str, str, str, str]

    @property
    def dark(self) -> bool:
        """True when the background is darker than the ink (light-on-dark prints)."""
        return luminance(self.bg) < luminance(self.ink)


def luminance(colour: str) -> float:
    """Relative brightness 0..255 of a hex colour (Rec. 601 weights)."""
    r, g, b = ImageColor.getrgb(colour)[:3]
    return 0.299 * r + 0.587 * g + 0.114 * b


_PALETTE_TABLE = """
sunset retro-dusk   #FFF4E6 #2B1938 #FFE1BD #FFD23F #FF8C42 #F2545B #5B2A86
sunset warm-dusk    #2B1938 #FFE8CC #3D2352 #FFD23F #FF8C42 #F2545B #7B3F8C
sunset pink-purple  #FDEFF4 #3A1F4F #FFD9E4 #FFC15E #FF7AA2 #C04ABC #4B2B7F
retro retro-cream   #F4EAD5 #2C2A29 #F8DDA4 #F4C04E #EE8434 #D1495B #2A7F8A
retro retro-70s     #FAF0DC #4A2C1D #F3D9A4 #F2B134 #E86A33 #B8432F #3E6B5C
retro retro-teal    #1F3B40 #F4E6C8 #2B5057 #F4C04E #EE8434 #D1495B #2A7F8A
ocean ocean-light   #EEF7F6 #0B2545 #CBEFF0 #FFD166 #2EC4B6 #1B98E0 #0B3C5D
ocean deep-sea      #0B2545 #EEF7F6 #13315C #FFD166 #2EC4B6 #8DA9C4 #1B98E0
ocean aqua-coral    #F7F3EC #1D3557 #D8F0EE #FFB4A2 #E76F51 #2A9D8F #264653
forest forest-cream #F2EFE3 #1B2A1F #DDE8C9 #E9B44C #6A994E #386641 #1B4332
forest moss-dark    #1E2A22 #EDE6D3 #2C3B30 #E9B44C #A7C957 #6A994E #386641
forest sage         #EEF0E5 #2F3E46 #CAD2C5 #F4A261 #84A98C #52796F #354F52
neon synthwave      #0B0221 #F4F1FF #1A0B3B #F9F871 #FF2A6D #05D9E8 #B967FF
neon acid           #050A0E #F0FFF0 #0C1A1F #FFF275 #39FF14 #FF00E5 #00B3FF
neon cyber          #0A0F2C #E8F1FF #121A45 #FFE66D #FF9F1C #00F5FF #7B61FF
pastel pastel-cream #FFFBF5 #4A4E69 #FDE2E4 #FFD6A5 #FFADAD #BDB2FF #8FCFD8
pastel mint-lilac   #F3FBF7 #3D405B #D7F2E6 #FFE5A5 #B8A1E3 #7FD1B9 #6C7FB8
pastel pastel-night #2E3047 #FFF5EC #3E4160 #FFD6A5 #FFADAD #BDB2FF #8FCFD8
monochrome mono     #F7F7F5 #111111 #E4E4E1 #9A9A9A #5E5E5E #2E2E2E #111111
monochrome mono-dark #141414 #F2F2F0 #262626 #D9D9D9 #A3A3A3 #6B6B6B #4A4A4A
monochrome mono-red #F4F1EA #161616 #E2DED5 #B8B8B8 #D62828 #4A4A4A #161616
coffee latte        #F6EEE3 #2E1B12 #EAD7C0 #E6B17E #B5753C #7B4B2A #3E2418
coffee espresso     #2E1B12 #F6EEE3 #3E2418 #E6B17E #D08C4A #A0673A #6B3F24
coffee mocha-mint   #F3EDE4 #3B2A20 #D9E8DF #F2C57C #C7784A #6FA28B #4A3427
desert desert-sand  #FBF1E1 #3A2618 #F5DCB4 #F6C453 #E07A3F #B5452B #7A9E7E
desert terracotta   #F4E4D4 #4A2419 #EBC9A8 #F2B84B #D96C4A #9C3D2E #5D7F6B
desert desert-night #2A1E3A #FBEBD3 #3A2A4E #F6C453 #E07A3F #B5452B #5B3A6E
midnight midnight   #12142B #F3EEDC #23264A #F5D76E #7F7FD5 #4A4E9E #2E3170
midnight cosmic     #1B0F33 #F5E9FF #2A1A4D #FFD166 #EF476F #9B5DE5 #4B2A8C
midnight navy-gold  #F1EDE2 #14213D #DCE3EE #FCA311 #E5B25D #3A5A8C #14213D
candy candy         #FFF7FB #1D1A39 #FFE0EC #FFE156 #FF5D8F #4CC9F0 #3A0CA3
candy bubblegum     #FFE3EE #3B1C32 #FFC2D9 #FFF07C #FF4F9A #7AE7C7 #6A2C70
candy pop-primary   #FFF8E1 #111111 #FFE07A #FFD400 #E63946 #1D4ED8 #111111
autumn autumn       #FBF2E4 #2D1A12 #F7D9B0 #F2A541 #D1603D #8C2F39 #3C1518
autumn pumpkin      #2D1A12 #FBE3C4 #3F2619 #F2A541 #E8743B #A23E48 #6E2A30
autumn rust-olive   #F3EBDD #33261D #E5D3B3 #E9B44C #B5532B #7D8F3A #4E3B2A
"""
FAMILIES: dict[str, tuple[Palette, ...]] = {}
for _row in _PALETTE_TABLE.strip().splitlines():
    _family, _name, _bg, _ink, _light, *_accents = _row.split()
    _palette = Palette(
        _name, _bg, _ink, _light, (_accents[0], _accents[1], _accents[2], _accents[3])
    )
    FAMILIES[_family] = (*FAMILIES.get(_family, ()), _palette)
PALETTES: dict[str, Palette] = {p.name: p for family in FAMILIES.values() for p in family}
_EXCLUSIVE = ("neon", "monochrome")  # these words rule out every other family


def palette_candidates(words: list[str]) -> tuple[Palette, ...]:
    """The palettes the prompt's colour words allow, in a stable order.

    Every family named by a colour word joins in, so "retro sunset" offers both retro and
    sunset palettes; neon and monochrome exclude the rest. With no colour word any family but
    neon may serve (neon means glow, so only when asked).
    """
    styles = [STYLE_PALETTE_WORDS[w] for w in words if w in STYLE_PALETTE_WORDS]
    subjects = [SUBJECT_PALETTE_WORDS[w] for w in words if w in SUBJECT_PALETTE_WORDS]
    exclusive = [name for name in styles if name in _EXCLUSIVE]
    names = exclusive[:1] or list(dict.fromkeys(styles + subjects))
    if not names:
        names = sorted(set(FAMILIES) - {"neon"})
    return tuple(p for name in names for p in FAMILIES[name])
