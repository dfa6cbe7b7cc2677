"""process_image: one decode from upload bytes to a clean original, thumbnail, hash and report."""

from __future__ import annotations

import hashlib
import struct

import numpy as np
import pytest
from PIL import ExifTags, Image, ImageCms, ImageDraw, PngImagePlugin

from gateway.app.imaging import metadata
from gateway.app.imaging.phash import hamming_distance
from gateway.app.imaging.pipeline import process_image
from gateway.app.imaging.thumbnails import THUMBNAIL_SIZE
from gateway.app.imaging.validation import UnsupportedImageType
from tests.imaging.images import decode, encode, make_artwork

SRGB_PROFILE = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
SECRET = b"secret-marker"


def camera_exif(orientation: int = 1, x_resolution: float | None = None) -> Image.Exif:
    """EXIF as a phone writes it: maker, orientation and a GPS position."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = SECRET.decode()
    exif[ExifTags.Base.Orientation] = orientation
    if x_resolution is not None:
        exif[ExifTags.Base.XResolution] = x_resolution
        exif[ExifTags.Base.YResolution] = x_resolution
        exif[ExifTags.Base.ResolutionUnit] = 2
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (52.0, 22.0, 11.0),
    }
    return exif


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(decode(data).convert("RGBA"))


@pytest.mark.parametrize(
    ("fixture", "mime", "extension"),
    [
        ("png_bytes", "image/png", "png"),
        ("jpeg_bytes", "image/jpeg", "jpg"),
        ("webp_bytes", "image/webp", "webp"),
    ],
)
def test_valid_image_is_processed_into_all_its_parts(request, limits, fixture, mime, extension):
    data = request.getfixturevalue(fixture)

    result = process_image(data, limits, declared_filename=f"art.{extension}")

    assert (result.mime, result.extension) == (mime, extension)
    assert (result.width, result.height) == (800, 600)
    assert result.sha256 == hashlib.sha256(result.original).hexdigest()
    assert decode(result.original).size == (800, 600)
    assert 0 <= result.phash < 2**64
    assert result.quality.info["resolution"] == "800x600"


@pytest.mark.parametrize("fixture", ["png_bytes", "jpeg_bytes", "webp_bytes"])
def test_processing_is_deterministic_so_keys_are_content_addressed(request, limits, fixture):
    data = request.getfixturevalue(fixture)

    assert process_image(data, limits) == process_image(data, limits)


def test_rejections_propagate_unchanged(limits, png_bytes):
    with pytest.raises(UnsupportedImageType):
        process_image(png_bytes, limits, declared_filename="art.jpg")


def test_print_settings_reach_the_quality_report(limits, png_bytes):
    result = process_image(png_bytes, limits, print_dpi=150, print_width_inches=4)

    assert result.quality.info["dpi"] == 200
    assert result.quality.info["print_size_inches"] == {"width": 5.33, "height": 4.0}
    assert result.quality.warnings == []


def test_jpeg_exif_gps_xmp_and_comment_are_stripped_and_icc_kept(limits, picture):
    data = encode(
        picture,
        "JPEG",
        exif=camera_exif(),
        comment=SECRET,
        xmp=b"<x:xmpmeta>" + SECRET + b"</x:xmpmeta>",
        icc_profile=SRGB_PROFILE,
    )

    result = process_image(data, limits)

    assert SECRET in data
    assert SECRET not in result.original
    cleaned = decode(result.original)
    assert dict(cleaned.getexif()) == {}
    assert not {"exif", "xmp", "comment"} & cleaned.info.keys()
    assert cleaned.info["icc_profile"] == SRGB_PROFILE


def test_png_text_chunks_and_exif_are_stripped_and_icc_and_dpi_kept(limits, picture):
    text = PngImagePlugin.PngInfo()
    text.add_text("Author", SECRET.decode())
    text.add_itxt("Description", SECRET.decode(), zip=True)
    text.add_text("Comment", SECRET.decode(), zip=True)
    data = encode(
        picture,
        "PNG",
        pnginfo=text,
        exif=camera_exif(),
        icc_profile=SRGB_PROFILE,
        dpi=(300, 300),
    )

    result = process_image(data, limits)

    cleaned = decode(result.original)
    assert SECRET not in result.original
    assert cleaned.text == {}
    assert dict(cleaned.getexif()) == {}
    assert cleaned.info["icc_profile"] == SRGB_PROFILE
    assert round(cleaned.info["dpi"][0]) == result.dpi == 300


def test_webp_exif_and_xmp_are_stripped_and_icc_kept(limits, picture):
    data = encode(
        picture,
        "WEBP",
        exif=camera_exif(),
        xmp=b"<x:xmpmeta>" + SECRET + b"</x:xmpmeta>",
        icc_profile=SRGB_PROFILE,
    )

    result = process_image(data, limits)

    cleaned = decode(result.original)
    assert SECRET not in result.original
    assert not {"exif", "xmp"} & cleaned.info.keys()
    assert cleaned.info["icc_profile"] == SRGB_PROFILE


@pytest.mark.parametrize(
    ("fmt", "options"),
    [
        ("PNG", {}),
        ("JPEG", {"quality": 85}),
        ("JPEG", {"quality": 85, "progressive": True}),
        ("WEBP", {"quality": 80}),
        ("WEBP", {"lossless": True, "method": 0}),
    ],
)
def test_upright_original_keeps_its_pixels_exactly(limits, picture, fmt, options):
    data = encode(picture, fmt, exif=camera_exif(), **options)

    result = process_image(data, limits)

    assert np.array_equal(pixels(result.original), pixels(data))


def orientation_test_image() -> Image.Image:
    """A 200x100 image, blue with a red top-left corner."""
    image = Image.new("RGB", (200, 100), (0, 0, 255))
    ImageDraw.Draw(image).rectangle((0, 0, 49, 49), fill=(255, 0, 0))
    return image


@pytest.mark.parametrize(
    ("fmt", "options"),
    [
        ("JPEG", {"quality": 95}),
        ("PNG", {}),
        ("WEBP", {"lossless": True, "method": 0}),
        ("WEBP", {"quality": 90}),
    ],
)
def test_exif_orientation_is_applied_then_removed(limits, fmt, options):
    data = encode(orientation_test_image(), fmt, exif=camera_exif(orientation=6), **options)

    result = process_image(data, limits)

    upright = decode(result.original)
    assert (result.width, result.height) == upright.size == (100, 200)
    assert decode(result.thumbnail).size == (100, 200)
    red, blue = (255, 0, 0), (0, 0, 255)
    top_right = upright.convert("RGB").getpixel((90, 10))
    top_left = upright.convert("RGB").getpixel((10, 10))
    assert np.abs(np.subtract(top_right, red)).max() < 40
    assert np.abs(np.subtract(top_left, blue)).max() < 40
    assert ExifTags.Base.Orientation not in upright.getexif()
    assert SECRET not in result.original


def test_rotated_jpeg_is_reencoded_with_its_own_quantisation_tables(limits, picture):
    data = encode(picture, "JPEG", quality=77, exif=camera_exif(orientation=8))

    result = process_image(data, limits)

    assert decode(result.original).quantization == decode(data).quantization


def test_rotated_lossless_webp_stays_lossless(limits, picture):
    data = encode(picture, "WEBP", lossless=True, method=0, exif=camera_exif(orientation=3))

    result = process_image(data, limits)

    assert metadata.webp_is_lossless(result.original)
    assert np.array_equal(pixels(result.original), pixels(data)[::-1, ::-1])


def test_declared_dpi_comes_from_jfif(limits, picture):
    result = process_image(encode(picture, "JPEG", dpi=(300, 300)), limits)

    assert result.dpi == 300


def test_declared_dpi_only_in_exif_survives_stripping_as_jfif(limits, picture):
    data = encode(picture, "JPEG", exif=camera_exif(x_resolution=240.0))

    result = process_image(data, limits)

    assert result.dpi == 240
    assert decode(result.original).info["dpi"] == (240, 240)
    assert SECRET not in result.original


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_undeclared_dpi_is_none_not_a_guess(limits, picture, fmt):
    assert process_image(encode(picture, fmt, exif=camera_exif()), limits).dpi is None


@pytest.mark.parametrize(
    "exif_payload",
    [
        pytest.param(b"II*\x00\x08\x00\x00\x00\xff\xff" + b"\x01" * 30, id="too-many-entries"),
        pytest.param(
            b"MM\x00*\x00\x00\x00\x08\x00\x02\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06"
            b"\x00\x00\x01\x1a\x00\x05\x00\x00\x00\x01\xff\xff\xff\x00",
            id="value-past-the-end",
        ),
    ],
)
def test_corrupt_exif_neither_fails_the_upload_nor_warns(limits, picture, exif_payload):
    segment = b"Exif\x00\x00" + exif_payload
    jpeg = encode(picture, "JPEG")
    data = jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(segment) + 2) + segment + jpeg[2:]

    result = process_image(data, limits)

    assert (result.width, result.height) in {(800, 600), (600, 800)}
    assert exif_payload not in result.original


def test_camera_mpo_keeps_only_its_primary_image(limits, picture):
    preview = make_artwork(200, 150, seed=9)
    data = encode(picture, "MPO", save_all=True, append_images=[preview])

    result = process_image(data, limits, declared_filename="IMG_0001.jpg")

    cleaned = decode(result.original)
    assert (result.mime, cleaned.format, cleaned.size) == ("image/jpeg", "JPEG", (800, 600))
    assert b"MPF\x00" not in result.original
    assert len(result.original) < len(data) - 1000


def test_palette_png_with_transparency_stays_lossless(limits):
    palette = make_artwork(200, 150).convert("P", palette=Image.Palette.ADAPTIVE, colors=64)
    data = encode(palette, "PNG", transparency=0)

    result = process_image(data, limits)

    assert np.array_equal(pixels(result.original), pixels(data))
    assert decode(result.thumbnail).mode == "RGBA"


def test_large_jpeg_hashes_the_same_from_its_reduced_decode(limits):
    big = make_artwork(1600, 1200, seed=4)

    from_draft = process_image(encode(big, "JPEG", quality=92), limits).phash
    from_full = process_image(encode(big, "PNG"), limits).phash

    assert hamming_distance(from_draft, from_full) <= 2


def test_thumbnail_is_webp_within_the_thumbnail_square(limits, png_bytes):
    thumbnail = decode(process_image(png_bytes, limits).thumbnail)

    assert thumbnail.format == "WEBP"
    assert thumbnail.size == (THUMBNAIL_SIZE, 384)
