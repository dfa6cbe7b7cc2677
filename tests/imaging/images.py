"""Build real test images with Pillow, and craft the malformed ones."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image, ImageDraw

MB = 1024 * 1024


def make_artwork(width: int, height: int, seed: int = 0) -> Image.Image:
    """A structured RGB picture: random smooth waves per channel, overlaid with solid shapes."""
    rng = np.random.default_rng(seed)
    x = np.arange(width, dtype=np.float32) / max(width, height)
    y = np.arange(height, dtype=np.float32) / max(width, height)
    channels = []
    for _ in range(3):
        value = np.zeros((height, width), dtype=np.float32)
        for _ in range(3):
            fx, fy = rng.uniform(-3, 3, size=2)
            across = 2 * np.pi * fx * x + rng.uniform(0, 2 * np.pi)
            down = 2 * np.pi * fy * y
            # sin(a + b) = sin a cos b + cos a sin b: two outer products, no full-size trig.
            value += np.outer(np.cos(down), np.sin(across)) + np.outer(np.sin(down), np.cos(across))
        channels.append((value - value.min()) / (np.ptp(value) or 1) * 255)
    image = Image.fromarray(np.stack(channels, axis=-1).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x0, x1 = sorted(rng.integers(0, width, size=2))
        y0, y1 = sorted(rng.integers(0, height, size=2))
        colour = tuple(int(c) for c in rng.integers(0, 256, size=3))
        draw.ellipse((x0, y0, x1 + 10, y1 + 10), fill=colour)
    return image


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    """`image` saved as `fmt` with Pillow's `options`."""
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def decode(data: bytes) -> Image.Image:
    """The fully decoded image in `data`."""
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def png_declaring_size(width: int, height: int) -> bytes:
    """A tiny, well-formed PNG whose IHDR (with a correct CRC) claims `width` x `height`."""
    data = bytearray(encode(Image.new("L", (1, 1)), "PNG"))
    ihdr_payload = 16  # signature (8) + length (4) + type (4)
    struct.pack_into(">II", data, ihdr_payload, width, height)
    crc = zlib.crc32(bytes(data[12 : ihdr_payload + 13]))
    struct.pack_into(">I", data, ihdr_payload + 13, crc)
    return bytes(data)


def jpeg_declaring_size(width: int, height: int) -> bytes:
    """A small baseline JPEG whose SOF0 header claims `width` x `height`."""
    data = bytearray(encode(Image.new("RGB", (8, 8), "red"), "JPEG"))
    sof = data.index(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, height, width)
    return bytes(data)
