"""Edit mode: find the operations an instruction names and apply them to the source image.

Edits apply what the words ask (invert, mirror, sepia, border, caption, ...) in the order they
are named; the seed decides only what the instruction leaves open (colours, styles).
"""

from __future__ import annotations

import io
import random
import re
from collections.abc import Callable

from PIL import (
    Image,
    ImageColor,
    ImageDraw,
    ImageEnhance,
    ImageFilter,
    ImageOps,
    UnidentifiedImageError,
)

from gateway.app.generation.backends.base import InputRejected
from gateway.app.generation.backends.local.lettering import Ink, draw_text, fit_font, text_height
from gateway.app.generation.backends.local.palettes import PALETTES
from gateway.app.generation.backends.local.seeds import RENDERER_VERSION, stable_seed

_SOURCE_FORMATS = {"PNG", "JPEG", "MPO", "WEBP"}  # MPO: how Pillow names many camera JPEGs
# The smallest side an edit works on: a border's band and inlay and a caption's band and letters
# need a few pixels each, and below this no operation makes a meaningful design.
MIN_EDIT_SIDE = 16

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
    size = fit_font(text, w * 0.9, band * 0.5)
    top = h - band / 2 - text_height(text, size) / 2
    draw_text(draw, text, (w / 2, top), size, Ink("#FFFFFF" if dark else "#111111"))
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


def check_source_size(width: int, height: int) -> None:
    """Refuse a source too small to edit, before any work is done on it."""
    if min(width, height) < MIN_EDIT_SIDE:
        raise InputRejected(
            f"The source image is {width}x{height} px; an edit needs at least "
            f"{MIN_EDIT_SIDE}x{MIN_EDIT_SIDE} px."
        )


def decode_source(data: bytes) -> Image.Image:
    """Decode a PNG/JPEG/WebP source upright, as RGB (or RGBA when it has transparency).

    Its size is checked from the header, before a pixel is decoded.
    """
    try:
        with Image.open(io.BytesIO(data)) as opened:
            source_format = opened.format
            check_source_size(*opened.size)
            opened.load()
            image = ImageOps.exif_transpose(opened)
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        OSError,
        SyntaxError,
        ValueError,
    ) as exc:
        raise InputRejected(f"The source image could not be decoded: {exc}") from exc
    if source_format not in _SOURCE_FORMATS:
        raise InputRejected(f"The source image must be PNG, JPEG or WebP, not {source_format}.")
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    return image.convert("RGBA" if has_alpha else "RGB")
