"""The local backend's shared motif pieces: a motif's ground, box geometry, layout set-up."""

from __future__ import annotations

import random

from PIL import Image, ImageDraw

from gateway.app.generation.backends.base import GenerationRequest
from gateway.app.generation.backends.local.design import plan_design
from gateway.app.generation.backends.local.frames import MOTIFS, Motif, line_width, open_layout
from gateway.app.generation.backends.local.palettes import FAMILIES
from gateway.app.generation.backends.local.shapes import extent, measure

PALETTE = next(iter(FAMILIES.values()))[0]


def _paint(motif: Motif, lw: int) -> Image.Image:
    image = Image.new("RGBA", (40, 30), (0, 0, 0, 0))
    motif(ImageDraw.Draw(image), (0, 0, 40, 30), PALETTE, random.Random(1), lw)
    return image


def test_a_filled_motif_lies_on_its_ground_and_line_art_has_none():
    blank = Motif(lambda draw, box, pal, rng, lw: None, lambda pal: pal.accents[3])
    assert _paint(blank, 0).getpixel((20, 15))[3] == 255
    assert _paint(blank, 2).getpixel((20, 15)) == (0, 0, 0, 0)


def test_every_filled_motif_covers_its_box():
    for name, motif in MOTIFS.items():
        alpha = _paint(motif, 0).getchannel("A")
        assert alpha.getextrema()[0] == 255 or name == "rings", name


def test_extent_is_the_corner_and_size_of_a_box():
    assert extent((10, 20, 50, 35)) == (10, 20, 40, 15, 15)
    assert extent((10, 20, 50, 35))[2:] == measure((10, 20, 50, 35))[2:]


def test_open_layout_measures_the_canvas():
    request = GenerationRequest(job_id="j", prompt="sun", width=300, height=200, seed=1)
    design, _ = plan_design(request, 1)
    width, height, m, draw, lw = open_layout(Image.new("RGBA", (300, 200)), design)
    assert (width, height, m) == (300, 200, 200)
    assert isinstance(draw, ImageDraw.ImageDraw)
    assert lw == line_width(design, 200)
