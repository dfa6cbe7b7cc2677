"""The built-in `local` backend: deterministic poster-style artwork, no GPU, no network.

A fresh install must make real, printable designs before any GPU backend is configured, and
tests and demos need output that is byte-identical on every machine. So this backend composes
typographic and geometric designs (palette, motif, layout and lettering chosen from the prompt's
words and the seed) with Pillow alone, lettering them in Pillow's bundled font rather than a
system font. Edits apply the operations the instruction names (invert, mirror, sepia, border,
caption, ...) to the source image.
"""

from __future__ import annotations

import hashlib
import io
import math
import random
import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache

import PIL
from PIL import (
    Image,
    ImageChops,
    ImageColor,
    ImageDraw,
    ImageEnhance,
    ImageFilter,
    ImageFont,
    ImageOps,
    UnidentifiedImageError,
)

from gateway.app.generation.backends.base import (
    BackendHealth,
    GeneratedImage,
    GenerationCancelled,
    GenerationFailed,
    GenerationOutput,
    GenerationRequest,
    GenerationTimeout,
    JobControl,
)

RENDERER_VERSION = "local-1"  # part of every seed: bump it when designs change on purpose
_MAX_RENDER_PIXELS = 4096 * 4096  # supersampling stops here; bigger outputs are upscaled
_SOURCE_FORMATS = {"PNG", "JPEG", "MPO", "WEBP"}  # MPO: how Pillow names many camera JPEGs

Point = tuple[float, float]
Box = tuple[float, float, float, float]
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@dataclass(frozen=True)
class Palette:
    """Colours of one design: background, ink for text, a light fill and four accents."""

    bg: str
    ink: str
    light: str
    accents: tuple[str, str, str, str]


_PALETTE_TABLE = """
sunset     #FFF4E6 #2B1938 #FFE1BD #FFD23F #FF8C42 #F2545B #5B2A86
retro      #F4EAD5 #2C2A29 #F8DDA4 #F4C04E #EE8434 #D1495B #2A7F8A
ocean      #EEF7F6 #0B2545 #CBEFF0 #FFD166 #2EC4B6 #1B98E0 #0B3C5D
forest     #F2EFE3 #1B2A1F #DDE8C9 #E9B44C #6A994E #386641 #1B4332
neon       #0B0221 #F4F1FF #1A0B3B #F9F871 #FF2A6D #05D9E8 #B967FF
pastel     #FFFBF5 #4A4E69 #FDE2E4 #FFD6A5 #FFADAD #BDB2FF #8FCFD8
monochrome #F7F7F5 #111111 #E4E4E1 #9A9A9A #5E5E5E #2E2E2E #111111
coffee     #F6EEE3 #2E1B12 #EAD7C0 #E6B17E #B5753C #7B4B2A #3E2418
desert     #FBF1E1 #3A2618 #F5DCB4 #F6C453 #E07A3F #B5452B #7A9E7E
midnight   #12142B #F3EEDC #23264A #F5D76E #7F7FD5 #4A4E9E #2E3170
candy      #FFF7FB #1D1A39 #FFE0EC #FFE156 #FF5D8F #4CC9F0 #3A0CA3
autumn     #FBF2E4 #2D1A12 #F7D9B0 #F2A541 #D1603D #8C2F39 #3C1518
"""
PALETTES: dict[str, Palette] = {
    name: Palette(bg, ink, light, (a0, a1, a2, a3))
    for name, bg, ink, light, a0, a1, a2, a3 in (
        row.split() for row in _PALETTE_TABLE.strip().splitlines()
    )
}
_RANDOM_PALETTES = sorted(set(PALETTES) - {"neon"})  # neon means glow, so only when asked


def _lexicon(table: dict[str, str]) -> dict[str, str]:
    """Expand {"value": "word word ..."} into {word: value}."""
    return {word: value for value, words in table.items() for word in words.split()}


_STYLE_PALETTE_WORDS = _lexicon(
    {
        "neon": "neon cyber cyberpunk synthwave vaporwave glow glowing electric rave",
        "pastel": "pastel cute kawaii baby spring",
        "retro": "retro vintage groovy 70s 80s classic",
        "monochrome": "monochrome mono noir grayscale greyscale",
        "candy": "pop comic",
    }
)
_SUBJECT_PALETTE_WORDS = _lexicon(
    {
        "sunset": "sunset sunrise dusk dawn summer tropical",
        "ocean": "ocean sea beach surf surfing wave waves water marine nautical sail island blue",
        "forest": "forest tree trees woods pine jungle nature green leaf camping camp hiking",
        "coffee": "coffee cafe espresso latte mocha chocolate brown bakery tea",
        "desert": "desert cactus western cowboy sand canyon",
        "midnight": "night midnight moon space galaxy stars cosmic astronaut dream",
        "candy": "candy party fun bubblegum pink sweet",
        "autumn": "autumn fall halloween pumpkin harvest cozy tiger fox lion",
    }
)
_MOTIF_WORDS = _lexicon(
    {
        "sun": "sunset sunrise sun sunny summer surf surfing beach tropical synthwave "
        "vaporwave dusk dawn paradise island",
        "mountains": "mountain mountains hike hiking hiker peak peaks alpine outdoor outdoors "
        "adventure explore wilderness trail climb climbing ski",
        "waves": "ocean sea wave waves water sail sailing nautical marine",
        "sunburst": "burst sunburst rays shine celebrate",
        "rings": "target circle circles ring rings orbit hypnotic vinyl record music",
        "truchet": "pattern geometric maze tile tiles abstract mosaic labyrinth",
        "halftone": "halftone dots dotted spots pop comic",
        "stripes": "tiger zebra stripes striped wild beast fierce",
    }
)
_ICON_WORDS = _lexicon(
    {
        "mug": "coffee tea cafe espresso latte mocha cup brew caffeine",
        "heart": "love lover lovers heart valentine romance",
        "star": "star stars galaxy space cosmic night dream astronaut",
        "tree": "forest tree trees pine woods camping camp nature",
        "bolt": "energy power thunder storm lightning rock fast speed",
    }
)
_LINE_WORDS = {"line", "lineart", "outline", "minimal", "minimalist", "linework", "sketch"}
_TYPE_WORDS = {"typography", "typographic", "quote", "lettering", "slogan", "saying", "wordart"}
_PATTERN_WORDS = {"pattern", "tile", "tiles", "geometric", "abstract", "seamless", "mosaic"}
_NO_TEXT_WORDS = {"text", "words", "letters", "lettering", "typography", "writing", "caption"}
_FILLER = {"a", "an", "the", "of", "and", "with", "in", "on", "for", "to", "at", "by"}
_NOT_SUBJECT = (
    {"design", "style", "styled", "vector", "illustration", "logo", "graphic", "art"}
    | {"shirt", "tshirt", "t", "tee", "poster", "print", "sticker", "transparent", "background"}
    | {"flat", "simple", "clean", "bold", "hd", "4k", "8k", "high", "quality", "detailed"}
    | {"typography", "typographic", "lettering", "pattern", "seamless", "text"}
    | set(_STYLE_PALETTE_WORDS)
    | _LINE_WORDS
)
_MOTIFS_UNDER_ICON = ("rings", "sunburst", "halftone")  # calm enough to carry an icon plate


