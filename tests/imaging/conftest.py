"""Fixtures: the default limits and real images made with Pillow."""

from __future__ import annotations

import pytest
from PIL import Image

from gateway.app.imaging.validation import ImageLimits
from tests.imaging.images import MB, encode, make_artwork


@pytest.fixture
def limits() -> ImageLimits:
    return ImageLimits(max_bytes=10 * MB, max_dimension=8192)


@pytest.fixture(scope="session")
def picture() -> Image.Image:
    return make_artwork(800, 600, seed=1)


@pytest.fixture(scope="session")
def png_bytes(picture: Image.Image) -> bytes:
    return encode(picture, "PNG")


@pytest.fixture(scope="session")
def jpeg_bytes(picture: Image.Image) -> bytes:
    return encode(picture, "JPEG", quality=90)


@pytest.fixture(scope="session")
def webp_bytes(picture: Image.Image) -> bytes:
    return encode(picture, "WEBP", quality=90)
