"""Print files: the design laid out on the placeholder canvas, and what the source gives there."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageCms

from gateway.app.publishing.printfiles import (
    Placement,
    PrintFile,
    readiness,
    render_print_file,
)
from tests.imaging.images import encode, make_artwork, png_declaring_size


def render(
    source: bytes, width: int, height: int, **placement: float
) -> tuple[PrintFile, Image.Image]:
    print_file = render_print_file(source, width, height, Placement(**placement))
    image = Image.open(io.BytesIO(print_file.data))
    image.load()
    return print_file, image


def alpha_bbox(image: Image.Image) -> tuple[int, int, int, int] | None:
    return image.getchannel("A").getbbox()


@pytest.fixture(scope="module")
def wide_png() -> bytes:
    return encode(make_artwork(400, 200, seed=3), "PNG")


@pytest.fixture(scope="module")
def square_png() -> bytes:
    return encode(make_artwork(200, 200, seed=4), "PNG")


def test_output_is_a_canvas_sized_rgba_png_at_300_dpi(square_png):
    print_file, image = render(square_png, 300, 360)

    assert image.format == "PNG"
    assert image.size == (300, 360) == (print_file.width, print_file.height)
    assert image.mode == "RGBA"
    assert print_file.dpi == 300
    assert image.info["dpi"] == pytest.approx((300, 300), abs=0.01)
    assert "icc_profile" not in image.info


def test_full_size_tee_front_is_4500x5400_with_the_design_centred():
    source = encode(make_artwork(1024, 1024, seed=5), "PNG")

    print_file, image = render(source, 4500, 5400)

    assert image.size == (4500, 5400)
    assert image.mode == "RGBA"
    assert image.info["dpi"] == pytest.approx((300, 300), abs=0.01)
    assert alpha_bbox(image) == (0, 450, 4500, 4950)
    assert print_file.readiness.design_width_px == 4500
    assert print_file.readiness.below_floor


def test_centred_scale_one_fills_the_width_and_keeps_the_aspect_ratio(wide_png):
    _, image = render(wide_png, 300, 360)

    assert alpha_bbox(image) == (0, 105, 300, 255)
    alpha = np.asarray(image.getchannel("A"))
    assert alpha[105:255].min() == 255
    assert alpha[:105].max() == 0 and alpha[255:].max() == 0


def test_x_and_y_move_the_design_centre(square_png):
    _, image = render(square_png, 400, 400, x=0.25, y=0.75, scale=0.5)

    assert alpha_bbox(image) == (0, 200, 200, 400)


def test_scale_half_halves_the_design(wide_png):
    _, full = render(wide_png, 400, 400)
    _, half = render(wide_png, 400, 400, scale=0.5)

    assert alpha_bbox(full) == (0, 100, 400, 300)
    assert alpha_bbox(half) == (100, 150, 300, 250)


def test_angle_90_swaps_the_bounding_box_and_turns_clockwise():
    source = Image.new("RGB", (400, 200), "white")
    source.paste((255, 0, 0), (0, 0, 40, 40))

    _, image = render(encode(source, "PNG"), 400, 400, scale=0.5, angle=90)

    assert alpha_bbox(image) == (150, 100, 250, 300)
    # The red top-left corner ends up top-right after a clockwise quarter turn.
    assert image.getpixel((245, 105)) == (255, 0, 0, 255)
    assert image.getpixel((155, 105)) == (255, 255, 255, 255)


def test_a_free_angle_turns_about_the_centre_without_dark_edges():
    source = encode(Image.new("RGB", (100, 100), (0, 200, 0)), "PNG")

    _, image = render(source, 300, 300, scale=0.5, angle=45)

    left, top, right, bottom = alpha_bbox(image)
    assert (left + right) / 2 == pytest.approx(150, abs=1)
    assert (top + bottom) / 2 == pytest.approx(150, abs=1)
    assert right - left == pytest.approx(150 * 2**0.5, abs=3)
    pixels = np.asarray(image)
    edges = pixels[(pixels[..., 3] > 0) & (pixels[..., 3] < 255)]
    assert len(edges) > 0
    assert edges[:, 1].min() >= 190


def test_parts_outside_the_canvas_are_clipped(square_png):
    print_file, image = render(square_png, 400, 400, x=0, y=0, scale=0.5)

    assert image.size == (400, 400)
    assert alpha_bbox(image) == (0, 0, 100, 100)
    assert print_file.readiness.warnings == []


def test_a_design_entirely_outside_gives_a_blank_canvas_and_a_warning(square_png):
    print_file, image = render(square_png, 400, 400, x=-1, y=2, scale=0.5)

    assert image.size == (400, 400)
    assert alpha_bbox(image) is None
    assert print_file.readiness.warnings == [
        "the design lies entirely outside the print area; the print file is blank"
    ]


def test_readiness_of_1024_px_on_a_4500_px_tee_is_below_the_floor():
    report = readiness(1024, 1024, 4500, 5400, Placement())

    assert (report.design_width_px, report.design_height_px) == (4500, 4500)
    assert report.upscale == pytest.approx(4.395, abs=0.001)
    assert report.effective_dpi == pytest.approx(68.3, abs=0.05)
    assert report.print_width_in == pytest.approx(15.0)
    assert report.print_height_in == pytest.approx(15.0)
    assert report.below_floor
    assert report.warnings == [
        "source is 1024 px wide; printed 15.0 in wide it gives 68 DPI, below the 150 DPI floor"
    ]


def test_readiness_of_a_5000_px_source_has_no_warning():
    report = readiness(5000, 5000, 4500, 5400, Placement())

    assert report.upscale == pytest.approx(0.9)
    assert report.effective_dpi == pytest.approx(333.3, abs=0.05)
    assert not report.below_floor
    assert report.warnings == []


def test_readiness_follows_scale_aspect_ratio_and_floor():
    report = readiness(1024, 512, 4500, 5400, Placement(scale=0.5), dpi=300, dpi_floor=100)

    assert (report.design_width_px, report.design_height_px) == (2250, 1125)
    assert report.print_width_in == pytest.approx(7.5)
    assert report.effective_dpi == pytest.approx(136.5, abs=0.05)
    assert not report.below_floor


def test_readiness_to_dict_is_rounded_json_data():
    data = readiness(1024, 1024, 4500, 5400, Placement()).to_dict()

    assert data == {
        "canvas_width": 4500,
        "canvas_height": 5400,
        "dpi": 300,
        "design_width_px": 4500,
        "design_height_px": 4500,
        "upscale": 4.395,
        "effective_dpi": 68.3,
        "print_width_in": 15.0,
        "print_height_in": 15.0,
        "below_floor": True,
        "warnings": [
            "source is 1024 px wide; printed 15.0 in wide it gives 68 DPI, below the 150 DPI floor"
        ],
        "upscale_for_print": {
            "needed": True,
            "factor": None,
            "reachable": False,
            "allowed": [2, 4],
        },
    }


@pytest.mark.parametrize(
    ("source_width", "needed", "factor", "reachable"),
    [
        (4500, False, None, True),
        (2250, True, 2, True),
        (2249, True, 4, True),
        (1124, True, None, False),
    ],
)
def test_readiness_names_the_smallest_upscale_factor_reaching_the_print_dpi(
    source_width, needed, factor, reachable
):
    advice = readiness(source_width, source_width, 4500, 5400, Placement()).upscale_for_print

    assert (advice.needed, advice.factor, advice.reachable) == (needed, factor, reachable)


def test_readiness_never_advises_a_factor_the_size_limits_forbid():
    advice = readiness(2000, 2000, 4500, 5400, Placement(), upscale_factors=(2,)).upscale_for_print

    assert (advice.needed, advice.factor, advice.reachable) == (True, None, False)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("scale", 0),
        ("scale", -0.5),
        ("scale", 10.5),
        ("scale", float("nan")),
        ("angle", 361),
        ("angle", -400),
        ("x", 2.5),
        ("y", -1.5),
        ("x", float("inf")),
        ("x", "0.5"),
        ("angle", True),
    ],
)
def test_an_invalid_placement_is_a_value_error(field, value):
    with pytest.raises(ValueError, match=f"placement {field} must be"):
        Placement(**{field: value})


def test_placement_limits_are_inclusive():
    Placement(x=-1, y=2, scale=10, angle=-360)
    Placement(x=2, y=-1, scale=0.001, angle=360)


@pytest.mark.parametrize(
    ("width", "height", "message"),
    [
        (0, 100, "canvas width must be between 1 and 20000"),
        (100, 20001, "canvas height must be between 1 and 20000"),
        (100.0, 100, "canvas width must be a whole number"),
    ],
)
def test_an_invalid_canvas_is_a_value_error(square_png, width, height, message):
    with pytest.raises(ValueError, match=message):
        readiness(200, 200, width, height, Placement())
    with pytest.raises(ValueError, match=message):
        render_print_file(square_png, width, height, Placement())


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (b"not an image at all", "not a readable PNG, JPEG or WebP"),
        (encode(Image.new("RGB", (8, 8)), "GIF"), "not a readable PNG, JPEG or WebP"),
        (png_declaring_size(20_000, 20_000), "declares too many pixels"),
        (png_declaring_size(10_000, 10_000), "declares too many pixels"),
        (png_declaring_size(64, 64), "cannot be decoded"),
    ],
)
def test_an_unusable_source_is_a_value_error(source, message):
    with pytest.raises(ValueError, match=message):
        render_print_file(source, 100, 100, Placement())


def test_a_non_square_source_keeps_its_aspect_ratio_when_tall():
    source = encode(make_artwork(150, 300, seed=6), "PNG")

    print_file, image = render(source, 400, 500, scale=0.5)

    assert alpha_bbox(image) == (100, 50, 300, 450)
    assert (print_file.readiness.design_width_px, print_file.readiness.design_height_px) == (
        200,
        400,
    )


def test_an_alpha_source_keeps_its_transparency_and_colours():
    source = Image.new("RGBA", (200, 200), (0, 0, 0, 0))
    source.paste((30, 60, 220, 255), (50, 50, 150, 150))

    _, image = render(encode(source, "PNG"), 400, 400)

    left, top, right, bottom = alpha_bbox(image)
    assert (left, top) == pytest.approx((100, 100), abs=3)
    assert (right, bottom) == pytest.approx((300, 300), abs=3)
    assert image.getpixel((200, 200)) == (30, 60, 220, 255)
    assert image.getpixel((20, 20))[3] == 0
    pixels = np.asarray(image)
    edges = pixels[(pixels[..., 3] > 0) & (pixels[..., 3] < 255)]
    assert len(edges) > 0
    assert np.abs(edges[:, :3].astype(int) - (30, 60, 220)).max() <= 2


@pytest.mark.parametrize(
    ("fmt", "options"),
    [("JPEG", {"quality": 92}), ("WEBP", {"quality": 90}), ("WEBP", {"lossless": True})],
)
def test_jpeg_and_webp_sources_work(fmt, options):
    source = encode(make_artwork(300, 200, seed=7), fmt, **options)

    _, image = render(source, 300, 360)

    assert image.size == (300, 360) and image.mode == "RGBA"
    assert alpha_bbox(image) == (0, 80, 300, 280)


@pytest.mark.parametrize("mode", ["L", "LA", "P", "I;16", "CMYK"])
def test_grey_palette_16_bit_and_cmyk_sources_become_rgba(mode):
    picture = make_artwork(100, 100, seed=8)
    converted = picture.convert("I;16" if mode == "I;16" else mode)
    source = encode(converted, "JPEG" if mode == "CMYK" else "PNG")

    _, image = render(source, 100, 100)

    assert image.mode == "RGBA"
    assert alpha_bbox(image) == (0, 0, 100, 100)


def test_a_source_with_an_icc_profile_is_converted_to_untagged_srgb():
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    source = encode(Image.new("RGB", (50, 50), (200, 100, 50)), "PNG", icc_profile=profile)

    _, image = render(source, 50, 50)

    assert "icc_profile" not in image.info
    assert image.getpixel((25, 25)) == pytest.approx((200, 100, 50, 255), abs=2)
