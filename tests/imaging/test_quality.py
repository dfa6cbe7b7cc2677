"""The print-quality report: errors when unprintable, warnings when weak, the info shape, and
printing soft judged against products."""

from __future__ import annotations

import pytest

from gateway.app.imaging.quality import (
    MIN_PRINTABLE_SIDE,
    PrintTarget,
    PrintTargets,
    QualityReport,
    assess_quality,
    soft_info,
    soft_targets,
    soft_warning,
)


def test_1024_px_square_has_no_warning_of_its_own_and_reports_its_dpi_at_12_inches():
    report = assess_quality(1024, 1024, declared_dpi=None)

    assert report.valid
    assert report.errors == []
    assert report.warnings == []
    assert report.info["dpi"] == 85


def test_4000_px_square_prints_at_12_inches_without_warnings():
    report = assess_quality(4000, 4000, declared_dpi=300)

    assert report.valid
    assert report.warnings == []
    assert report.info["dpi"] == 333


def test_info_has_the_contract_shape():
    report = assess_quality(1024, 768, declared_dpi=72)

    assert report.info["resolution"] == "1024x768"
    assert report.info["print_size_inches"] == {"width": 3.41, "height": 2.56}
    assert report.info["declared_dpi"] == 72


def test_to_dict_matches_the_contract_and_is_a_copy():
    report = assess_quality(4000, 1000, declared_dpi=None)

    data = report.to_dict()
    data["info"]["print_size_inches"]["width"] = 0
    data["warnings"].clear()

    assert set(data) == {"valid", "errors", "warnings", "info"}
    assert {"resolution", "dpi", "print_size_inches"} <= set(data["info"])
    assert report.info["print_size_inches"]["width"] == 13.33
    assert report.warnings


def test_image_shorter_than_the_minimum_side_cannot_be_printed():
    report = assess_quality(2000, MIN_PRINTABLE_SIDE - 1, declared_dpi=None)

    assert not report.valid
    assert report.errors == [
        "too small to print: the short side is 499 px, at least 500 px is needed"
    ]


def test_minimum_side_itself_is_printable():
    assert assess_quality(MIN_PRINTABLE_SIDE, MIN_PRINTABLE_SIDE, declared_dpi=None).valid


def test_extreme_aspect_ratio_is_a_warning():
    report = assess_quality(4000, 1000, declared_dpi=None)

    assert report.valid
    assert any("aspect ratio 4.0:1" in warning for warning in report.warnings)


def test_print_width_and_dpi_settings_change_the_info():
    report = assess_quality(1800, 1800, declared_dpi=None, print_dpi=150, print_width_inches=10.5)

    assert report.warnings == []
    assert report.info["dpi"] == 171
    assert report.info["print_size_inches"] == {"width": 12.0, "height": 12.0}


TEE = PrintTarget(name="Tee", width_px=3600, template_id="tpl_tee")
STICKER = PrintTarget(name="Sticker", width_px=900, template_id="tpl_sticker")


@pytest.mark.parametrize(
    ("width", "soft"),
    [(1024, ["Tee"]), (3599, ["Tee"]), (3600, []), (899, ["Sticker", "Tee"]), (5000, [])],
)
def test_an_image_prints_soft_only_on_products_wider_than_its_pixels(width, soft):
    targets = PrintTargets(items=(STICKER, TEE), print_dpi=300)

    assert sorted(target.name for target in soft_targets(width, targets)) == soft


def test_without_products_nothing_prints_soft():
    targets = PrintTargets(items=(), print_dpi=300)

    assert soft_targets(64, targets) == []
    assert targets.widest is None
    assert PrintTargets(items=(STICKER, TEE), print_dpi=300).widest == 3600


def test_a_soft_warning_names_the_product_and_its_effective_dpi():
    assert soft_warning(1024, TEE, 300) == (
        "prints soft on Tee: 85 DPI, below 300 (1024 px for a design 3600 px wide)"
    )
    assert soft_info(1024, TEE, 300) == {
        "template_id": "tpl_tee",
        "name": "Tee",
        "effective_dpi": 85.3,
    }


def test_empty_image_is_a_programming_error():
    with pytest.raises(ValueError, match="no pixels"):
        assess_quality(0, 100, declared_dpi=None)


def test_report_is_frozen():
    report = QualityReport(valid=True)

    with pytest.raises(AttributeError):
        report.valid = False  # type: ignore[misc]
