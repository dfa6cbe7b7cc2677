"""Catalog colour names as RGB for mockup previews, with word matching and a neutral fallback."""

from __future__ import annotations

import pytest

from gateway.app.publishing import colours


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Black", colours.COLOURS["black"]),
        ("White", colours.COLOURS["white"]),
        ("Navy", colours.COLOURS["navy"]),
        ("Heather Grey", colours.HEATHER_GREY),
        ("heather gray", colours.HEATHER_GREY),
        ("  TRUE   ROYAL ", colours.COLOURS["true royal"]),
        ("Vintage Black", colours.COLOURS["black"]),
        ("Deep Forest", colours.COLOURS["forest"]),
        ("White / Black", colours.COLOURS["white"]),
        ("Heather", colours.HEATHER_GREY),
    ],
)
def test_catalog_names_map_to_their_rgb(name, expected):
    assert colours.rgb_of(name) == expected


def test_a_heathered_colour_is_its_hue_blended_with_grey():
    navy, heather = colours.COLOURS["navy"], colours.rgb_of("Heather Navy")
    assert heather is not None and heather != navy
    assert all(
        low <= value <= high for value, low, high in zip(heather, navy, (181,) * 3, strict=True)
    )


@pytest.mark.parametrize("name", ["Zorbleflux", "", "Colour 7", "#ff0000"])
def test_an_unknown_name_has_no_rgb(name):
    assert colours.rgb_of(name) is None


def test_an_unknown_or_missing_name_falls_back_to_the_given_default():
    assert colours.colour_named("Zorbleflux") == colours.Colour(
        "Zorbleflux", colours.NEUTRAL, False
    )
    assert colours.colour_named(None, (1, 2, 3)) == colours.Colour("default", (1, 2, 3), False)
    assert colours.colour_named("Black").known is True
    assert colours.colour_named("Black").hex == "#1e1e1f"


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"color": "Black", "size": "M"}, "Black"),
        ({"Colour": "Navy"}, "Navy"),
        ({"Frame Color": " Oak "}, "Oak"),
        ({"size": "M", "paper": "Matte"}, None),
        ({"color": ""}, None),
        (["Black"], None),
        (None, None),
    ],
)
def test_the_colour_is_read_from_a_variants_options(options, expected):
    assert colours.option_colour(options) == expected
