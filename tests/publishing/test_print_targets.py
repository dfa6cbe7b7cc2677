"""Print targets: every template's design width at PRINT_DPI, or the default product when none."""

from __future__ import annotations

from gateway.app.audit.service import SYSTEM
from gateway.app.extensions import db
from gateway.app.publishing import print_targets
from gateway.app.publishing import templates as product_templates
from tests.conftest import make_settings


def _template(app, name: str, width: int, scale: float) -> str:
    body = {
        "name": name,
        "blueprint_id": 6,
        "print_provider_id": 99,
        "variants": [{"id": 12100, "price": 2499}],
        "placeholder": {"width": width, "height": width},
        "placement": {"x": 0.5, "y": 0.5, "scale": scale, "angle": 0},
    }
    catalog = app.extensions["publishing"].catalog
    return product_templates.create(db.session, catalog, body, SYSTEM).id


def test_each_template_is_a_target_as_wide_as_its_design(app, tmp_path):
    with app.app_context():
        tee = _template(app, "Tee", 4500, 0.8)
        mug = _template(app, "Mug", 2700, 1.0)
        targets = print_targets.load(db.session, make_settings(tmp_path))

    assert [(t.name, t.width_px, t.template_id) for t in targets.items] == [
        ("“Mug”", 2700, mug),
        ("“Tee”", 3600, tee),
    ]
    assert targets.widest == 3600


def test_without_templates_the_default_product_is_the_target_only_when_configured(app, tmp_path):
    with app.app_context():
        unset = print_targets.load(db.session, make_settings(tmp_path))
        default = print_targets.load(
            db.session, make_settings(tmp_path, DEFAULT_PRINT_WIDTH_INCHES=10, PRINT_DPI=240)
        )

    assert unset.items == ()
    assert [(t.name, t.width_px, t.template_id) for t in default.items] == [
        ("the default product", 2400, None)
    ]
    assert default.print_dpi == 240
