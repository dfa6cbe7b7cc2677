"""Listing drafts: deterministic, within the listing limits, free of markup and protected terms."""

from __future__ import annotations

import pytest

from gateway.app.ip_risk.screen import screen_for
from gateway.app.listings import drafts

SCREEN = screen_for(None)


@pytest.mark.parametrize(
    ("blueprint", "kind"),
    [
        ("Unisex Jersey Short Sleeve Tee", "tee"),
        ("Unisex Heavy Blend Hooded Sweatshirt", "hoodie"),
        ("Ceramic Mug 11oz", "mug"),
        ("Poster", "poster"),
        ("Kiss-Cut Stickers", "sticker"),
        ("Tote Bag (AOP)", "tote"),
        ("Phone Case", None),
        (None, None),
    ],
)
def test_product_kind_from_the_blueprint_title(blueprint: str | None, kind: str | None) -> None:
    assert drafts.product_kind(blueprint) == kind


def test_a_draft_of_an_ordinary_prompt() -> None:
    draft = drafts.draft(
        "a retro sunset over the ocean with palm trees, vector art, highly detailed, 8k",
        {"width": 1024, "height": 1024},
        "tee",
        SCREEN,
    )
    assert draft.title == "Retro Sunset Ocean Palm Trees Art T-Shirt"
    assert "printed on a soft cotton t-shirt" in draft.description
    assert draft.tags[:3] == ["retro", "sunset", "ocean"]
    assert "t-shirt" in draft.tags


def test_the_same_input_gives_the_same_draft() -> None:
    first = drafts.draft("fox in the snow", {"width": 512, "height": 768}, "poster", SCREEN)
    assert drafts.draft("fox in the snow", {"width": 512, "height": 768}, "poster", SCREEN) == first
    assert "portrait design" in first.description


def test_markup_stop_words_and_protected_terms_never_make_it_in() -> None:
    prompt = (
        "<b>M1ckey</b> mouse &amp; (surfboard:1.3) [wave] at the beach, disney style, "
        "javascript:alert(1) https://example.com/x.png"
    )
    draft = drafts.draft(prompt, {}, "mug", SCREEN)
    text = " ".join([draft.title, draft.description, *draft.tags]).lower()
    assert SCREEN.find(text) == []
    for fragment in ("<", ">", "&", "(", "[", "http", "the ", "m1ckey"):
        assert fragment not in " ".join([draft.title, *draft.tags]).lower()
    assert "surfboard" in draft.tags


def test_limits_hold_for_a_long_prompt() -> None:
    prompt = " ".join(f"word{chr(97 + i % 26)}{'x' * (i % 30)}" for i in range(300))
    draft = drafts.draft(prompt, {}, "hoodie", SCREEN)
    assert len(draft.title) <= drafts.MAX_TITLE
    assert len(draft.tags) <= drafts.MAX_TAGS
    assert len(set(draft.tags)) == len(draft.tags)
    assert all(len(tag) <= drafts.MAX_TAG and tag == tag.lower() for tag in draft.tags)


def test_an_empty_prompt_still_drafts() -> None:
    draft = drafts.draft(None, {}, None, SCREEN)
    assert draft.title == "Original Art"
    assert draft.tags == ["gift idea"]
