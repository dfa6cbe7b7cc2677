"""Planning a design: every choice a rendering needs, from the prompt's words and the seed.

Keywords steer (a mountain prompt shows mountains, "neon" glows, "typography" leads with
words); the seed chooses everything they leave open. Consecutive seeds walk a cycle of
layouts and of the palettes the colour words allow, starting at a prompt-specific point, so
the images of one batch (seeds s, s+1, ...) are different compositions, not re-rolls of one.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from gateway.app.generation.backends.base import GenerationRequest
from gateway.app.generation.backends.local.extras import EXTRAS_FOR_MOTIF
from gateway.app.generation.backends.local.lettering import Lettering
from gateway.app.generation.backends.local.palettes import Palette, palette_candidates
from gateway.app.generation.backends.local.seeds import RENDERER_VERSION, stable_seed
from gateway.app.generation.backends.local.words import (
    APPAREL_WORDS,
    CALM_PATTERNS,
    FREE_PATTERNS,
    ICON_WORDS,
    LINE_WORDS,
    MOTIF_WORDS,
    NO_TEXT_WORDS,
    PATTERN_WORDS,
    SCENE_MOTIFS,
    SHADES_WORDS,
    STYLE_PALETTE_WORDS,
    TYPE_WORDS,
    first_match,
    prompt_words,
    split_headline,
    stack_lines,
    subject_words,
)

# What each kind of prompt may be laid out as; every kind offers at least four, so a batch of
# four never repeats a layout.
LAYOUTS_FOR_KIND: dict[str, tuple[str, ...]] = {
    "type": ("stack", "block", "seal", "badge"),
    "pattern": ("poster", "seal", "arch", "badge", "band"),
    "scene": ("badge", "seal", "arch", "band", "poster"),
    "icon": ("badge", "seal", "stack", "block", "arch"),
    "free": ("badge", "seal", "arch", "band", "poster", "stack", "block"),
}
_STACKED = ("stack", "block")  # layouts that set the headline one word a line
_MAY_BE_TRANSPARENT = ("badge", "seal", "arch", "stack")  # no full-bleed panel


@dataclass(frozen=True)
class Design:
    """Every choice one rendering needs, fixed before any pixel is drawn."""

    palette: Palette
    style: str  # "flat" | "line" | "neon"
    layout: str
    motif: str
    extra: str | None  # a secondary motif laid over a scene
    icon: str | None
    shades: bool  # sunglasses on a cat or tiger icon
    headline: tuple[str, ...]
    tagline: str
    lettering: Lettering
    transparent: bool
    angle: float  # rotation of a pattern motif, degrees
    zoom: float  # enlargement of a pattern motif


def _kind(words: list[str], keyword_motif: str | None, icon: str | None) -> str:
    """Which family of layouts the prompt asks for."""
    present = set(words)
    if present & TYPE_WORDS:
        return "type"
    if present & PATTERN_WORDS:
        return "pattern"
    if keyword_motif in SCENE_MOTIFS:
        return "scene"
    if icon:
        return "icon"
    return "pattern" if keyword_motif else "free"


def _lettering(rng: random.Random, style: str, step: int) -> Lettering:
    """A typographic treatment; faces take turns with the seed like layouts do, and shadowed
    or extruded faces appear only where colours are flat."""
    faces = ("solid", "outline") if style != "flat" else ("shadow", "outline", "solid", "extrude")
    return Lettering(
        case="title" if rng.random() < 0.25 else "upper",
        tracking=rng.choice([0.0, 0.0, 0.04, 0.1]),
        face=faces[step % len(faces)],
    )


def _headline(subject: list[str], layout: str, lettering: Lettering) -> tuple[tuple[str, ...], str]:
    """The headline's lines and the tagline, in the lettering's case."""
    if layout in _STACKED and subject:
        headline, tagline = stack_lines(subject), ""
    elif len(subject) >= 3 and len(subject[0]) >= 4:
        headline, tagline = split_headline(subject[1:], 12), subject[0].upper()
    else:
        headline, tagline = split_headline(subject, 8 if layout == "poster" else 12), ""
    return tuple(lettering.apply_case(line) for line in headline), tagline


def plan_design(request: GenerationRequest, seed: int) -> tuple[Design, random.Random]:
    """Choose layout, palette, style, motifs and lettering from the prompt's words and the seed.

    Words of the negative prompt are ignored in the prompt; a negative "text" drops the
    lettering and a negative "background" makes the background transparent.
    """
    parts = (
        request.prompt,
        request.negative_prompt,
        request.steps,
        request.guidance,
        request.sampler,
    )
    rng = random.Random(stable_seed(RENDERER_VERSION, *parts, seed))
    cycle = stable_seed(RENDERER_VERSION, *parts, "cycle")
    banned = set(prompt_words(request.negative_prompt))
    words = [w for w in prompt_words(request.prompt) if w not in banned]
    present = set(words)

    neon = any(STYLE_PALETTE_WORDS.get(w) == "neon" for w in words)  # as palettes read it
    style = "neon" if neon else "line" if present & LINE_WORDS else "flat"
    keyword_motif = first_match(words, MOTIF_WORDS)
    icon = first_match(words, ICON_WORDS)
    kind = _kind(words, keyword_motif, icon)
    layouts = LAYOUTS_FOR_KIND[kind]
    layout = layouts[(seed + cycle) % len(layouts)]

    if keyword_motif:
        motif = keyword_motif
    elif icon:
        motif = rng.choice(CALM_PATTERNS)
    else:
        motif = rng.choice(FREE_PATTERNS if kind == "pattern" else (*SCENE_MOTIFS, *FREE_PATTERNS))
    extras = tuple(e for e in EXTRAS_FOR_MOTIF.get(motif, ()) if style == "flat" or e != "clouds")
    extra = rng.choice((None, *extras)) if extras else None
    if kind == "scene":
        icon = None

    explicit = "transparent" in present or "background" in banned
    chance = 0.45 if present & APPAREL_WORDS else 0.2
    seeded = style != "neon" and layout in _MAY_BE_TRANSPARENT and rng.random() < chance
    transparent = explicit or seeded
    palettes = palette_candidates(words)
    start = (seed + (cycle >> 16)) % len(palettes)
    palette = palettes[start]
    if transparent:  # the next palette whose ink shows on a white shirt, if there is one
        ring = palettes[start:] + palettes[:start]
        palette = next((p for p in ring if not p.dark), palette)

    lettering = _lettering(rng, style, seed + (cycle >> 32))
    subject = [] if banned & NO_TEXT_WORDS else [w.upper() for w in subject_words(words)]
    headline, tagline = _headline(subject, layout, lettering)
    design = Design(
        palette=palette,
        style=style,
        layout=layout,
        motif=motif,
        extra=extra,
        icon=icon,
        shades=icon in ("cat", "tiger") and bool(present & SHADES_WORDS),
        headline=headline,
        tagline=tagline,
        lettering=lettering,
        transparent=transparent,
        angle=rng.choice([0.0, 0.0, 15.0, 30.0, 45.0, -20.0]) if motif in FREE_PATTERNS else 0.0,
        zoom=rng.uniform(1.0, 1.5) if motif in FREE_PATTERNS else 1.0,
    )
    return design, rng
