"""Product silhouettes: the family a blueprint title names, and where its print area goes."""

from __future__ import annotations

import pytest
import pyvips

from gateway.app.publishing import silhouettes


@pytest.mark.parametrize(
    ("title", "family"),
    [
        ("Unisex Jersey Short Sleeve Tee", "tee"),
        ("Unisex Softstyle T-Shirt", "tee"),
        ("Men's Tank Top", "tee"),
        ("Unisex Crewneck Sweatshirt", "tee"),
        ("Unisex Heavy Blend Hooded Sweatshirt", "hoodie"),
        ("Unisex Zip Hoodie", "hoodie"),
        ("Ceramic Mug 11oz", "mug"),
        ("Stainless Steel Tumbler", "mug"),
        ("Poster", "poster"),
        ("Matte Vertical Posters", "poster"),
        ("Canvas Gallery Wraps", "poster"),
        ("Kiss-Cut Stickers", "sticker"),
        ("Tote Bag", "tote"),
        ("Canvas Tote", "tote"),
        ("Phone Case", "card"),
        ("", "card"),
    ],
)
def test_the_family_is_picked_from_the_blueprint_title(title, family):
    assert silhouettes.family_for(title).name == family


@pytest.mark.parametrize("family", sorted(silhouettes.BY_NAME))
@pytest.mark.parametrize("aspect", [0.4, 0.833, 1.0, 2.45])
def test_the_print_area_fits_its_box_with_the_templates_aspect(family, aspect):
    chosen = silhouettes.BY_NAME[family]
    box = chosen.areas["front"]
    area = chosen.area("front", aspect)
    assert area.width / area.height == pytest.approx(aspect)
    assert box.left - 1e-9 <= area.left and area.left + area.width <= box.left + box.width + 1e-9
    assert box.top - 1e-9 <= area.top and area.top + area.height <= box.top + box.height + 1e-9


def test_an_unknown_position_uses_the_front_box():
    tee = silhouettes.BY_NAME["tee"]
    assert tee.area("sleeve", 1.0) == tee.area("front", 1.0)


@pytest.mark.parametrize("family", sorted(silhouettes.BY_NAME))
@pytest.mark.parametrize("position", ["front", "back"])
def test_every_family_draws_as_valid_svg(family, position):
    chosen = silhouettes.BY_NAME[family]
    drawing = silhouettes.svg(chosen, (10, 20, 30), chosen.area(position, 0.8), position, 256)
    image = pyvips.Image.new_from_buffer(drawing, "")
    assert (image.width, image.height) == (256, 256)
    assert image.extract_band(0, n=3).deviate() > 0
