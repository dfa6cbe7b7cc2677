"""Thumbnails: WebP, inside the square, never enlarged, display-ready whatever the source mode."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageCms

from gateway.app.imaging.thumbnails import (
    THUMBNAIL_SIZE,
    draft_for_thumbnail,
    encode_thumbnail,
    make_thumbnail,
    thumbnail_dimensions,
    thumbnail_icc_profile,
)
from tests.imaging.images import decode, encode, make_artwork


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ((1024, 1024), (512, 512)),
        ((4000, 1000), (512, 128)),
        ((1000, 4000), (128, 512)),
        ((300, 200), (300, 200)),
        ((10_000, 3), (512, 1)),
    ],
)
def test_thumbnail_dimensions_fit_the_square_without_enlarging(size, expected):
    assert thumbnail_dimensions(*size) == expected


def test_jpeg_decodes_at_the_smallest_dct_scale_that_still_covers_the_thumbnail():
    image = Image.open(io.BytesIO(encode(make_artwork(2048, 1536), "JPEG")))

    draft_for_thumbnail(image)
    image.load()

    assert image.size == (512, 384)


def test_png_ignores_the_draft_request():
    image = Image.open(io.BytesIO(encode(make_artwork(1024, 768), "PNG")))

    draft_for_thumbnail(image)

    assert image.size == (1024, 768)


def test_thumbnail_is_webp_and_fits_the_square():
    thumbnail = make_thumbnail(make_artwork(1200, 700))

    data = encode_thumbnail(thumbnail, icc_profile=None)

    decoded = decode(data)
    assert decoded.format == "WEBP"
    assert max(decoded.size) == THUMBNAIL_SIZE
    assert decoded.size == (512, 299)


def test_small_image_is_not_enlarged():
    assert make_thumbnail(make_artwork(100, 80)).size == (100, 80)


def test_transparent_image_keeps_its_alpha():
    image = make_artwork(800, 800).convert("RGBA")
    image.putalpha(Image.linear_gradient("L").resize((800, 800)))

    thumbnail = decode(encode_thumbnail(make_thumbnail(image), icc_profile=None))

    assert thumbnail.mode == "RGBA"
    assert thumbnail.getchannel("A").getextrema() != (255, 255)


def test_sixteen_bit_grey_is_scaled_not_clipped():
    ramp = np.linspace(0, 65535, 256 * 256).reshape(256, 256).astype(np.uint16)
    image = decode(encode(Image.fromarray(ramp), "PNG"))

    thumbnail = make_thumbnail(image)

    assert thumbnail.mode == "RGB"
    assert 120 < np.asarray(thumbnail).mean() < 135


@pytest.mark.parametrize("mode", ["L", "CMYK", "1", "P", "LA"])
def test_every_source_mode_becomes_rgb_or_rgba(mode):
    thumbnail = make_thumbnail(make_artwork(600, 600).convert(mode))

    assert thumbnail.mode in {"RGB", "RGBA"}
    assert thumbnail.size == (512, 512)


def test_rgb_colour_profile_carries_over_to_the_thumbnail():
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    source = decode(encode(make_artwork(600, 400), "PNG", icc_profile=profile))

    data = encode_thumbnail(make_thumbnail(source), icc_profile=thumbnail_icc_profile(source))

    assert decode(data).info["icc_profile"] == profile


def test_non_rgb_colour_profile_is_not_attached_after_conversion():
    source = make_artwork(64, 64).convert("CMYK")
    source.info["icc_profile"] = b"a CMYK profile"

    assert thumbnail_icc_profile(source) is None
