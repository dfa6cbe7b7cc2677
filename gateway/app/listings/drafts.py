"""Listing drafts: a title, description and tags drafted locally from an image's prompt.

Deterministic on purpose (no model, no network): the same prompt, parameters and product give the
same draft, so an operator can redraft without surprises and tests can pin it. Prompt markup,
weights like `(word:1.2)`, image-model boilerplate ("8k", "masterpiece") and stop words are dropped;
protected terms never make it in (a draft must never write the listing a shop is suspended for).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any

from gateway.app.ip_risk.screen import Screen

MAX_TITLE = 140
MAX_TAGS = 13
MAX_TAG = 20

# Product kinds by the words of a Printify blueprint title, first match wins.
PRODUCT_KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("hoodie", ("hoodie", "hooded")),
    ("sweatshirt", ("sweatshirt", "crewneck")),
    ("tee", ("tee", "t-shirt", "tshirt", "shirt")),
    ("mug", ("mug", "cup")),
    ("poster", ("poster", "print", "canvas")),
    ("sticker", ("sticker", "stickers", "decal")),
    ("tote", ("tote", "bag")),
)
PRODUCT_LABELS = {
    "hoodie": ("Hoodie", "a cosy pullover hoodie", ["hoodie", "pullover hoodie"]),
    "sweatshirt": ("Sweatshirt", "a soft crewneck sweatshirt", ["sweatshirt"]),
    "tee": ("T-Shirt", "a soft cotton t-shirt", ["t-shirt", "graphic tee"]),
    "mug": ("Mug", "a glossy ceramic mug", ["mug", "coffee mug"]),
    "poster": ("Poster", "a matte wall poster", ["poster", "wall art"]),
    "sticker": ("Sticker", "a kiss-cut vinyl sticker", ["sticker", "laptop sticker"]),
    "tote": ("Tote Bag", "a sturdy cotton tote bag", ["tote bag"]),
}
STOP_WORDS = frozenset(
    {
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "of",
        "on",
        "in",
        "at",
        "to",
        "for",
        "from",
        "with",
        "without",
        "by",
        "over",
        "under",
        "into",
        "onto",
        "up",
        "down",
        "off",
        "out",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "this",
        "that",
        "these",
        "those",
        "it",
        "its",
        "their",
        "there",
        "here",
        "very",
        "so",
        "such",
        "some",
        "any",
        "each",
        "every",
        "all",
        "no",
        "not",
        "nor",
        "only",
        "own",
        "same",
        "than",
        "too",
        "just",
        "can",
        "will",
        "should",
        "featuring",
        "feature",
        "showing",
        "shows",
        "show",
        "depicting",
        "image",
        "picture",
        "photo",
        "illustration",
        "style",
        "highly",
        "detailed",
        "detail",
        "details",
        "ultra",
        "hyper",
        "hd",
        "uhd",
        "4k",
        "8k",
        "16k",
        "resolution",
        "masterpiece",
        "best",
        "quality",
        "high",
        "trending",
        "artstation",
        "octane",
        "render",
        "unreal",
        "engine",
        "sharp",
        "focus",
        "intricate",
        "professional",
        "award",
        "winning",
        "cinematic",
        "lighting",
        "realistic",
        "photorealistic",
        "studio",
        "seed",
        "design",
        "designs",
        "background",
        "white",
        "transparent",
        "isolated",
        "centered",
        "vector",
        "print",
        "printable",
    }
)
_WEIGHT = re.compile(r"\(([^():]*):\s*[\d.]+\)")
_MARKUP = re.compile(r"<[^>]*>|&#?\w+;|https?://\S+|[\[\]{}()<>*_`~#|\\^=+]")
_WORD = re.compile(r"[^\W\d_][^\W_]*(?:['-][^\W\d_]+)*")


@dataclass(frozen=True)
class Draft:
    title: str
    description: str
    tags: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "description": self.description, "tags": self.tags}


def product_kind(blueprint_title: str | None) -> str | None:
    """The product family a Printify blueprint title names (tee, hoodie, mug, ...), if any."""
    title_words = set(re.findall(r"[a-z-]+", (blueprint_title or "").lower()))
    for kind, markers in PRODUCT_KINDS:
        if title_words & set(markers):
            return kind
    return None


def _clean(prompt: str) -> str:
    return _MARKUP.sub(" ", _WEIGHT.sub(r"\1", prompt))


def _keywords(prompt: str, screen: Screen) -> list[str]:
    """The prompt's content words in order, each once, protected terms and stop words removed."""
    protected = {word for term in screen.find(prompt) for word in term.split()}
    keywords: list[str] = []
    for word in _WORD.findall(_clean(prompt)):
        lower = word.lower().strip("'-")
        if len(lower) < 3 or lower in STOP_WORDS or lower in keywords:
            continue
        if lower in protected or screen.find(lower):
            continue
        keywords.append(lower)
    return keywords


def _title(keywords: list[str], label: str | None) -> str:
    words = [word.capitalize() for word in keywords[:8]] or ["Original", "Art"]
    suffix = f" {label}" if label else ""
    title = ""
    for word in words:
        if len(title) + len(word) + 1 + len(suffix) > MAX_TITLE:
            break
        title = f"{title} {word}".strip()
    return f"{title}{suffix}"


def _orientation(params: dict[str, Any]) -> str | None:
    width, height = params.get("width"), params.get("height")
    if not isinstance(width, int) or not isinstance(height, int) or not width or not height:
        return None
    if width == height:
        return "square"
    return "portrait" if height > width else "landscape"


def _tags(keywords: list[str], kind_tags: list[str]) -> list[str]:
    tags: list[str] = []
    pairs = [f"{a} {b}" for a, b in itertools.pairwise(keywords)]
    for tag in [*keywords, *pairs[:3], *kind_tags, "gift idea"]:
        if len(tag) <= MAX_TAG and tag not in tags:
            tags.append(tag)
    return tags[:MAX_TAGS]


def draft(prompt: str | None, params: dict[str, Any], kind: str | None, screen: Screen) -> Draft:
    """A listing drafted from the prompt, parameters and product kind; the same input, the same
    draft."""
    keywords = _keywords(prompt or "", screen)
    label, product, kind_tags = PRODUCT_LABELS.get(kind or "", (None, "a product", []))
    title = _title(keywords, label)
    subject = ", ".join(keywords[:6]) or "an original design"
    orientation = _orientation(params)
    shape = f"{orientation} " if orientation and kind in {"poster", None} else ""
    description = (
        f"{title}. An original {shape}design of {subject}, printed on {product}. "
        "Made to order for you."
    )
    return Draft(title=title, description=description, tags=_tags(keywords, kind_tags))
