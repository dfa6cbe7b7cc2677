"""Whether an image has enough pixels to print well, judged at the configured print width."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

MIN_PRINTABLE_SIDE = 500
MAX_ASPECT_RATIO = 3.0


@dataclass(frozen=True)
class QualityReport:
    """The contract's `quality` object: printable at all (`valid`), and what to look out for."""

    valid: bool
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON-ready data; the lists and dicts are copies."""
        return {
            "valid": self.valid,
            "errors": list(self.errors),
            "warnings": list(self.warnings),
            "info": copy.deepcopy(self.info),
        }


def assess_quality(
    width: int,
    height: int,
    *,
    declared_dpi: int | None,
    print_dpi: int = 300,
    print_width_inches: float = 12.0,
) -> QualityReport:
    """Report on a `width` x `height` image printed `print_width_inches` wide at `print_dpi`.

    The effective DPI is what the pixels give at that width; the DPI a file declares does not
    change how many pixels there are, so it is reported but not judged.
    """
    if width <= 0 or height <= 0:
        raise ValueError(f"image has no pixels ({width}x{height})")
    effective_dpi = round(width / print_width_inches)
    short_side, long_side = sorted((width, height))
    aspect_ratio = long_side / short_side
    errors: list[str] = []
    warnings: list[str] = []
    if short_side < MIN_PRINTABLE_SIDE:
        errors.append(
            f"too small to print: the short side is {short_side} px, "
            f"at least {MIN_PRINTABLE_SIDE} px is needed"
        )
    if effective_dpi < print_dpi:
        warnings.append(
            f"below {print_dpi} DPI at {print_width_inches:g} in wide "
            f"({effective_dpi} DPI effective)"
        )
    if aspect_ratio > MAX_ASPECT_RATIO:
        warnings.append(
            f"extreme aspect ratio {aspect_ratio:.1f}:1; most print areas are at most "
            f"{MAX_ASPECT_RATIO:g}:1 and will crop or shrink it"
        )
    info = {
        "resolution": f"{width}x{height}",
        "dpi": effective_dpi,
        "print_size_inches": {
            "width": round(width / print_dpi, 2),
            "height": round(height / print_dpi, 2),
        },
        "declared_dpi": declared_dpi,
        "megapixels": round(width * height / 1_000_000, 2),
        "aspect_ratio": round(width / height, 3),
        "print_dpi": print_dpi,
        "print_width_inches": print_width_inches,
    }
    return QualityReport(valid=not errors, errors=errors, warnings=warnings, info=info)
