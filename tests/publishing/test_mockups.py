"""Mockup previews: the design sits where the print file puts it; colours; the content cache."""

from __future__ import annotations

import dataclasses
import io
import os
from pathlib import Path

import pytest
import pyvips
from PIL import Image

from gateway.app.errors import ValidationFailed
from gateway.app.publishing import colours, mockups, printfiles, silhouettes
from gateway.app.publishing.mockups import PreviewCache, PreviewQuery, PreviewSpec
from gateway.app.publishing.printfiles import Placement, render_print_file

RED = (255, 0, 0)
CENTRED = Placement()


def solid_png(width: int, height: int, colour: tuple[int, int, int] = RED) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()


def spec(
    family: str = "tee",
    colour: str | None = "White",
    canvas: tuple[int, int] = (900, 1080),
    placement: Placement = CENTRED,
    position: str = "front",
) -> PreviewSpec:
    default = silhouettes.BY_NAME[family].default_colour
    return PreviewSpec(
        sha256="a" * 64,
        original_key="originals/x.png",
        variant_id=1,
        position=position,
        canvas_width=canvas[0],
        canvas_height=canvas[1],
        placement=placement,
        family=family,
        colour=colours.colour_named(colour, default),
    )


def relative_box(mask: Image.Image, width: int, height: int) -> tuple[float, ...]:
    box = mask.getbbox()
    assert box is not None, "the design is not in the picture"
    return (box[0] / width, box[1] / height, box[2] / width, box[3] / height)


def print_file_box(source: bytes, canvas: tuple[int, int], placement: Placement) -> tuple:
    printed = Image.open(io.BytesIO(render_print_file(source, *canvas, placement).data))
    return relative_box(printed.getchannel("A").point(lambda a: 255 if a > 128 else 0), *canvas)


def preview_box(source: bytes, preview: PreviewSpec) -> tuple:
    picture = Image.open(io.BytesIO(mockups.render(preview, source))).convert("RGB")
    frame = mockups.frame(preview)
    inside = picture.crop(
        (frame.left, frame.top, frame.left + frame.width, frame.top + frame.height)
    )
    red = Image.eval(inside.split()[0], lambda r: 255 if r > 180 else 0)
    not_red = Image.eval(inside.split()[1], lambda g: 255 if g < 90 else 0)
    mask = Image.composite(red, Image.new("L", red.size, 0), not_red)
    return relative_box(mask, frame.width, frame.height)


@pytest.mark.parametrize(
    "placement",
    [
        Placement(),
        Placement(x=0.3, y=0.6, scale=0.5),
        Placement(x=0.5, y=0.4, scale=0.6, angle=90),
        Placement(x=0.55, y=0.5, scale=0.45, angle=30),
        Placement(x=0.9, y=0.15, scale=0.5),
    ],
    ids=["centred", "offset", "quarter-turn", "turned", "clipped"],
)
@pytest.mark.parametrize(
    ("family", "canvas"),
    [("tee", (900, 1080)), ("mug", (1350, 550)), ("poster", (720, 960))],
)
def test_the_design_covers_the_same_part_of_the_print_area_as_in_the_print_file(
    placement, family, canvas
):
    source = solid_png(300, 200)
    preview = spec(family, None, canvas, placement)
    expected = print_file_box(source, canvas, placement)
    found = preview_box(source, preview)
    tolerance = 2.5 / mockups.frame(preview).width
    assert found == pytest.approx(expected, abs=max(tolerance, 0.012))


def test_a_large_source_covers_the_same_part_as_in_the_print_file():
    source = solid_png(3000, 1900)
    placement = Placement(x=0.45, y=0.55, scale=0.7, angle=12)
    expected = print_file_box(source, (900, 1080), placement)
    assert preview_box(source, spec("tee", None, (900, 1080), placement)) == pytest.approx(
        expected, abs=0.012
    )


def test_a_source_is_decoded_no_larger_than_asked_in_its_profiles_colours():
    colour = pyvips.Image.black(1200, 900, bands=3).linear(1, [200, 60, 40]).cast("uchar")
    tagged = colour.copy(interpretation="srgb").icc_transform("p3", input_profile="srgb")
    data = tagged.write_to_buffer(".png")
    shrunk = printfiles.decode(data, fit=300)
    assert (shrunk.width, shrunk.height) == (300, 225)
    assert shrunk.getpoint(10, 10) == pytest.approx(printfiles.decode(data).getpoint(10, 10), abs=1)
    assert shrunk.getpoint(10, 10) == pytest.approx([200, 60, 40], abs=2)


