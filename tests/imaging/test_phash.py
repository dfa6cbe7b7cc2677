"""Perceptual hashes: near-duplicates land close, different art lands far, bands index them."""

from __future__ import annotations

import itertools
import random

import pytest
from PIL import Image, ImageDraw, ImageEnhance

from gateway.app.imaging.phash import (
    MAX_GUARANTEED_DISTANCE,
    hamming_distance,
    hash_bands,
    perceptual_hash,
    signed64,
    unsigned64,
)
from gateway.app.imaging.pipeline import process_image
from tests.imaging.images import encode, make_artwork

NEAR = 6
FAR = 16


def pipeline_hash(image: Image.Image, limits, fmt: str = "PNG", **options: object) -> int:
    return process_image(encode(image, fmt, **options), limits).phash


def watermarked(image: Image.Image) -> Image.Image:
    copy = image.copy()
    ImageDraw.Draw(copy).text((20, 20), "SAMPLE", fill="white")
    return copy


@pytest.mark.parametrize(
    ("change", "fmt", "options"),
    [
        pytest.param(lambda image: image, "JPEG", {"quality": 60}, id="recompressed-jpeg"),
        pytest.param(lambda image: image, "WEBP", {"quality": 70}, id="lossy-webp"),
        pytest.param(lambda image: image.resize((720, 540)), "PNG", {}, id="resized"),
        pytest.param(
            lambda image: ImageEnhance.Brightness(image).enhance(1.05), "PNG", {}, id="brighter"
        ),
        pytest.param(watermarked, "PNG", {}, id="watermarked"),
    ],
)
def test_slightly_modified_copy_is_a_near_duplicate(limits, picture, change, fmt, options):
    original = pipeline_hash(picture, limits)

    modified = pipeline_hash(change(picture), limits, fmt, **options)

    assert hamming_distance(original, modified) <= NEAR


def test_different_images_are_far_apart(limits):
    hashes = [pipeline_hash(make_artwork(400, 300, seed=seed), limits) for seed in range(10, 16)]

    distances = [hamming_distance(a, b) for a, b in itertools.combinations(hashes, 2)]

    assert min(distances) >= FAR


def test_thumbnail_sized_image_hashes_like_full_resolution(picture):
    thumbnail = picture.resize((512, 384), Image.Resampling.LANCZOS)

    assert hamming_distance(perceptual_hash(picture), perceptual_hash(thumbnail)) <= 2


def test_hidden_colour_under_transparent_pixels_does_not_change_the_hash():
    visible = make_artwork(256, 256).convert("RGBA")
    hidden_black, hidden_white = visible.copy(), visible.copy()
    box = (0, 0, 128, 256)
    hidden_black.paste((0, 0, 0, 0), box)
    hidden_white.paste((255, 255, 255, 0), box)

    assert perceptual_hash(hidden_black) == perceptual_hash(hidden_white)


def test_hash_is_an_unsigned_64_bit_integer(picture):
    value = perceptual_hash(picture)

    assert isinstance(value, int)
    assert 0 <= value < 2**64


def test_hash_bands_are_eight_bytes_most_significant_first():
    assert hash_bands(0x0102030405060708) == (1, 2, 3, 4, 5, 6, 7, 8)
    assert hash_bands(signed64(0xFF00000000000000)) == (255, 0, 0, 0, 0, 0, 0, 0)


def test_hashes_within_seven_bits_always_share_a_band():
    rng = random.Random(7)
    for _ in range(2000):
        a = rng.getrandbits(64)
        flips = rng.sample(range(64), rng.randint(0, MAX_GUARANTEED_DISTANCE))
        b = a
        for bit in flips:
            b ^= 1 << bit

        assert hamming_distance(a, b) == len(flips)
        assert any(x == y for x, y in zip(hash_bands(a), hash_bands(b), strict=True))


def test_eight_bits_apart_may_share_no_band():
    a = 0
    b = sum(1 << (8 * band) for band in range(8))

    assert hamming_distance(a, b) == 8
    assert all(x != y for x, y in zip(hash_bands(a), hash_bands(b), strict=True))


@pytest.mark.parametrize("value", [0, 1, 2**63 - 1, 2**63, 2**64 - 1])
def test_signed_form_round_trips_and_fits_bigint(value):
    stored = signed64(value)

    assert -(2**63) <= stored < 2**63
    assert unsigned64(stored) == value
    assert hamming_distance(stored, value) == 0


@pytest.mark.parametrize("value", [-1, 2**64])
def test_signed64_refuses_values_outside_unsigned_64_bits(value):
    with pytest.raises(ValueError, match="64-bit"):
        signed64(value)


@pytest.mark.parametrize("value", [-(2**63) - 1, 2**64])
def test_unsigned64_refuses_values_outside_64_bits(value):
    with pytest.raises(ValueError, match="64 bits"):
        unsigned64(value)