@dataclass(frozen=True)
class Design:
    """Every choice one rendering needs, fixed before any pixel is drawn."""

    palette: Palette
    style: str  # "flat" | "line" | "neon"
    layout: str  # "badge" | "type" | "poster"
    motif: str
    icon: str | None
    headline: tuple[str, ...]
    tagline: str
    transparent: bool
    shadow: bool


def stable_seed(*parts: object) -> int:
    """Derive a 64-bit seed from the parts with SHA-256 (never `hash()`, which is salted)."""
    text = "\x1f".join(str(part) for part in parts)
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def prompt_words(text: str) -> list[str]:
    """Lower-case ASCII words of a prompt (accents folded, other scripts dropped)."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.findall(r"[a-z0-9]+", folded.lower())


def subject_words(words: list[str]) -> list[str]:
    """The prompt's longest run of subject words (style words removed), at most four."""
    runs: list[list[str]] = [[]]
    for word in words:
        if word in _NOT_SUBJECT:
            runs.append([])
        else:
            runs[-1].append(word)

    def trim(run: list[str]) -> list[str]:
        while run and run[0] in _FILLER:
            run = run[1:]
        while run and run[-1] in _FILLER:
            run = run[:-1]
        return run

    return trim(trim(max(runs, key=lambda run: len(trim(run))))[:4])


def _first(words: list[str], lexicon: dict[str, str]) -> str | None:
    return next((lexicon[w] for w in words if w in lexicon), None)


def _stack_lines(words: list[str]) -> tuple[str, ...]:
    """Stack words one per line; a word of three letters or fewer joins the next word."""
    lines: list[str] = []
    prefix = ""
    for i, word in enumerate(words):
        if len(word) <= 3 and i < len(words) - 1:
            prefix = f"{prefix}{word} "
        else:
            lines.append(prefix + word)
            prefix = ""
    return tuple(lines)


def _split_headline(words: list[str], limit: int) -> tuple[str, ...]:
    """One line up to `limit` characters, otherwise two lines of similar length."""
    text = " ".join(words)
    if len(words) < 2 or len(text) <= limit:
        return (text,) if text else ()
    cut = min(
        range(1, len(words)),
        key=lambda k: abs(len(" ".join(words[:k])) - len(" ".join(words[k:]))),
    )
    return (" ".join(words[:cut]), " ".join(words[cut:]))


def plan_design(request: GenerationRequest, seed: int) -> tuple[Design, random.Random]:
    """Choose palette, style, layout, motif and lettering from the prompt's words and the seed.

    Words of the negative prompt are ignored in the prompt; a negative "text" drops the
    lettering and a negative "background" makes the background transparent.
    """
    parts = (request.prompt, request.negative_prompt, request.steps, request.guidance)
    rng = random.Random(stable_seed(RENDERER_VERSION, *parts, request.sampler, seed))
    banned = set(prompt_words(request.negative_prompt))
    words = [w for w in prompt_words(request.prompt) if w not in banned]
    present = set(words)

    palette_name = _first(words, _STYLE_PALETTE_WORDS) or _first(words, _SUBJECT_PALETTE_WORDS)
    palette = PALETTES[palette_name or rng.choice(_RANDOM_PALETTES)]
    style = "neon" if palette_name == "neon" else "line" if present & _LINE_WORDS else "flat"

    keyword_motif = _first(words, _MOTIF_WORDS)
    icon = _first(words, _ICON_WORDS)
    if present & _TYPE_WORDS:
        layout = "type"
    elif present & _PATTERN_WORDS:
        layout = "poster"
    elif keyword_motif:
        layout = "badge"
    else:
        layout = rng.choices(["badge", "type", "poster"], weights=[5, 3 if icon else 1, 2])[0]
    if keyword_motif:
        motif = keyword_motif
        icon = None if layout == "badge" else icon
    elif layout == "poster":
        motif = rng.choice(["truchet", "halftone", "sunburst", "rings", "stripes"])
    else:
        motif = rng.choice(_MOTIFS_UNDER_ICON if icon else sorted(set(_MOTIF_WORDS.values())))

    subject = [] if banned & _NO_TEXT_WORDS else [w.upper() for w in subject_words(words)]
    limit = 8 if layout == "poster" else 12
    if layout == "type" and subject:
        headline, tagline = _stack_lines(subject), ""
    elif len(subject) >= 3 and len(subject[0]) >= 4:
        headline, tagline = _split_headline(subject[1:], limit), subject[0]
    else:
        headline, tagline = _split_headline(subject, limit), ""
    design = Design(
        palette=palette,
        style=style,
        layout="badge" if layout == "type" and not subject else layout,
        motif=motif,
        icon=icon,
        headline=headline,
        tagline=tagline,
        transparent="transparent" in present or "background" in banned,
        shadow=style == "flat" and rng.random() < 0.6,
    )
    return design, rng


# --- Motifs: each fills or strokes a box; lw == 0 means filled shapes, lw > 0 line art. ---

MotifPainter = Callable[[ImageDraw.ImageDraw, Box, Palette, random.Random, int], None]


