"""Upscale rules: the size limits on the result, and the factor that reaches the print DPI."""

from __future__ import annotations

import pytest

from gateway.app.imaging.upscale import advise, allowed_factors, size_refusal
from gateway.app.imaging.validation import generated_image_limits

LIMITS = generated_image_limits(10 * 1024 * 1024, 8192)


@pytest.mark.parametrize(
    ("width", "height", "allowed"),
    [(1024, 1024, (2, 4)), (2048, 1024, (2, 4)), (2049, 1024, (2,)), (4097, 64, ())],
)
def test_factors_whose_result_exceeds_max_image_dimension_are_not_allowed(width, height, allowed):
    assert allowed_factors(width, height, LIMITS) == allowed


def test_a_refusal_says_what_size_it_would_make_and_the_limit():
    assert size_refusal(3000, 100, 4, LIMITS) == (
        "x4 would make 12000x400 px; neither side may exceed 8192 px (MAX_IMAGE_DIMENSION)"
    )
    assert size_refusal(3000, 100, 2, LIMITS) is None


def test_a_pixel_limit_below_the_square_of_the_side_limit_is_kept_too():
    limits = generated_image_limits(1, 8192)
    tight = type(limits)(max_bytes=1, max_dimension=8192, max_pixels=4_000_000)
    assert "megapixels" in (size_refusal(1024, 1024, 2, tight) or "")
    assert size_refusal(1024, 1024, 2, limits) is None


@pytest.mark.parametrize(
    ("effective_dpi", "needed", "factor", "reachable"),
    [
        (300.0, False, None, True),
        (412.5, False, None, True),
        (150.0, True, 2, True),
        (149.9, True, 4, True),
        (75.0, True, 4, True),
        (74.9, True, None, False),
    ],
)
def test_the_smallest_factor_reaching_the_print_dpi_is_advised(
    effective_dpi, needed, factor, reachable
):
    advice = advise(effective_dpi, 300, (2, 4))
    assert (advice.needed, advice.factor, advice.reachable) == (needed, factor, reachable)


def test_a_factor_the_size_limits_forbid_is_never_advised():
    advice = advise(100.0, 300, (2,))
    assert (advice.needed, advice.factor, advice.reachable) == (True, None, False)
    assert advice.to_dict() == {"needed": True, "factor": None, "reachable": False, "allowed": [2]}