def test_the_print_area_keeps_the_templates_aspect_ratio():
    for aspect in (0.5, 0.833, 1.0, 2.45):
        frame = mockups.frame(spec(canvas=(round(1000 * aspect), 1000)))
        assert frame.width / frame.height == pytest.approx(aspect, rel=0.02)
        assert frame.left >= 0 and frame.left + frame.width <= mockups.PREVIEW_SIDE
        assert frame.top >= 0 and frame.top + frame.height <= mockups.PREVIEW_SIDE


def test_a_preview_is_a_square_webp_of_the_configured_side():
    picture = Image.open(io.BytesIO(mockups.render(spec(), solid_png(64, 64))))
    assert picture.format == "WEBP"
    assert picture.size == (mockups.PREVIEW_SIDE, mockups.PREVIEW_SIDE)


@pytest.mark.parametrize(
    ("family", "colour", "point"),
    [
        ("tee", "Black", (290, 900)),
        ("tee", "Navy", (290, 900)),
        ("hoodie", "Heather Grey", (290, 820)),
        ("tote", "Natural", (240, 900)),
        ("mug", "Red", (250, 780)),
    ],
)
def test_the_product_is_drawn_in_the_variants_colour(family, colour, point):
    picture = Image.open(io.BytesIO(mockups.render(spec(family, colour), solid_png(64, 64))))
    expected = colours.rgb_of(colour)
    assert picture.convert("RGB").getpixel(point) == pytest.approx(expected, abs=6)


def test_an_unknown_colour_is_drawn_neutral_not_guessed():
    preview = spec("tee", "Zorbleflux")
    assert preview.colour.known is False
    assert preview.colour.rgb == colours.NEUTRAL


def test_the_content_key_changes_with_everything_the_picture_depends_on():
    base = spec()
    variants = [
        dataclasses.replace(base, sha256="b" * 64),
        dataclasses.replace(base, placement=Placement(scale=0.9)),
        dataclasses.replace(base, canvas_width=901),
        dataclasses.replace(base, position="back"),
        dataclasses.replace(base, family="hoodie"),
        dataclasses.replace(base, colour=colours.colour_named("Black")),
    ]
    keys = {base.key, *(variant.key for variant in variants)}
    assert len(keys) == len(variants) + 1
    assert dataclasses.replace(base, variant_id=2, original_key="other").key == base.key


def test_the_silhouette_version_is_part_of_the_key(monkeypatch):
    before = spec().key
    monkeypatch.setattr(silhouettes, "VERSION", silhouettes.VERSION + 1)
    assert spec().key != before


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"template_id": "tpl_1"}, PreviewQuery("tpl_1", None)),
        ({"template_id": "tpl_1", "variant_id": "12100"}, PreviewQuery("tpl_1", 12100)),
    ],
)
def test_query_parameters_are_read(args, expected):
    assert PreviewQuery.parse(args) == expected


def test_every_bad_query_parameter_is_named_at_once():
    with pytest.raises(ValidationFailed) as caught:
        PreviewQuery.parse({"variant_id": "x"})
    assert set(caught.value.field_errors) == {"template_id", "variant_id"}


def test_the_cache_gives_back_what_it_kept(tmp_path: Path):
    cache = PreviewCache(tmp_path / "previews")
    assert cache.get("c" * 64) is None
    cache.put("c" * 64, b"webp")
    assert cache.get("c" * 64) == b"webp"


def test_the_cache_refuses_a_key_that_is_not_a_content_hash(tmp_path: Path):
    cache = PreviewCache(tmp_path)
    for key in ("../secret", "C" * 64, "c" * 63):
        with pytest.raises(ValueError):
            cache.get(key)


def test_a_full_cache_drops_the_least_recently_used(tmp_path: Path):
    cache = PreviewCache(tmp_path, max_entries=10)
    keys = [f"{n:064x}" for n in range(10)]
    for age, key in enumerate(keys):
        cache.put(key, b"x")
        os.utime(cache.path_for(key), (1000 + age, 1000 + age))
    cache.get(keys[0])
    cache.put("f" * 64, b"new")
    kept = {path.stem for path in tmp_path.glob("*.webp")}
    assert len(kept) == 9
    assert {keys[0], "f" * 64} <= kept
    assert keys[1] not in kept
