"""64-bit perceptual hashes, their distance, and the bands a database indexes to find duplicates.

Two hashes within Hamming distance 7 differ in at most 7 of the 8 bands, so they share at least one
band exactly (pigeonhole): looking up rows equal on any band finds every candidate, and the exact
distance then filters them.
"""

from __future__ import annotations

import imagehash
from PIL import Image

HASH_BITS = 64
BAND_COUNT = 8
BAND_BITS = HASH_BITS // BAND_COUNT
MAX_GUARANTEED_DISTANCE = BAND_COUNT - 1

_MASK = (1 << HASH_BITS) - 1
_BAND_MASK = (1 << BAND_BITS) - 1
_SIGN_BIT = 1 << (HASH_BITS - 1)


def perceptual_hash(image: Image.Image) -> int:
    """The 8x8 DCT perceptual hash of `image` as an unsigned 64-bit integer.

    Transparent pixels are judged over white, as the artwork would be seen, not by the colour
    values hidden under them.
    """
    if image.has_transparency_data:
        rgba = image.convert("RGBA")
        image = Image.new("RGB", rgba.size, "white")
        image.paste(rgba, mask=rgba.getchannel("A"))
    return int(str(imagehash.phash(image, hash_size=8)), 16)


def hamming_distance(a: int, b: int) -> int:
    """How many of the 64 bits differ; signed and unsigned forms of a hash compare equal."""
    return ((a ^ b) & _MASK).bit_count()


def hash_bands(h: int) -> tuple[int, ...]:
    """The hash cut into 8 bands of 8 bits, most significant first."""
    h = unsigned64(h)
    return tuple(
        (h >> (HASH_BITS - BAND_BITS * (index + 1))) & _BAND_MASK for index in range(BAND_COUNT)
    )


def signed64(h: int) -> int:
    """The unsigned 64-bit hash as the signed value a BIGINT column can store."""
    if not 0 <= h <= _MASK:
        raise ValueError(f"{h} is not an unsigned 64-bit value")
    return h - (1 << HASH_BITS) if h & _SIGN_BIT else h


def unsigned64(h: int) -> int:
    """The hash as an unsigned 64-bit value, whether given signed (from BIGINT) or unsigned."""
    if not -_SIGN_BIT <= h <= _MASK:
        raise ValueError(f"{h} does not fit in 64 bits")
    return h & _MASK
