"""An image's quality as shown: a warning per product it would print soft on, nothing otherwise."""

from __future__ import annotations

import json

from gateway.app.images.print_quality import judge_body, judged
from gateway.app.imaging.quality import PrintTarget, PrintTargets, assess_quality
from gateway.app.json_text import RawJSON

TARGETS = PrintTargets(
    items=(
        PrintTarget(name="“Sticker”", width_px=900, template_id="tpl_s"),
        PrintTarget(name="“Tee”", width_px=3600, template_id="tpl_t"),
    ),
    print_dpi=300,
)
STORED = assess_quality(1024, 1024, declared_dpi=None).to_dict()


def test_a_product_wider_than_the_image_adds_its_warning_and_soft_on_entry():
    quality = judged(STORED, 1024, TARGETS)

    assert quality["warnings"] == [
        "prints soft on “Tee”: 85 DPI, below 300 (1024 px for a design 3600 px wide)"
    ]
    assert quality["info"]["soft_on"] == [
        {"template_id": "tpl_t", "name": "“Tee”", "effective_dpi": 85.3}
    ]
    assert quality["valid"] is True
    assert STORED["warnings"] == [], "the stored report is not changed"


def test_an_image_sharp_on_every_product_keeps_its_stored_quality_unparsed():
    raw = RawJSON(json.dumps(STORED))

    assert judged(raw, 3600, TARGETS) is raw
    assert judged(STORED, 4000, PrintTargets(items=(), print_dpi=300)) is STORED


def test_a_list_pages_unparsed_quality_is_parsed_only_to_add_a_warning():
    quality = judged(RawJSON(json.dumps(STORED)), 512, TARGETS)

    assert [w.split(":")[0] for w in quality["warnings"]] == [
        "prints soft on “Sticker”",
        "prints soft on “Tee”",
    ]


def test_judge_body_judges_an_api_image_by_its_width():
    body = {"id": "img_1", "width": 800, "quality": STORED}

    assert judge_body(body, TARGETS)["quality"]["info"]["soft_on"][0]["template_id"] == "tpl_s"
