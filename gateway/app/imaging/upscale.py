"""Upscaling rules shared by the API, the backends and print readiness: the factors offered, the
size an upscale makes, whether that size is allowed, and which factor reaches the print DPI.

The factors are 2 and 4 because those are what upscale models are trained for (a x4 model, scaled
down by half for x2); an in-between factor gains no detail a x4 would not.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.app.imaging.validation import ImageLimits

FACTORS = (2, 4)


def upscaled_size(width: int, height: int, factor: int) -> tuple[int, int]:
    """The size an upscale by `factor` makes (every backend rounds to exactly this)."""
    return width * factor, height * factor


def size_refusal(width: int, height: int, factor: int, limits: ImageLimits) -> str | None:
    """Why the upscaled image would exceed the limits on generated images, or None when it fits.

    Checked before a job is queued, so the request gets a 400 rather than a job that fails after
    the backend has spent its time.
    """
    new_width, new_height = upscaled_size(width, height, factor)
    if max(new_width, new_height) > limits.max_dimension:
        return (
            f"x{factor} would make {new_width}x{new_height} px; neither side may exceed "
            f"{limits.max_dimension} px (MAX_IMAGE_DIMENSION)"
        )
    if new_width * new_height > limits.max_pixels:
        return (
            f"x{factor} would make {new_width}x{new_height} px "
            f"({new_width * new_height / 1e6:.1f} megapixels); the limit is "
            f"{limits.max_pixels / 1e6:.1f} megapixels"
        )
    return None


def allowed_factors(width: int, height: int, limits: ImageLimits) -> tuple[int, ...]:
    """The factors whose result fits the limits."""
    return tuple(f for f in FACTORS if size_refusal(width, height, f, limits) is None)


@dataclass(frozen=True)
class UpscaleAdvice:
    """Whether an image needs upscaling to print at the target DPI at one print size, and how much.

    `factor`: the smallest allowed factor that reaches the target, None when none is needed or
    none reaches it (then `reachable` is false). `allowed`: the factors the size limits permit.
    """

    needed: bool
    factor: int | None
    reachable: bool
    allowed: tuple[int, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "needed": self.needed,
            "factor": self.factor,
            "reachable": self.reachable,
            "allowed": list(self.allowed),
        }


def advise(effective_dpi: float, target_dpi: int, allowed: tuple[int, ...]) -> UpscaleAdvice:
    """The smallest allowed factor whose effective DPI (`effective_dpi` x factor) reaches
    `target_dpi`."""
    if effective_dpi >= target_dpi:
        return UpscaleAdvice(needed=False, factor=None, reachable=True, allowed=allowed)
    factor = next((f for f in allowed if effective_dpi * f >= target_dpi), None)
    return UpscaleAdvice(needed=True, factor=factor, reachable=factor is not None, allowed=allowed)
