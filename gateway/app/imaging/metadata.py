"""Remove metadata from PNG, JPEG and WebP files by rewriting their containers, not their pixels.

Each function copies the compressed image data byte for byte and keeps what rendering needs (colour
profile, transparency, gamma, resolution), dropping EXIF, XMP, IPTC, comments, text chunks, embedded
previews and anything after the end of the image. Nothing is decoded or re-encoded, so the result
is lossless and fast.
"""

from __future__ import annotations

import re
import struct

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_KEPT_ANCILLARY = frozenset(
    {b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT", b"pHYs", b"bKGD", b"cICP"}
)

_JPEG_SOI = b"\xff\xd8"
_JPEG_EOI = 0xD9
_JPEG_SOS = 0xDA
_JPEG_APP0 = 0xE0
_JPEG_COM = 0xFE
_JPEG_KEPT_APP = {
    0xE0: (b"JFIF\x00", b"JFXX\x00"),
    0xE2: (b"ICC_PROFILE\x00",),
    0xEE: (b"Adobe",),
}
_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})
# In entropy-coded data 0xFF is always followed by a stuffed 0x00 or a restart marker; any other
# byte after 0xFF ends the scan.
_JPEG_SCAN_END = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")

_WEBP_DROPPED_CHUNKS = frozenset({b"EXIF", b"XMP "})
_WEBP_VP8X_METADATA_FLAGS = 0x08 | 0x04


class MalformedImageFile(ValueError):
    """The container structure is broken: truncated, or a length pointing past the end."""


def strip_png(data: bytes) -> bytes:
    """The PNG without text, EXIF, time or unknown ancillary chunks, and nothing after IEND."""
    if not data.startswith(_PNG_SIGNATURE):
        raise MalformedImageFile("not a PNG file")
    out = [_PNG_SIGNATURE]
    pos = len(_PNG_SIGNATURE)
    while True:
        if pos + 8 > len(data):
            raise MalformedImageFile("PNG ends before its IEND chunk")
        length, chunk_type = struct.unpack_from(">I4s", data, pos)
        end = pos + 12 + length
        if end > len(data):
            raise MalformedImageFile(f"PNG chunk {chunk_type!r} runs past the end of the file")
        critical = chunk_type[:1].isupper()
        if critical or chunk_type in _PNG_KEPT_ANCILLARY:
            out.append(data[pos:end])
        if chunk_type == b"IEND":
            return b"".join(out)
        pos = end


def strip_jpeg(data: bytes, *, jfif_dpi: int | None = None) -> bytes:
    """The JPEG's first image without EXIF, XMP, IPTC, comments or multi-picture data.

    JFIF, ICC profile and Adobe colour segments are kept. With `jfif_dpi`, the JFIF header is
    written afresh to declare that resolution, so a DPI that only EXIF carried survives.
    """
    if not data.startswith(_JPEG_SOI):
        raise MalformedImageFile("not a JPEG file")
    out = [_JPEG_SOI]
    if jfif_dpi is not None:
        out.append(_jfif_segment(jfif_dpi))
    pos = 2
    while True:
        marker, pos = _next_jpeg_marker(data, pos)
        if marker == _JPEG_EOI:
            out.append(b"\xff\xd9")
            return b"".join(out)
        if marker in _JPEG_STANDALONE:
            out.append(bytes((0xFF, marker)))
            continue
        if pos + 2 > len(data):
            raise MalformedImageFile("JPEG ends inside a segment header")
        end = pos + struct.unpack_from(">H", data, pos)[0]
        if end > len(data):
            raise MalformedImageFile(f"JPEG segment 0x{marker:02X} runs past the end of the file")
        if _keep_jpeg_segment(marker, data[pos + 2 : end], replacing_jfif=jfif_dpi is not None):
            out.append(data[pos - 2 : end])
        pos = end
        if marker == _JPEG_SOS:
            scan_end = _JPEG_SCAN_END.search(data, pos)
            if scan_end is None:
                raise MalformedImageFile("JPEG ends inside its image data")
            out.append(data[pos : scan_end.start()])
            pos = scan_end.start()


def strip_webp(data: bytes) -> bytes:
    """The WebP without EXIF and XMP chunks (and their VP8X flags), and nothing after the RIFF."""
    if not (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        raise MalformedImageFile("not a WebP file")
    riff_end = 8 + struct.unpack_from("<I", data, 4)[0]
    if riff_end > len(data):
        raise MalformedImageFile("WebP is shorter than its RIFF header says")
    chunks = []
    for fourcc, start, size in _webp_chunks(data, riff_end):
        if fourcc in _WEBP_DROPPED_CHUNKS:
            continue
        chunk = data[start : start + 8 + size] + b"\x00" * (size & 1)
        if fourcc == b"VP8X":
            flags = chunk[8] & ~_WEBP_VP8X_METADATA_FLAGS
            chunk = chunk[:8] + bytes((flags,)) + chunk[9:]
        chunks.append(chunk)
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def webp_is_lossless(data: bytes) -> bool:
    """Whether the WebP's image is VP8L (lossless) rather than VP8 (lossy)."""
    riff_end = min(len(data), 8 + struct.unpack_from("<I", data, 4)[0])
    return any(fourcc == b"VP8L" for fourcc, _, _ in _webp_chunks(data, riff_end))


def _webp_chunks(data: bytes, riff_end: int) -> list[tuple[bytes, int, int]]:
    """(FourCC, start offset, payload size) of each chunk; a final missing pad byte is tolerated."""
    chunks = []
    pos = 12
    while pos + 8 <= riff_end:
        fourcc, size = struct.unpack_from("<4sI", data, pos)
        if pos + 8 + size > riff_end:
            raise MalformedImageFile(f"WebP chunk {fourcc!r} runs past the end of the file")
        chunks.append((fourcc, pos, size))
        pos += 8 + size + (size & 1)
    return chunks


def _next_jpeg_marker(data: bytes, pos: int) -> tuple[int, int]:
    if pos + 2 > len(data) or data[pos] != 0xFF:
        raise MalformedImageFile(f"JPEG has no marker at byte {pos}")
    while pos + 1 < len(data) and data[pos + 1] == 0xFF:
        pos += 1
    if pos + 1 >= len(data):
        raise MalformedImageFile("JPEG ends before its end-of-image marker")
    return data[pos + 1], pos + 2


def _keep_jpeg_segment(marker: int, payload: bytes, *, replacing_jfif: bool) -> bool:
    if marker == _JPEG_COM:
        return False
    if not 0xE0 <= marker <= 0xEF:
        return True
    if replacing_jfif and marker == _JPEG_APP0 and payload.startswith(b"JFIF\x00"):
        return False
    return payload.startswith(_JPEG_KEPT_APP.get(marker, ()))


def _jfif_segment(dpi: int) -> bytes:
    density = max(1, min(dpi, 0xFFFF))
    payload = b"JFIF\x00" + struct.pack(">BBBHHBB", 1, 1, 1, density, density, 0, 0)
    return b"\xff\xe0" + struct.pack(">H", len(payload) + 2) + payload