def _measure(box: Box) -> tuple[float, float, float, float, float]:
    """Centre x, centre y, width, height and shorter side of a box."""
    x0, y0, x1, y1 = box
    return (x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0, min(x1 - x0, y1 - y0)


def _disc(cx: float, cy: float, r: float) -> Box:
    return (cx - r, cy - r, cx + r, cy + r)


def _paint_sun(
    draw: ImageDraw.ImageDraw, box: Box, pal: Palette, rng: random.Random, lw: int
) -> None:
    """A banded retro sun with widening gaps, setting over a sea with reflections."""
    x0, y0, x1, y1 = box
    cx, _, _, h, s = _measure(box)
    horizon, r = y0 + h * 0.66, s * 0.34
    sy = horizon - r * rng.uniform(0.15, 0.35)
    gaps = rng.randint(4, 6)
    gap_top = sy - r * 0.1
    step = (horizon - gap_top) / gaps
    if lw:
        draw.arc(_disc(cx, sy, r), 180, 360, fill=pal.accents[0], width=lw)
        for k in range(gaps):
            y = gap_top + step * (k + 0.5)
            half = math.sqrt(max(0.0, r * r - (y - sy) ** 2))
            draw.line((cx - half, y, cx + half, y), fill=pal.accents[0], width=lw)
        draw.line((x0, horizon, x1, horizon), fill=pal.accents[1], width=lw)
    else:
        draw.rectangle(box, fill=pal.light)
        draw.ellipse(_disc(cx, sy, r), fill=pal.accents[2])
        for colour, depth in ((pal.accents[1], 0.55), (pal.accents[0], 0.2)):
            a = math.degrees(math.asin(1 - 2 * depth))  # chord above `depth` of the diameter
            draw.chord(_disc(cx, sy, r), 180 + a, 360 - a, fill=colour)
        for k in range(gaps):
            y, t = gap_top + step * (k + 0.5), step * (0.12 + 0.55 * k / gaps)
            draw.rectangle((cx - r - 2, y - t / 2, cx + r + 2, y + t / 2), fill=pal.light)
        draw.rectangle((x0, horizon, x1, y1), fill=pal.accents[3])
    row_h = (y1 - horizon) / 5
    for k in range(4):
        y, half = horizon + row_h * (k + 0.8), r * (0.85 - 0.17 * k)
        colour = pal.accents[1] if lw else pal.accents[k % 2]
        draw.line((cx - half, y, cx + half, y), fill=colour, width=lw or round(row_h * 0.32))


def _ridge(rng: random.Random, box: Box, base: float, amp: float, peaks: int) -> list[Point]:
    """A mountain ridge line: alternating peaks and saddles across the box (and a bit beyond)."""
    x0, _, x1, _ = box
    pad, n = (x1 - x0) * 0.05, peaks * 2
    points = [(x0 - pad, base - amp * rng.uniform(0.1, 0.4))]
    for k in range(1, n):
        x = x0 + (x1 - x0) * (k + rng.uniform(-0.25, 0.25)) / n
        lift = rng.uniform(0.65, 1.0) if k % 2 else rng.uniform(0.1, 0.35)
        points.append((x, base - amp * lift))
    return [*points, (x1 + pad, base - amp * rng.uniform(0.1, 0.4))]


def _lerp(p: Point, q: Point, t: float) -> Point:
    return p[0] + (q[0] - p[0]) * t, p[1] + (q[1] - p[1]) * t


def _paint_mountains(
    draw: ImageDraw.ImageDraw, box: Box, pal: Palette, rng: random.Random, lw: int
) -> None:
    """Layered mountain ranges, snow caps on the far range, and a low sun."""
    x0, y0, x1, y1 = box
    _, _, w, h, s = _measure(box)
    if not lw:
        draw.rectangle(box, fill=pal.light)
    sun = _disc(x0 + w * rng.uniform(0.3, 0.7), y0 + h * 0.34, s * 0.13)
    draw.ellipse(sun, fill=None if lw else pal.accents[0], outline=pal.accents[0], width=lw)
    snow = max((pal.bg, pal.ink), key=lambda c: sum(ImageColor.getrgb(c)))
    colours = [pal.accents[1]] * 2 if lw else [pal.accents[1], pal.accents[2], pal.ink]
    for k, colour in enumerate(colours):
        ridge = _ridge(
            rng, box, y0 + h * (0.74 + 0.09 * k), h * (0.44 - 0.11 * k), rng.randint(2, 3)
        )
        body = [*ridge, (x1 + w, y1 + h), (x0 - w, y1 + h)]
        draw.polygon(body, fill=(0, 0, 0, 0) if lw else colour)  # line art: hide what is behind
        if lw:
            draw.line(ridge, fill=colour, width=lw, joint="curve")
        elif k == 0:
            for i in range(1, len(ridge) - 1, 2):
                peak = ridge[i]
                a, b = _lerp(peak, ridge[i - 1], 0.3), _lerp(peak, ridge[i + 1], 0.3)
                mid = ((a[0] + b[0]) / 2, max(a[1], b[1]) - (b[0] - a[0]) * 0.08)
                cap = [a, peak, b, _lerp(b, mid, 0.5), _lerp(a, b, 0.55), mid, _lerp(a, mid, 0.5)]
                draw.polygon(cap, fill=snow)


def _paint_waves(
    draw: ImageDraw.ImageDraw, box: Box, pal: Palette, rng: random.Random, lw: int
) -> None:
    """Rolling bands of sea under a small sun."""
    x0, y0, x1, y1 = box
    _, _, w, h, s = _measure(box)
    if not lw:
        draw.rectangle(box, fill=pal.light)
    sun = _disc(x0 + w * rng.uniform(0.35, 0.65), y0 + h * 0.3, s * 0.12)
    draw.ellipse(sun, fill=None if lw else pal.accents[0], outline=pal.accents[0], width=lw)
    cycles = rng.uniform(1.3, 2.2)
    colours = [pal.accents[1], pal.accents[2], pal.accents[3], pal.ink]
    for k in range(rng.randint(4, 5)):
        base, phase = y0 + h * (0.48 + 0.11 * k), rng.uniform(0, 2 * math.pi)
        crest = [
            (x, base + h * 0.035 * math.sin(2 * math.pi * cycles * (x - x0) / w + phase))
            for x in (x0 + w * i / 71 for i in range(72))
        ]
        if lw:
            draw.line(crest, fill=pal.accents[1 + k % 3], width=lw, joint="curve")
        else:
            draw.polygon([*crest, (x1, y1), (x0, y1)], fill=colours[k % 4])


def _paint_sunburst(
    draw: ImageDraw.ImageDraw, box: Box, pal: Palette, rng: random.Random, lw: int
) -> None:
    """Alternating rays from the centre around a ringed disc."""
    cx, cy, w, h, s = _measure(box)
    rays, reach, inner = rng.choice([16, 20, 24, 28]), math.hypot(w, h), s * 0.2
    if not lw:
        draw.rectangle(box, fill=pal.light)
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
        draw.ellipse(_disc(cx, cy, inner), outline=pal.accents[0], width=lw)
    else:
        draw.ellipse(_disc(cx, cy, inner), fill=pal.accents[2])
        draw.ellipse(_disc(cx, cy, inner * 0.72), fill=pal.accents[1])


def _paint_rings(
    draw: ImageDraw.ImageDraw, box: Box, pal: Palette, rng: random.Random, lw: int
) -> None:
    """Concentric rings, sometimes rising from below the centre."""
    cx, cy, w, h, _ = _measure(box)
    cy += h * rng.choice([0.0, 0.0, 0.35])
    count, outer = rng.randint(6, 9), math.hypot(w, h) * 0.55
    colours = [pal.accents[3], pal.accents[2], pal.accents[1], pal.accents[0], pal.light]
    for k in range(count):
        ring = _disc(cx, cy, outer * (1 - k / count))
        if lw:
            draw.ellipse(ring, outline=pal.accents[k % 3], width=lw)
        else:
            draw.ellipse(ring, fill=colours[k % len(colours)])


def _paint_truchet(
    draw: ImageDraw.ImageDraw, box: Box, pal: Palette, rng: random.Random, lw: int
) -> None:
    """Smith-style Truchet tiles: quarter arcs that join into meandering paths."""
    x0, y0, _, _ = box
    _, _, w, h, s = _measure(box)
    cell = s / rng.randint(5, 9)
    band = lw or max(1, round(cell * 0.3))
    r = cell / 2 + band / 2
    if not lw:
        draw.rectangle(box, fill=pal.accents[3])
    colour = pal.accents[1] if lw else pal.accents[0]
    for j in range(math.ceil(h / cell)):
        for i in range(math.ceil(w / cell)):
            x, y = x0 + i * cell, y0 + j * cell
            if rng.random() < 0.5:
                arcs = (((x, y), 0, 90), ((x + cell, y + cell), 180, 270))
            else:
                arcs = (((x + cell, y), 90, 180), ((x, y + cell), 270, 360))
            for (ax, ay), start, end in arcs:
                draw.arc(_disc(ax, ay, r), start, end, fill=colour, width=band)


def _paint_halftone(
    draw: ImageDraw.ImageDraw, box: Box, pal: Palette, rng: random.Random, lw: int
) -> None:
    """A halftone dot field that swells towards a focal point."""
    x0, y0, _, _ = box
    _, _, w, h, s = _measure(box)
    if not lw:
        draw.rectangle(box, fill=pal.light)
    step = s / rng.randint(16, 24)
    fx, fy = x0 + w * rng.uniform(0.2, 0.8), y0 + h * rng.uniform(0.2, 0.8)
    span = math.hypot(w, h) * 0.75
    colour = pal.accents[1] if lw else pal.accents[2]
    for j in range(math.ceil(h / (step * 0.87)) + 1):
        for i in range(math.ceil(w / step) + 1):
            x, y = x0 + (i + (j % 2) * 0.5) * step, y0 + j * step * 0.87
            r = step * 0.52 * max(0.0, 1 - math.hypot(x - fx, y - fy) / span)
            if r > step * 0.04:
                draw.ellipse(_disc(x, y, r), fill=colour)


def _paint_stripes(
    draw: ImageDraw.ImageDraw, box: Box, pal: Palette, rng: random.Random, lw: int
) -> None:
    """Tapered, wavering tiger stripes reaching in from both sides."""
    x0, y0, x1, _ = box
    _, _, w, h, _ = _measure(box)
    if not lw:
        draw.rectangle(box, fill=pal.accents[1])
    count = rng.randint(5, 7)
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
            draw.polygon(shape, fill=pal.accents[1 + k % 3] if lw else pal.ink)


MOTIFS: dict[str, MotifPainter] = {
    "sun": _paint_sun,
    "mountains": _paint_mountains,
    "waves": _paint_waves,
    "sunburst": _paint_sunburst,
    "rings": _paint_rings,
    "truchet": _paint_truchet,
    "halftone": _paint_halftone,
    "stripes": _paint_stripes,
}


# --- Icons and lettering. ---


def _star(cx: float, cy: float, r: float) -> list[Point]:
    radii = [r if i % 2 == 0 else r * 0.42 for i in range(10)]
    return [
        (cx + q * math.sin(math.pi * i / 5), cy - q * math.cos(math.pi * i / 5))
        for i, q in enumerate(radii)
    ]


_BOLT: list[Point] = [(0.1, -0.5), (-0.26, 0.08), (-0.02, 0.08), (-0.12, 0.5), (0.28, -0.1)]
_MUG: list[Point] = [(-0.36, -0.12), (0.2, -0.12), (0.2, 0.5), (-0.36, 0.5)]
_MUG_HANDLE: list[Point] = [
    (0.2 + 0.16 * math.sin(math.pi * i / 16), 0.19 - 0.15 * math.cos(math.pi * i / 16))
    for i in range(17)
]
_HEART: list[Point] = [
    (
        math.sin(t) ** 3 / 2,  # the classic heart curve, scaled to a unit box
        (math.cos(4 * t) + 2 * math.cos(3 * t) + 5 * math.cos(2 * t) - 13 * math.cos(t) - 2.5) / 32,
    )
    for t in (2 * math.pi * i / 72 for i in range(72))
]


def _icon_shapes(name: str, cx: float, cy: float, s: float) -> list[list[Point]]:
    """Closed outlines of an icon of height `s` centred on (cx, cy)."""

    def unit(points: list[Point]) -> list[Point]:
        return [(cx + x * s, cy + y * s) for x, y in points]

    if name == "star":
        return [_star(cx, cy, s * 0.55)]
    if name == "tree":
        tiers = [[(0, -0.5 + 0.22 * k), (0.22 + 0.08 * k, -0.2 + 0.22 * k)] for k in range(3)]
        shapes = [unit([top, base, (-base[0], base[1])]) for top, base in tiers]
        return [*shapes, unit([(-0.05, 0.24), (0.05, 0.24), (0.05, 0.5), (-0.05, 0.5)])]
    if name == "bolt":
        return [unit([*_BOLT, (0.04, -0.1)])]
    return [unit(_HEART)] if name == "heart" else [unit(_MUG), unit(_MUG_HANDLE)]


def _paint_icon(
    draw: ImageDraw.ImageDraw, name: str, cx: float, cy: float, s: float, fill: str, lw: int
) -> None:
    """Draw an icon filled, or outlined when `lw` > 0; the mug gets a handle and steam."""
    width = lw or max(1, round(s * 0.07))
    for i, shape in enumerate(_icon_shapes(name, cx, cy, s)):
        if name == "mug" and i == 1:
            draw.line(shape, fill=fill, width=width, joint="curve")
        elif lw:
            draw.line([*shape, shape[0]], fill=fill, width=width, joint="curve")
        else:
            draw.polygon(shape, fill=fill)
    if name == "mug":
        for k in (-1, 0, 1):
            x = cx - s * 0.08 + k * s * 0.14
            steam = [
                (x + s * 0.04 * math.sin(i * math.pi / 4), cy - s * (0.2 + 0.035 * i))
                for i in range(9)
            ]
            draw.line(steam, fill=fill, width=max(1, round(width * 0.7)), joint="curve")


@lru_cache(maxsize=128)
def _font(size: int) -> Font:
    """Pillow's bundled scalable font: identical glyphs on every machine."""
    return ImageFont.load_default(size=size)


def _stroke(size: int) -> int:
    """A stroke that turns the bundled regular face into a poster-weight one."""
    return max(1, round(size * 0.035))


def _ink_box(text: str, size: int) -> tuple[float, float, float, float]:
    return _font(size).getbbox(text, stroke_width=_stroke(size), anchor="ls")


def _fit_font(text: str, max_w: float, max_h: float) -> int:
    """The largest font size whose ink box of `text` fits max_w x max_h."""
    left, top, right, bottom = _ink_box(text, 200)
    size = max(6, int(200 * min(max_w / max(1, right - left), max_h / max(1, bottom - top))))
    while size > 6:
        left, top, right, bottom = _ink_box(text, size)
        if right - left <= max_w and bottom - top <= max_h:
            break
        size = int(size * 0.96)
    return size


def _text_height(text: str, size: int) -> float:
    _, top, _, bottom = _ink_box(text, size)
    return bottom - top


def _draw_text(
    draw: ImageDraw.ImageDraw,
    text: str,
    xy: Point,
    size: int,
    fill: str,
    shadow: str | None = None,
) -> float:
    """Draw `text` in poster weight, centred on x with its ink top at y; return its height."""
    left, top, right, bottom = _ink_box(text, size)
    x, y = xy[0] - (left + right) / 2, xy[1] - top
    font, stroke = _font(size), _stroke(size)
    for offset, colour in ((max(1.0, (bottom - top) * 0.05), shadow), (0.0, fill)):
        if colour:
            draw.text(
                (x + offset, y + offset),
                text,
                font=font,
                fill=colour,
                anchor="ls",
                stroke_width=stroke,
                stroke_fill=colour,
            )
    return bottom - top


def _draw_tagline(
    draw: ImageDraw.ImageDraw, text: str, xy: Point, cap: float, fill: str, lw: int
) -> None:
    """Small letter-spaced capitals of cap height `cap` between two short rules."""
    size = max(6, round(cap / 0.72))
    font, tracking = _font(size), size * 0.35
    width = sum(font.getlength(ch) for ch in text) + tracking * (len(text) - 1)
    x, top = xy[0] - width / 2, xy[1]
    for ch in text:
        draw.text((x, top + cap), ch, font=font, fill=fill, anchor="ls")
        x += font.getlength(ch) + tracking
    for sign in (-1, 1):
        near = xy[0] + sign * (width / 2 + cap * 0.8)
        rule = (near, top + cap / 2, near + sign * cap * 2.2, top + cap / 2)
        draw.line(rule, fill=fill, width=max(1, lw))


# --- Layouts: compose motif, ring, icon and lettering on the supersampled canvas. ---


def _line_width(design: Design, m: float) -> int:
    return max(1, round(m * (0.008 if design.style == "line" else 0.011)))


def _text_colours(design: Design) -> tuple[str, str, str | None]:
    """Headline colour, colour of rules, rings and taglines, and the headline's shadow."""
    pal = design.palette
    if design.style == "neon":
        return pal.accents[1], pal.accents[2], None
    return pal.ink, pal.ink, pal.accents[1] if design.shadow else None


def _paint_clipped(
    canvas: Image.Image,
    design: Design,
    rng: random.Random,
    box: tuple[int, int, int, int],
    round_clip: bool,
) -> None:
    """Paint the motif into `box`, clipped to a circle or to a rounded rectangle."""
    x0, y0, x1, y1 = box
    size = (max(1, x1 - x0), max(1, y1 - y0))
    pal = design.palette
    lw = 0 if design.style == "flat" else _line_width(design, min(canvas.size))
    if design.style == "line":
        pal = replace(pal, accents=(pal.accents[1], pal.ink, pal.ink, pal.ink))
    layer = Image.new("RGBA", size, (0, 0, 0, 0))
    MOTIFS[design.motif](ImageDraw.Draw(layer), (0, 0, size[0], size[1]), pal, rng, lw)
    mask = Image.new("L", size, 0)
    if round_clip:
        ImageDraw.Draw(mask).ellipse((0, 0, size[0] - 1, size[1] - 1), fill=255)
    else:
        corner = round(min(size) * 0.04)
        ImageDraw.Draw(mask).rounded_rectangle((0, 0, size[0] - 1, size[1] - 1), corner, fill=255)
    layer.putalpha(ImageChops.multiply(layer.getchannel("A"), mask))
    canvas.alpha_composite(layer, (x0, y0))


def _layout_badge(canvas: Image.Image, design: Design, rng: random.Random) -> None:
    """A round emblem in a double ring, then a tagline and the headline beneath it."""
    width, height = canvas.size
    m = min(width, height)
    draw = ImageDraw.Draw(canvas)
    head_colour, line_colour, shadow = _text_colours(design)
    lw, gap, pad = _line_width(design, m), 0.045 * m, 0.05 * m
    per_line = 0.14 * m if len(design.headline) == 1 else 0.1 * m
    heads = [(line, _fit_font(line, 0.8 * width, per_line)) for line in design.headline]
    head_h = sum(_text_height(*h) for h in heads) + gap * 0.5 * max(0, len(heads) - 1)
    tag_cap = 0.034 * m if design.tagline else 0.0
    text_h = (gap + head_h if heads else 0.0) + (gap * 0.8 + tag_cap if design.tagline else 0.0)
    radius = max(0.1 * m, min(0.31 * m, (0.88 * height - text_h) / 2 - pad))
    top = (height - 2 * (radius + pad) - text_h) / 2
    cx, cy = width / 2, top + pad + radius
    box = (round(cx - radius), round(cy - radius), round(cx + radius), round(cy + radius))
    _paint_clipped(canvas, design, rng, box, round_clip=True)
    if design.icon:
        plate = _disc(cx, cy, radius * 0.46)
        fill = design.palette.bg if design.style == "flat" else None
        draw.ellipse(plate, fill=fill, outline=line_colour, width=lw)
        icon_lw = 0 if design.style == "flat" else lw
        _paint_icon(draw, design.icon, cx, cy, radius * 0.5, head_colour, icon_lw)
    draw.ellipse(box, outline=line_colour, width=lw)
    outer = radius + pad * 0.55
    draw.ellipse(_disc(cx, cy, outer), outline=line_colour, width=round(lw * 1.6))
    if rng.random() < 0.5:
        for sign in (-1, 1):
            draw.polygon(_star(cx + sign * (outer + pad * 0.9), cy, pad * 0.45), fill=line_colour)
    y = top + 2 * (radius + pad)
    if design.tagline:
        _draw_tagline(draw, design.tagline, (cx, y + gap * 0.8), tag_cap, line_colour, lw)
        y += gap * 0.8 + tag_cap
    for i, (line, size) in enumerate(heads):
        y += gap if i == 0 else gap * 0.5
        y += _draw_text(draw, line, (cx, y), size, head_colour, shadow)


def _layout_type(canvas: Image.Image, design: Design, rng: random.Random) -> None:
    """Stacked words set to one width, under an icon and over a starred rule."""
    width, height = canvas.size
    m = min(width, height)
    draw = ImageDraw.Draw(canvas)
    pal = design.palette
    head_colour, line_colour, shadow = _text_colours(design)
    second_colour = pal.accents[1] if design.style == "line" else pal.accents[2]
    lw, gap, deco = _line_width(design, m), 0.03 * m, 0.04 * m
    icon_s = 0.17 * m if design.icon else 0.0
    budget = min(0.2 * m, (0.66 * height - icon_s) / len(design.headline))
    lines = [(line, _fit_font(line, 0.78 * width, budget)) for line in design.headline]
    text_h = sum(_text_height(*line) for line in lines) + gap * (len(lines) + 1)
    total = icon_s + (gap * 1.5 if icon_s else 0) + text_h + deco
    cx, y = width / 2, (height - total) / 2
    if rng.random() < 0.6:
        backdrop = _disc(cx, height / 2, min(0.47 * m, total * 0.62))
        if design.style == "flat":
            draw.ellipse(backdrop, fill=pal.light)
        else:
            draw.ellipse(backdrop, outline=line_colour, width=lw)
    if design.icon:
        icon_lw = 0 if design.style == "flat" else lw
        _paint_icon(draw, design.icon, cx, y + icon_s / 2, icon_s, second_colour, icon_lw)
        y += icon_s + gap * 1.5
    for i, (line, size) in enumerate(lines):
        colour, under = (head_colour, shadow) if i % 2 == 0 else (second_colour, None)
        y += _draw_text(draw, line, (cx, y), size, colour, under) + gap
    y += gap + deco / 2
    for k in (-1, 0, 1):
        draw.polygon(_star(cx + k * deco * 1.4, y, deco / 2), fill=line_colour)
    for sign in (-1, 1):
        near = cx + sign * deco * 2.6
        draw.line((near, y, near + sign * m * 0.16, y), fill=line_colour, width=lw)


def _layout_poster(canvas: Image.Image, design: Design, rng: random.Random) -> None:
    """A full-bleed motif panel with the lettering on a round plate in the middle."""
    width, height = canvas.size
    m = min(width, height)
    draw = ImageDraw.Draw(canvas)
    head_colour, line_colour, shadow = _text_colours(design)
    lw, inset = _line_width(design, m), round(0.05 * m)
    _paint_clipped(canvas, design, rng, (inset, inset, width - inset, height - inset), False)
    if not design.headline:
        return
    cx, cy, r = width / 2, height / 2, 0.27 * m
    draw.ellipse(_disc(cx, cy, r), fill=design.palette.bg, outline=line_colour, width=lw * 2)
    per_line = 0.15 * m if len(design.headline) == 1 else 0.1 * m
    heads = [(line, _fit_font(line, 1.5 * r, per_line)) for line in design.headline]
    gap, tag_cap = 0.025 * m, 0.024 * m if design.tagline else 0.0
    total = sum(_text_height(*h) for h in heads) + gap * (len(heads) - 1)
    y = cy - (total + (tag_cap + gap * 1.5 if design.tagline else 0.0)) / 2
    if design.tagline:
        _draw_tagline(draw, design.tagline, (cx, y), tag_cap, line_colour, lw)
        y += tag_cap + gap * 1.5
    for line, size in heads:
        y += _draw_text(draw, line, (cx, y), size, head_colour, shadow) + gap


LAYOUTS: dict[str, Callable[[Image.Image, Design, random.Random], None]] = {
    "badge": _layout_badge,
    "type": _layout_type,
    "poster": _layout_poster,
}


def _paint_neon(canvas: Image.Image, fg: Image.Image) -> None:
    """Lay `fg` on the canvas over a soft halo of itself (blurred at quarter size for speed)."""
    quarter = (max(1, fg.width // 4), max(1, fg.height // 4))
    halo = fg.convert("RGBa").resize(quarter, Image.Resampling.BOX)
    halo = halo.filter(ImageFilter.GaussianBlur(min(fg.size) * 0.006))
    halo = halo.resize(fg.size, Image.Resampling.BILINEAR).convert("RGBA")
    twice = [round(255 * (1 - (1 - v / 255) ** 2)) for v in range(256)]  # as if laid twice
    halo.putalpha(halo.getchannel("A").point(twice))
    canvas.alpha_composite(halo)
    canvas.alpha_composite(fg)


def render_design(request: GenerationRequest, seed: int) -> Image.Image:
    """Render the request's design for one seed at the requested size (RGB, or RGBA)."""
    design, rng = plan_design(request, seed)
    width, height = request.width, request.height
    scale = min(2.0, math.sqrt(_MAX_RENDER_PIXELS / (width * height)))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    background = (0, 0, 0, 0) if design.transparent else ImageColor.getrgb(design.palette.bg)
    canvas = Image.new("RGBA", size, background)
    if design.style == "neon":
        fg = Image.new("RGBA", size, (0, 0, 0, 0))
        LAYOUTS[design.layout](fg, design, rng)
        _paint_neon(canvas, fg)
    else:
        LAYOUTS[design.layout](canvas, design, rng)
    if not design.transparent:
        canvas = canvas.convert("RGB")
    if size == (width * 2, height * 2):
        return canvas.reduce(2)  # 2x2 box average: plain supersampling anti-aliasing
    if size != (width, height):
        return canvas.resize((width, height), Image.Resampling.LANCZOS)
    return canvas


# --- Edit mode: find the operations the instruction names and apply them in order. ---

_NAMED_COLOURS = dict(
    re.findall(
        r"(\w+)=(#\w+)",
        "black=#111111 white=#FFFFFF red=#D7263D blue=#1B4F9C green=#2D6A4F gold=#C9A227 "
        "golden=#C9A227 yellow=#F4C430 orange=#EE8434 pink=#FF5D8F purple=#6A4C93 "
        "grey=#808080 gray=#808080 brown=#6F4E37 silver=#BFC1C2",
    )
)
_QUOTED = "\"[^\"]+\"|'[^']+'|\u201c[^\u201d]+\u201d|\u2018[^\u2019]+\u2019"
_BARE = r"[^\s,;.!?\"'](?:(?!\s+(?:and\s+)?then\b|\s+and\s+(?:add|make|apply)\b)[^,;.!?])*"
_EDIT_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in [
        (
            "caption",
            r"\b(?:text|caption|title|slogan|words?)\b\s*(?:[:\-]|saying|that says|reading)?\s*"
            rf"(?:(?P<quoted>{_QUOTED})|(?P<bare>{_BARE}))",
        ),
        ("border", r"\b(?:(?P<c1>[a-z]+)\s+)?(?:border|frame|framed)\b(?:\s+in\s+(?P<c2>[a-z]+))?"),
        ("flip", r"\bflip(?:ped)?\s+(?:it\s+)?vertical(?:ly)?\b|\bvertical(?:ly)?\s+flip|\bupside"),
        ("mirror", r"\bmirror(?:ed)?\b|\bflip(?:ped)?\b(?:\s+(?:it\s+)?horizontal(?:ly)?)?"),
        (
            "rotate",
            r"\brotat(?:e|ed|ion)\b(?:(?:\s+(?:it|the image|by))*\s+(?P<deg>\d{1,3})\s*"
            r"(?:°|deg\w*)?)?(?:\s*(?:to the\s+)?(?P<dir>left|right|counter[\s-]?clockwise"
            r"|anti[\s-]?clockwise|clockwise|ccw|cw)\b)?",
        ),
        (
            "grayscale",
            r"\bgr[ae]y\s?scale\b|\bblack\s*(?:and|&)\s*white\b|\bb\s*&\s*w\b|\bgr[ae]y\b",
        ),
        ("sepia", r"\bsepia\b|\bvintage\b|\bantique\b|\bold[\s-]fashioned\b"),
        ("warm", r"\bwarm(?:er|th)?\b|\bgolden\b"),
        ("cool", r"\bcool(?:er)?\b|\bcold(?:er)?\b|\bblue(?:r)?\b|\bicy\b"),
        ("posterize", r"\bposteri[sz]\w*|\b(?P<pop>pop[\s-]?art|comic)\b"),
        ("blur", r"\bblur\w*|\bsoft(?:en|er)?\b|\bdreamy\b|\bout of focus\b"),
        ("sharpen", r"\bsharp\w*|\bcrisp\w*"),
        ("brighter", r"\bbright(?:en|er)?\b|\blight(?:en|er)\b"),
        ("darker", r"\bdark(?:en|er)\b|\bdim(?:mer)?\b|\bmoody\b"),
        (
            "contrast",
            r"\b(?:(?P<dir>more|higher|high|increased?|boost(?:ed)?|less|lower|low|reduced?"
            r"|decreased?)\s+(?:the\s+)?)?contrast(?:y)?\b",
        ),
        ("muted", r"\bdesaturat\w*|\bmuted\b|\bfaded\b|\bwashed[\s-]out\b"),
        ("vivid", r"\bsaturat\w*|\bvivid\b|\bvibrant\b|\bcolou?rful\b|\bpunchy\b"),
        ("invert", r"\binvert\w*|\bnegative\b"),
        ("pixelate", r"\bpixel\w*|\b8[\s-]?bit\b"),
    ]
]


def _gain(rgb: Image.Image, gains: tuple[float, float, float]) -> Image.Image:
    """Scale each colour channel: a white-balance shift."""
    bands = [
        band.point([min(255, round(v * g)) for v in range(256)])
        for band, g in zip(rgb.split(), gains, strict=True)
    ]
    return Image.merge("RGB", bands)


_COLOUR_OPS: dict[str, Callable[[Image.Image], Image.Image]] = {
    "grayscale": lambda rgb: ImageOps.grayscale(rgb).convert("RGB"),
    "sepia": lambda rgb: ImageOps.colorize(
        ImageOps.grayscale(rgb), "#2B1D0E", "#FFF1D6", mid="#A47A4F"
    ),
    "warm": lambda rgb: _gain(rgb, (1.08, 1.0, 0.86)),
    "cool": lambda rgb: _gain(rgb, (0.88, 1.0, 1.1)),
    "sharpen": lambda rgb: rgb.filter(ImageFilter.UnsharpMask(2, 160, 2)),
    "brighter": lambda rgb: ImageEnhance.Brightness(rgb).enhance(1.25),
    "darker": lambda rgb: ImageEnhance.Brightness(rgb).enhance(0.75),
    "muted": lambda rgb: ImageEnhance.Color(rgb).enhance(0.45),
    "vivid": lambda rgb: ImageEnhance.Color(rgb).enhance(1.6),
    "invert": ImageOps.invert,
}


def _on_rgb(image: Image.Image, fn: Callable[[Image.Image], Image.Image]) -> Image.Image:
    """Apply a colour operation to the RGB channels, keeping any alpha channel as it is."""
    if image.mode != "RGBA":
        return fn(image)
    out = fn(image.convert("RGB")).convert("RGBA")
    out.putalpha(image.getchannel("A"))
    return out


def _rotate(image: Image.Image, match: re.Match[str]) -> Image.Image:
    """Rotate clockwise by the named degrees (default 90); 'left' turns counter-clockwise."""
    degrees = int(match.group("deg") or 90)
    counter = (match.group("dir") or "").lower().startswith(("left", "counter", "anti", "ccw"))
    angle = (degrees if counter else -degrees) % 360
    if angle in (90, 180, 270):
        return image.transpose(Image.Transpose(angle // 90 + 1))  # ROTATE_90/180/270
    fill = (0, 0, 0, 0) if image.mode == "RGBA" else (255, 255, 255)
    return image.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=fill)


def _border(image: Image.Image, match: re.Match[str], rng: random.Random) -> Image.Image:
    """A frame inside the edges: a band in the named (or a seeded) colour and a thin inlay."""
    names = [(match.group(g) or "").lower() for g in ("c1", "c2")]
    colour = next((_NAMED_COLOURS[n] for n in names if n in _NAMED_COLOURS), None)
    rgb = ImageColor.getrgb(colour or rng.choice(["#111111", "#FFFFFF", "#C9A227", "#1D1A39"]))
    inlay = (20, 20, 20) if sum(rgb[:3]) > 382 else (245, 245, 245)
    alpha = (255,) if image.mode == "RGBA" else ()
    out = image.copy()
    draw = ImageDraw.Draw(out)
    w, h = out.size
    band = max(2, round(min(w, h) * 0.04))
    thin = max(1, band // 5)
    draw.rectangle((0, 0, w - 1, h - 1), outline=rgb[:3] + alpha, width=band)
    inner = (band + thin, band + thin, w - 1 - band - thin, h - 1 - band - thin)
    draw.rectangle(inner, outline=inlay + alpha, width=thin)
    return out


def _caption(image: Image.Image, match: re.Match[str], rng: random.Random) -> Image.Image:
    """Set the caption in a translucent band along the bottom edge."""
    text = (
        (match.group("quoted") or match.group("bare")).strip().strip("\"'\u201c\u201d\u2018\u2019")
    )
    w, h = image.size
    band = max(12, round(h * 0.13))
    dark = rng.random() < 0.7
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    draw.rectangle((0, h - band, w, h), fill=(0, 0, 0, 170) if dark else (255, 255, 255, 190))
    size = _fit_font(text, w * 0.9, band * 0.5)
    top = h - band / 2 - _text_height(text, size) / 2
    _draw_text(draw, text, (w / 2, top), size, "#FFFFFF" if dark else "#111111")
    out = image.convert("RGBA")
    out.alpha_composite(overlay)
    return out.convert(image.mode)


def _apply_op(
    name: str, image: Image.Image, match: re.Match[str], rng: random.Random
) -> Image.Image:
    """Apply one recognised operation."""
    w, h = image.size
    if name in _COLOUR_OPS:
        return _on_rgb(image, _COLOUR_OPS[name])
    if name == "posterize":
        bits, boost = (2, 1.8) if match.group("pop") else (3, 1.2)
        return _on_rgb(
            image, lambda rgb: ImageOps.posterize(ImageEnhance.Color(rgb).enhance(boost), bits)
        )
    if name == "contrast":
        less = (match.group("dir") or "").lower().startswith(("less", "low", "reduc", "decreas"))
        return _on_rgb(image, lambda rgb: ImageEnhance.Contrast(rgb).enhance(0.7 if less else 1.45))
    if name == "blur":  # premultiplied, so transparent edges do not darken
        blur = ImageFilter.GaussianBlur(max(1.0, min(w, h) * 0.008))
        return (
            image.filter(blur)
            if image.mode != "RGBA"
            else image.convert("RGBa").filter(blur).convert("RGBA")
        )
    if name == "pixelate":
        block = max(2, min(w, h) // 64)
        small = image.resize((max(1, w // block), max(1, h // block)), Image.Resampling.BOX)
        return small.resize((w, h), Image.Resampling.NEAREST)
    if name == "mirror":
        return ImageOps.mirror(image)
    if name == "flip":
        return ImageOps.flip(image)
    if name == "rotate":
        return _rotate(image, match)
    return _border(image, match, rng) if name == "border" else _caption(image, match, rng)


def _stylise(image: Image.Image, rng: random.Random) -> Image.Image:
    """The fallback edit: re-map tones onto a seeded palette (dark, accent, light)."""
    pal = PALETTES[rng.choice(sorted(PALETTES))]
    dark, light = sorted((pal.ink, pal.bg), key=lambda c: sum(ImageColor.getrgb(c)))
    mid = rng.choice(pal.accents)
    return _on_rgb(
        image, lambda rgb: ImageOps.colorize(ImageOps.grayscale(rgb), dark, light, mid=mid)
    )


def apply_edit(image: Image.Image, instruction: str, seed: int) -> Image.Image:
    """Apply each operation the instruction names, once each, in the order they are named.

    Overlapping matches go to the earlier, then longer-listed, one: the words of a quoted
    caption are not read as operations, and "flip vertically" is not also a mirror. With no
    operation recognised, the image is re-coloured onto a seeded palette, so an edit always
    changes it. The seed only decides what the instruction leaves open (colours, styles).
    """
    rng = random.Random(stable_seed(RENDERER_VERSION, "edit", instruction, seed))
    found = sorted(
        (match.start(), order, match)
        for order, (_, pattern) in enumerate(_EDIT_PATTERNS)
        for match in pattern.finditer(instruction)
    )
    taken: list[tuple[int, int]] = []
    applied: set[int] = set()
    for start, order, match in found:
        if order in applied or any(start < end and match.end() > begin for begin, end in taken):
            continue
        taken.append((start, match.end()))
        applied.add(order)
        image = _apply_op(_EDIT_PATTERNS[order][0], image, match, rng)
    return image if applied else _stylise(image, rng)


def decode_source(data: bytes) -> Image.Image:
    """Decode a PNG/JPEG/WebP source upright, as RGB (or RGBA when it has transparency)."""
    try:
        with Image.open(io.BytesIO(data)) as opened:
            source_format = opened.format
            opened.load()
            image = ImageOps.exif_transpose(opened)
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        OSError,
        SyntaxError,
        ValueError,
    ) as exc:
        raise GenerationFailed(f"The source image could not be decoded: {exc}") from exc
    if source_format not in _SOURCE_FORMATS:
        raise GenerationFailed(f"The source image must be PNG, JPEG or WebP, not {source_format}.")
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    return image.convert("RGBA" if has_alpha else "RGB")


def encode_png(image: Image.Image) -> bytes:
    """PNG bytes with fixed settings and no metadata, so equal pixels give equal bytes."""
    image.info = {}
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()


def _check_running(control: JobControl) -> None:
    """Raise when the job was cancelled or has run past its deadline."""
    if control.should_stop():
        raise GenerationCancelled("The generation was cancelled.")
    if time.monotonic() > control.deadline:
        raise GenerationTimeout("The generation ran past its deadline.")


class LocalBackend:
    """The embedded default backend: renders on the worker's own CPU with Pillow."""

    name = "local"

    def __init__(self) -> None:
        self.version = f"{RENDERER_VERSION} (Pillow {PIL.__version__})"

    def generate(self, request: GenerationRequest, control: JobControl) -> GenerationOutput:
        """Render (or edit) `batch_size` images; image i uses seed `request.seed + i`."""
        count = request.batch_size
        source = None if request.source_image is None else decode_source(request.source_image)
        images: list[GeneratedImage] = []
        for i in range(count):
            _check_running(control)
            seed = request.seed + i
            if source is None:
                image = render_design(request, seed)
            else:
                image = apply_edit(source.copy(), request.instruction or "", seed)
            _check_running(control)
            control.report_progress((i + 0.8) / count)
            images.append(GeneratedImage(data=encode_png(image), seed=seed))
            control.report_progress((i + 1) / count)
        return GenerationOutput(images=images)

    def health(self) -> BackendHealth:
        """Always ok: the backend needs nothing but Pillow."""
        return BackendHealth(status="ok", version=self.version)

    def cancel(self, external_id: str) -> None:
        """Do nothing: there is no remote job, and a running render stops at `should_stop()`."""
