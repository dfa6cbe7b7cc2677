"""Whether an image has enough pixels to print well.

Two parts, judged at different times. What the pixels are on their own (too small to print at all,
an extreme aspect ratio) is judged once, when the image is stored, as its `quality`. Whether it
prints soft depends on the products it could be published with: at a product whose design is
`width_px` wide at PRINT_DPI, an image narrower than that prints below PRINT_DPI. The products
change as templates are saved, so that part is judged when the image is shown (`soft_targets`),
against every saved template's print area, or the configured default product when there is none;
the info's `dpi` at PRINT_WIDTH_INCHES stays, as information only.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

MIN_PRINTABLE_SIDE = 500
MAX_ASPECT_RATIO = 3.0


@dataclass(frozen=True)
class PrintTarget:
    """A product an image could be printed on: its design is `width_px` wide at PRINT_DPI."""

    name: str
    width_px: int
    template_id: str | None = None


@dataclass(frozen=True)
class PrintTargets:
    """Every product an image is judged against, printed at `print_dpi` (PRINT_DPI)."""

    items: tuple[PrintTarget, ...]
    print_dpi: int

    @property
    def widest(self) -> int | None:
        """The widest design: an image narrower than this prints soft on some product."""
        return max((target.width_px for target in self.items), default=None)


def soft_targets(width: int, targets: PrintTargets) -> list[PrintTarget]:
    """The products at which an image `width` px wide prints below PRINT_DPI."""
    return [target for target in targets.items if width < target.width_px]


def soft_warning(width: int, target: PrintTarget, print_dpi: int) -> str:
    """The warning for a product that would print the image soft, with its effective DPI."""
    effective = width * print_dpi / target.width_px
    return (
        f"prints soft on {target.name}: {effective:.0f} DPI, below {print_dpi} "
        f"({width} px for a design {target.width_px} px wide)"
    )


def soft_info(width: int, target: PrintTarget, print_dpi: int) -> dict[str, Any]:
    """The info entry (`soft_on`) of a product that would print the image soft."""
    return {
        "template_id": target.template_id,
        "name": target.name,
        "effective_dpi": round(width * print_dpi / target.width_px, 1),
    }


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
    """Report what a `width` x `height` image's pixels are on their own; `info.dpi` is what they
    give printed `print_width_inches` wide.

    The DPI a file declares does not change how many pixels there are, so it is reported but not
    judged. Printing soft is judged against the products when the image is shown (see the module).
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
