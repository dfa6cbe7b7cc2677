"""Rendering a planned design: supersampled layout, neon glow, and the final size."""

from __future__ import annotations

import math
import random
from collections.abc import Callable

from PIL import Image, ImageColor, ImageFilter

from gateway.app.generation.backends.base import GenerationRequest
from gateway.app.generation.backends.local.design import Design, plan_design
from gateway.app.generation.backends.local.emblems import layout_arch, layout_badge, layout_seal
from gateway.app.generation.backends.local.posters import (
    layout_band,
    layout_block,
    layout_poster,
    layout_stack,
)

_MAX_RENDER_PIXELS = 4096 * 4096  # supersampling stops here; bigger outputs are upscaled

LAYOUTS: dict[str, Callable[[Image.Image, Design, random.Random], None]] = {
    "badge": layout_badge,
    "seal": layout_seal,
    "arch": layout_arch,
    "poster": layout_poster,
    "band": layout_band,
    "stack": layout_stack,
    "block": layout_block,
}


def _paint_neon(canvas: Image.Image, fg: Image.Image) -> None:
    """Lay `fg` on the canvas over a soft halo of itself (blurred at quarter size for speed)."""
    quarter = (max(1, fg.width // 4), max(1, fg.height // 4))
    halo = fg.convert("RGBa").resize(quarter, Image.Resampling.BOX)
    halo = halo.filter(ImageFilter.GaussianBlur(min(fg.size) * 0.006))
    halo = halo.resize(fg.size, Image.Resampling.BILINEAR).convert("RGBA")
    twice = [round(255 * (1 - (1 - v / 255) ** 2)) for v in range(256)]  # as if laid twice
    halo.putalpha(halo.getchannel("A").point(twice))
    canvas.alpha_composite(halo)
    canvas.alpha_composite(fg)


def render_design(request: GenerationRequest, seed: int) -> Image.Image:
    """Render the request's design for one seed at the requested size (RGB, or RGBA)."""
    design, rng = plan_design(request, seed)
    width, height = request.width, request.height
    scale = min(2.0, math.sqrt(_MAX_RENDER_PIXELS / (width * height)))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    background = (0, 0, 0, 0) if design.transparent else ImageColor.getrgb(design.palette.bg)
    canvas = Image.new("RGBA", size, background)
    if design.style == "neon":
        fg = Image.new("RGBA", size, (0, 0, 0, 0))
        LAYOUTS[design.layout](fg, design, rng)
        _paint_neon(canvas, fg)
    else:
        LAYOUTS[design.layout](canvas, design, rng)
    if not design.transparent:
        canvas = canvas.convert("RGB")
    if size == (width * 2, height * 2):
        return canvas.reduce(2)  # 2x2 box average: plain supersampling anti-aliasing
    if size != (width, height):
        return canvas.resize((width, height), Image.Resampling.LANCZOS)
    return canvas
