"""The local backend's upscale mode: a resample to exactly factor x the size, then a sharpen
that restores edges without changing what the design shows."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest
from PIL import Image, ImageChops, ImageFilter, ImageStat

from gateway.app.generation.backends.base import GenerationCancelled, InputRejected
from gateway.app.generation.backends.local import LocalBackend
from gateway.app.generation.backends.local.upscale import upscale_png
from tests.conftest import artwork
from tests.generation.backends.test_local import FakeControl, decode, encode, make_request


def _edge_energy(image: Image.Image) -> float:
    """The mean strength of edges: how crisp the picture is."""
    edges = image.convert("L").filter(ImageFilter.FIND_EDGES)
    return ImageStat.Stat(edges).mean[0]


@pytest.mark.parametrize("factor", [2, 4])
@pytest.mark.parametrize(("width", "height"), [(200, 120), (97, 311)])
def test_the_output_is_exactly_factor_times_the_source(factor, width, height):
    result = decode(upscale_png(artwork(width, height), factor))
    assert result.format == "PNG"
    assert result.size == (width * factor, height * factor)


@pytest.mark.parametrize("factor", [2, 4])
def test_sharpening_keeps_the_content(factor):
    source = decode(artwork(240, 240, seed=5)).convert("RGB")
    result = decode(upscale_png(encode(source), factor)).convert("RGB")
    back = result.resize(source.size, Image.Resampling.LANCZOS)
    difference = ImageStat.Stat(ImageChops.difference(back, source)).mean
    assert max(difference) < 4, difference


def test_sharpening_gives_crisper_edges_than_the_resample_alone():
    source = decode(artwork(240, 240, seed=5)).convert("RGB")
    plain = source.resize((960, 960), Image.Resampling.BICUBIC)
    sharpened = decode(upscale_png(encode(source), 4))
    assert _edge_energy(sharpened) > _edge_energy(plain) * 1.05


def test_transparency_is_kept_without_dark_fringes():
    source = Image.new("RGBA", (64, 64), (255, 255, 255, 0))
    source.paste((250, 40, 40, 255), (16, 16, 48, 48))
    result = decode(upscale_png(encode(source), 2))
    assert result.mode == "RGBA"
    assert result.getpixel((0, 0))[3] == 0
    assert result.getpixel((64, 64)) == (250, 40, 40, 255)
    edge = [result.getpixel((x, 64)) for x in range(28, 36)]
    assert all(pixel[0] > 200 for pixel in edge if pixel[3] > 64), edge


@pytest.mark.parametrize("mode", ["L", "I;16", "CMYK"])
def test_grey_16_bit_and_cmyk_sources_come_out_as_8_bit_srgb(mode):
    source = Image.new("RGB", (40, 30), (120, 60, 200)).convert(mode)
    fmt = "JPEG" if mode == "CMYK" else "PNG"
    result = decode(upscale_png(encode(source, fmt), 2))
    assert result.size == (80, 60)
    assert result.mode == "RGB"


def test_another_factor_or_undecodable_bytes_are_the_requests_fault():
    with pytest.raises(InputRejected, match="factor"):
        upscale_png(artwork(32, 32), 3)
    with pytest.raises(InputRejected, match="could not be upscaled"):
        upscale_png(b"\x89PNG\r\n\x1a\nnot really", 2)


def test_the_backend_makes_one_image_with_the_source_seed_and_reports_it_done():
    request = replace(make_request(), source_image=artwork(50, 40), upscale_factor=4, seed=9)
    control = FakeControl()
    output = LocalBackend().generate(request, control)
    assert [image.seed for image in output.images] == [9]
    assert Image.open(io.BytesIO(output.images[0].data)).size == (200, 160)
    assert control.progress == [1.0]


def test_a_cancelled_upscale_stops_before_resampling():
    request = replace(make_request(), source_image=artwork(50, 40), upscale_factor=2)
    control = FakeControl(stop_at=0.0)
    control.progress.append(0.0)
    with pytest.raises(GenerationCancelled):
        LocalBackend().generate(request, control)
