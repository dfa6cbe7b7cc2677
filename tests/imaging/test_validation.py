"""Which bytes are accepted as images, and with which error code and status the rest are refused."""

from __future__ import annotations

import pytest
from PIL import Image

from gateway.app.imaging.validation import (
    FileTooLarge,
    ImageLimits,
    ImageRejected,
    InvalidImage,
    UnsupportedImageType,
    decoding,
    detect_format,
    open_image,
)
from tests.imaging.images import (
    MB,
    encode,
    jpeg_declaring_size,
    make_artwork,
    png_declaring_size,
)


def refusal(data: bytes, limits: ImageLimits, filename: str | None = None) -> ImageRejected:
    """The error `open_image` and a full decode raise for `data`; fails the test if none."""
    with pytest.raises(ImageRejected) as caught:
        image = open_image(data, limits, declared_filename=filename)
        with decoding(str(image.format)):
            image.load()
    return caught.value


@pytest.mark.parametrize(
    ("fixture", "expected"), [("png_bytes", "PNG"), ("jpeg_bytes", "JPEG"), ("webp_bytes", "WEBP")]
)
def test_detect_format_reads_magic_bytes(request, fixture, expected):
    assert detect_format(request.getfixturevalue(fixture)) == expected


@pytest.mark.parametrize("data", [b"", b"hello", b"GIF89a....", b"RIFF\x00\x00\x00\x00WAVE"])
def test_detect_format_is_none_for_anything_else(data):
    assert detect_format(data) is None


@pytest.mark.parametrize(
    ("fixture", "filename"),
    [
        ("png_bytes", "art.png"),
        ("png_bytes", "ART.PNG"),
        ("jpeg_bytes", "photo.jpg"),
        ("jpeg_bytes", "photo.jpeg"),
        ("webp_bytes", "art.webp"),
        ("png_bytes", None),
        ("png_bytes", "no-extension"),
    ],
)
def test_valid_images_open_lazily_with_their_size(request, limits, fixture, filename):
    image = open_image(request.getfixturevalue(fixture), limits, declared_filename=filename)

    assert image.size == (800, 600)


def test_png_renamed_jpg_is_refused_with_415(limits, png_bytes):
    error = refusal(png_bytes, limits, "artwork.jpg")

    assert isinstance(error, UnsupportedImageType)
    assert (error.code, error.status) == ("UNSUPPORTED_MEDIA_TYPE", 415)
    assert error.message == "file content is PNG but the name says .jpg"


def test_windows_path_in_filename_is_judged_by_its_extension(limits, jpeg_bytes):
    error = refusal(jpeg_bytes, limits, "C:\\Users\\me\\art.webp")

    assert error.message == "file content is JPEG but the name says .webp"


def test_text_file_named_png_is_refused_with_415(limits):
    error = refusal(b"just some text, honestly\n" * 10, limits, "notes.png")

    assert isinstance(error, UnsupportedImageType)
    assert error.status == 415
    assert "not a PNG, JPEG or WebP" in error.message


@pytest.mark.parametrize(
    ("fmt", "name"), [("GIF", "GIF"), ("TIFF", "TIFF"), ("BMP", "PNG, JPEG or WebP")]
)
def test_other_image_formats_are_refused_with_415(limits, fmt, name):
    data = encode(make_artwork(64, 64), fmt)

    error = refusal(data, limits, f"picture.{fmt.lower()}")

    assert isinstance(error, UnsupportedImageType)
    assert name in error.message


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_animated_images_are_refused_with_415(limits, fmt):
    frames = [make_artwork(64, 64, seed=seed) for seed in range(3)]
    data = encode(frames[0], fmt, save_all=True, append_images=frames[1:])

    error = refusal(data, limits)

    assert isinstance(error, UnsupportedImageType)
    assert "animated" in error.message


@pytest.mark.parametrize("fixture", ["png_bytes", "jpeg_bytes", "webp_bytes"])
def test_truncated_image_is_refused_with_400(request, limits, fixture):
    data = request.getfixturevalue(fixture)

    error = refusal(data[: len(data) * 2 // 3], limits)

    assert isinstance(error, InvalidImage)
    assert (error.code, error.status) == ("VALIDATION_ERROR", 400)


def test_image_with_only_a_signature_is_refused_with_400(limits):
    error = refusal(b"\x89PNG\r\n\x1a\n", limits, "x.png")

    assert isinstance(error, InvalidImage)


def test_empty_file_is_refused_with_400(limits):
    assert isinstance(refusal(b"", limits), InvalidImage)


def test_zero_width_image_is_refused_with_400(limits):
    assert isinstance(refusal(png_declaring_size(0, 10), limits), InvalidImage)


def test_side_over_max_dimension_is_refused_with_400(limits):
    error = refusal(png_declaring_size(9000, 100), limits)

    assert isinstance(error, InvalidImage)
    assert "8192" in error.message


def test_20_mb_file_over_10_mb_limit_is_refused_with_413(limits, png_bytes):
    data = png_bytes + bytes(20 * MB - len(png_bytes))

    error = refusal(data, limits)

    assert isinstance(error, FileTooLarge)
    assert (error.code, error.status) == ("FILE_TOO_LARGE", 413)
    assert error.message == "file is 20.0 MB; the limit is 10.0 MB"


def test_file_exactly_at_byte_limit_is_accepted(png_bytes):
    limits = ImageLimits(max_bytes=len(png_bytes), max_dimension=8192)

    assert open_image(png_bytes, limits).size == (800, 600)


@pytest.mark.parametrize(
    ("data", "limits"),
    [
        pytest.param(
            png_declaring_size(30_000, 30_000),
            ImageLimits(max_bytes=MB, max_dimension=8192),
            id="png-past-pillow-error-threshold",
        ),
        pytest.param(
            png_declaring_size(10_000, 10_000),
            ImageLimits(max_bytes=MB, max_dimension=20_000, max_pixels=400_000_000),
            id="png-past-pillow-warning-threshold",
        ),
        pytest.param(
            png_declaring_size(8000, 8000),
            ImageLimits(max_bytes=MB, max_dimension=8192),
            id="png-past-our-pixel-limit",
        ),
        pytest.param(
            jpeg_declaring_size(60_000, 60_000),
            ImageLimits(max_bytes=MB, max_dimension=8192),
            id="jpeg-past-pillow-error-threshold",
        ),
    ],
)
def test_decompression_bomb_is_refused_with_413_before_decoding(data, limits):
    assert len(data) < 1024

    error = refusal(data, limits)

    assert isinstance(error, FileTooLarge)
    assert error.status == 413


def test_default_pixel_limit_is_half_the_square_of_the_side_limit():
    assert ImageLimits(max_bytes=1, max_dimension=8192).max_pixels == 8192 * 8192 // 2
    assert ImageLimits(max_bytes=1, max_dimension=100, max_pixels=5).max_pixels == 5


@pytest.mark.parametrize(("max_bytes", "max_dimension"), [(0, 10), (10, 0), (-1, 10)])
def test_limits_must_be_positive(max_bytes, max_dimension):
    with pytest.raises(ValueError, match="positive"):
        ImageLimits(max_bytes=max_bytes, max_dimension=max_dimension)


def test_pillow_pixel_limit_is_left_as_it_was(limits):
    before = Image.MAX_IMAGE_PIXELS

    refusal(png_declaring_size(30_000, 30_000), limits)

    assert before == Image.MAX_IMAGE_PIXELS
