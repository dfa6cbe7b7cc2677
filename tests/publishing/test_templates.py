"""Template rules that need no app: product copy from an image, and field parsing."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from gateway.app.errors import ValidationFailed
from gateway.app.publishing import templates

TEMPLATE = {
    "title_template": "{title} | Tee",
    "description_template": "<p>{description}</p><p>Prompt: {prompt}</p><p>{tags}</p>",
    "tags": ["tee"],
}


def image(**fields: object) -> SimpleNamespace:
    values = {"title": "Sunset", "description": "Warm", "prompt": "a sunset", "tags": ["retro"]}
    values.update(fields)
    return SimpleNamespace(**values)


def test_copy_fills_the_templates_from_the_image():
    copy = templates.product_copy(TEMPLATE, image(), "podgw-1")
    assert copy["title"] == "Sunset | Tee"
    assert copy["description"] == "<p>Warm</p><p>Prompt: a sunset</p><p>retro</p>"
    assert copy["tags"] == ["tee", "retro", "podgw-1"]


def test_markup_from_the_image_is_escaped_in_the_html_description():
    copy = templates.product_copy(
        TEMPLATE, image(description="<script>alert(1)</script>", prompt="a & b"), "podgw-1"
    )
    assert "<script>" not in copy["description"]
    assert "&lt;script&gt;" in copy["description"]
    assert "a &amp; b" in copy["description"]


def test_an_untitled_image_takes_its_prompt_as_title():
    copy = templates.product_copy(TEMPLATE, image(title="", prompt="neon tiger"), "podgw-1")
    assert copy["title"] == "neon tiger | Tee"


def test_the_marker_tag_is_always_last_and_never_duplicated():
    copy = templates.product_copy(TEMPLATE, image(tags=["tee", "podgw-1"]), "podgw-1")
    assert copy["tags"] == ["tee", "podgw-1"]


@pytest.mark.parametrize("text", ["{title", "{0}", "{title.__class__}", "{unknown}"])
def test_template_strings_only_take_the_known_placeholders(text):
    with pytest.raises(ValidationFailed):
        templates.parse(
            {
                "name": "x",
                "blueprint_id": 1,
                "print_provider_id": 1,
                "variants": [{"id": 1, "price": 1}],
                "title_template": text,
            }
        )


def test_parse_fills_defaults():
    fields = templates.parse(
        {
            "name": "x",
            "blueprint_id": 1,
            "print_provider_id": 2,
            "variants": [{"id": 3, "price": 0}],
        }
    )
    assert fields["position"] == "front"
    assert fields["placement"] == {"x": 0.5, "y": 0.5, "scale": 1.0, "angle": 0.0}
    assert fields["title_template"] == "{title}"
    assert fields["tags"] == []
