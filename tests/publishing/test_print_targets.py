"""Print targets: every template's design width at PRINT_DPI, or the default product when none."""

from __future__ import annotations

from sqlalchemy import delete

from gateway.app.audit.service import SYSTEM
from gateway.app.extensions import db
from gateway.app.publishing import print_targets
from gateway.app.publishing import templates as product_templates
from gateway.app.publishing.models import ProductTemplate
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


def _widths(app, settings) -> list[int]:
    with app.app_context():
        return [target.width_px for target in print_targets.load(db.session, settings).items]


def test_a_template_saved_through_this_process_is_seen_at_its_commit(app, tmp_path):
    settings = make_settings(tmp_path, PRINT_TARGETS_CACHE_SECONDS=3600)
    assert _widths(app, settings) == []
    with app.app_context():
        template_id = _template(app, "Tee", 4500, 0.8)
    assert _widths(app, settings) == [3600]
    with app.app_context():
        product_templates.delete(db.session, template_id, SYSTEM)
    assert _widths(app, settings) == []


def test_a_change_behind_the_sessions_back_is_seen_once_the_kept_answer_expires(
    app, tmp_path, monkeypatch
):
    """As another process's change: the kept targets serve until PRINT_TARGETS_CACHE_SECONDS."""
    settings = make_settings(tmp_path, PRINT_TARGETS_CACHE_SECONDS=5)
    clock = [1000.0]
    monkeypatch.setattr(print_targets.time, "monotonic", lambda: clock[0])
    with app.app_context():
        _template(app, "Mug", 2700, 1.0)
    assert _widths(app, settings) == [2700]
    with app.app_context():
        db.session.execute(delete(ProductTemplate.__table__))  # no ORM object: nothing noticed
        db.session.commit()
    clock[0] += 4
    assert _widths(app, settings) == [2700]
    clock[0] += 2
    assert _widths(app, settings) == []


def test_zero_seconds_reads_the_templates_on_every_call(app, tmp_path):
    settings = make_settings(tmp_path, PRINT_TARGETS_CACHE_SECONDS=0)
    with app.app_context():
        _template(app, "Mug", 2700, 1.0)
    assert _widths(app, settings) == [2700]
    with app.app_context():
        db.session.execute(delete(ProductTemplate.__table__))
        db.session.commit()
    assert _widths(app, settings) == []
