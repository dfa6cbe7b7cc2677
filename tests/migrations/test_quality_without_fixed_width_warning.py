"""Migration b3d9e7a1c5f2: stored quality loses the fixed-width DPI warning, and the warnings flag
follows what remains."""

from __future__ import annotations

import pytest
from flask_migrate import upgrade
from sqlalchemy import select

from gateway.app import create_app
from gateway.app.extensions import db
from gateway.app.images.models import Image
from gateway.app.imaging.quality import assess_quality
from tests.conftest import make_settings

FIXED = "below 300 DPI at 12 in wide (85 DPI effective)"
ASPECT = "extreme aspect ratio 4.0:1; most print areas are at most 3:1 and will crop or shrink it"


def _image(image_id: str, warnings: list[str], errors: list[str]) -> Image:
    quality = assess_quality(1024, 1024, declared_dpi=None).to_dict()
    quality.update(warnings=warnings, errors=errors, valid=not errors)
    return Image(
        id=image_id,
        source="generated",
        width=1024,
        height=1024,
        mime="image/png",
        file_size=1,
        sha256=image_id.ljust(64, "0"),
        original_key=f"{image_id}.png",
        thumbnail_key=f"{image_id}.webp",
        phash=0,
        quality=quality,
        has_quality_warnings=bool(warnings or errors),
    )


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_the_fixed_width_warning_goes_and_the_flag_follows_what_remains(
    request: pytest.FixtureRequest, tmp_path, database: str
):
    overrides = {}
    if database == "postgresql":
        overrides["DATABASE_URL"] = request.getfixturevalue("make_postgres_database")()
    settings = make_settings(tmp_path, **overrides)
    app = create_app({"SETTINGS": settings, "QUEUE_IMMEDIATE": True})
    with app.app_context():
        upgrade(revision="a8c3e5f71d24")
        db.session.add_all(
            [
                _image("img_fixed", [FIXED], []),
                _image("img_both", [FIXED, ASPECT], []),
                _image("img_error", [FIXED], ["too small to print"]),
                _image("img_clean", [], []),
            ]
        )
        db.session.commit()
        upgrade()
        db.session.expire_all()
        found = {
            image.id: (image.quality["warnings"], image.has_quality_warnings)
            for image in db.session.scalars(select(Image))
        }
        db.session.remove()
        db.engine.dispose()
    app.extensions["keyring"].close()
    app.extensions["generation"].engine.dispose()

    assert found == {
        "img_fixed": ([], False),
        "img_both": ([ASPECT], True),
        "img_error": ([], True),
        "img_clean": ([], False),
    }
