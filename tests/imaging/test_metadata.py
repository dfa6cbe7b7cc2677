"""Container rewriting: metadata out, image data byte for byte, broken structure refused."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from PIL import Image

from gateway.app.imaging.metadata import (
    MalformedImageFile,
    strip_jpeg,
    strip_png,
    strip_webp,
    webp_is_lossless,
)
from tests.imaging.images import decode, encode, make_artwork

TRAILER = b"appended after the end of the image"


def maker_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "maker"
    return exif


@pytest.fixture(scope="module")
def small() -> Image.Image:
    return make_artwork(96, 64, seed=3)


def same_pixels(a: bytes, b: bytes) -> bool:
    return np.array_equal(
        np.asarray(decode(a).convert("RGBA")), np.asarray(decode(b).convert("RGBA"))
    )


def test_png_keeps_rendering_chunks_and_drops_the_rest(small):
    data = encode(small, "PNG", dpi=(300, 300), exif=maker_exif())

    stripped = strip_png(data + TRAILER)

    assert b"pHYs" in stripped
    assert b"eXIf" in data and b"eXIf" not in stripped
    assert stripped.endswith(b"IEND\xaeB`\x82")
    assert same_pixels(stripped, data)


def test_png_without_iend_is_malformed(small):
    data = encode(small, "PNG")

    with pytest.raises(MalformedImageFile, match="IEND"):
        strip_png(data[:-12])


def test_png_chunk_running_past_the_end_is_malformed(small):
    data = encode(small, "PNG")

    with pytest.raises(MalformedImageFile, match="past the end"):
        strip_png(data[:60])


def test_jpeg_drops_everything_after_its_end_marker(small):
    data = encode(small, "JPEG")

    stripped = strip_jpeg(data + TRAILER)

    assert stripped == data


def test_jpeg_segments_between_progressive_scans_are_kept(small):
    data = encode(small, "JPEG", progressive=True, comment=b"note")

    stripped = strip_jpeg(data)

    assert b"note" not in stripped
    assert stripped.count(b"\xff\xda") == data.count(b"\xff\xda") > 1
    assert same_pixels(stripped, data)


def test_jpeg_can_declare_a_dpi_in_a_fresh_jfif_header(small):
    data = encode(small, "JPEG")

    stripped = strip_jpeg(data, jfif_dpi=300)

    assert decode(stripped).info["dpi"] == (300, 300)
    assert stripped.count(b"JFIF\x00") == 1
    assert same_pixels(stripped, data)


def test_jpeg_cut_inside_its_image_data_is_malformed(small):
    data = encode(small, "JPEG")

    with pytest.raises(MalformedImageFile, match="image data"):
        strip_jpeg(data[: len(data) - 200])


def test_jpeg_cut_inside_a_segment_is_malformed(small):
    data = encode(small, "JPEG", comment=b"x" * 500)

    with pytest.raises(MalformedImageFile, match="past the end"):
        strip_jpeg(data[:100])


@pytest.mark.parametrize("options", [{"quality": 80}, {"lossless": True, "method": 0}])
def test_webp_drops_exif_and_xmp_and_their_flags(small, options):
    data = encode(small, "WEBP", exif=maker_exif(), xmp=b"<x/>", **options)

    stripped = strip_webp(data + TRAILER)

    assert b"EXIF" in data and b"EXIF" not in stripped
    assert b"XMP " not in stripped
    assert struct.unpack_from("<I", stripped, 4)[0] == len(stripped) - 8
    flags = stripped[20]
    assert flags & 0x0C == 0
    assert not {"exif", "xmp"} & decode(stripped).info.keys()
    assert same_pixels(stripped, data)


def test_simple_webp_without_metadata_is_unchanged(small):
    data = encode(small, "WEBP", quality=80)

    assert strip_webp(data) == data


def test_webp_shorter_than_its_riff_header_is_malformed(small):
    data = encode(small, "WEBP", quality=80)

    with pytest.raises(MalformedImageFile, match="shorter"):
        strip_webp(data[:-10])


@pytest.mark.parametrize(
    ("options", "lossless"), [({"quality": 90}, False), ({"lossless": True}, True)]
)
def test_webp_lossless_is_told_from_its_bitstream_chunk(small, options, lossless):
    assert webp_is_lossless(encode(small, "WEBP", **options)) is lossless


@pytest.mark.parametrize("strip", [strip_png, strip_jpeg, strip_webp])
def test_wrong_container_is_malformed(strip):
    with pytest.raises(MalformedImageFile, match="not a"):
        strip(b"plain text")
