"""The image's API shape, written by Python (`summary`) and by the database (`summaries_in_sql`),
must be one shape: same fields, same order, same values, on both engines."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from gateway.app import json_text
from gateway.app.extensions import db
from gateway.app.images import presenter
from gateway.app.images import service as images
from gateway.app.images.models import Image
from tests.support import insert_images

API_ROOT = "http://gateway.test/api/v2"
BASE = {
    "source": "generated",
    "width": 1024,
    "height": 768,
    "mime": "image/png",
    "file_size": 12345,
    "original_key": "originals/x.png",
    "thumbnail_key": "thumbnails/x.webp",
    "phash": 2**62 + 7,
    "quality": {"valid": True, "errors": [], "warnings": ["soft"], "info": {"dpi": 85.5}},
}
ROWS = [
    {
        "id": "img_plain",
        "status": "approved",
        "prompt": 'A "quoted" café ☕ prompt\nwith a newline and 🦊 emoji',
        "params": {"width": 1024, "steps": 30, "cfg": 7.25, "nested": {"a": [1, None, True]}},
        "seed": 2**40 + 3,
        "backend": "local",
        "title": "Fox & <friends>",
        "description": "Back\\slash",
        "tags": ["fox", "café"],
        "risk": {"ip": ["disney"]},
        "reviewed_by": "reviewer-op",
        "reviewed_at": datetime(2026, 12, 6, 11, 33, 39, 94065, tzinfo=UTC),
        "created_at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        "updated_at": datetime(2026, 12, 6, 11, 33, 39, 1, tzinfo=UTC),
    },
    {
        "id": "img_empty",
        "status": "pending",
        "source": "upload",
        "prompt": None,
        "params": None,
        "seed": None,
        "backend": None,
        "parent_id": "img_plain",
        "tags": None,
        "dpi": 300,
        "risk": None,
        "reject_reason": None,
        "reviewed_at": None,
        "created_at": datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        "updated_at": datetime(2000, 1, 1, tzinfo=UTC),
    },
    {
        "id": "img_rejected",
        "status": "rejected",
        "prompt": "",
        "params": {},
        "tags": [],
        "reject_reason": "low_quality",
        "review_note": "too soft",
        "duplicate_count": 2,
        "created_at": datetime(2026, 6, 1, 12, 0, 0, 500000, tzinfo=UTC),
        "updated_at": datetime(2026, 6, 1, 12, 0, 0, 500000, tzinfo=UTC),
    },
]


@pytest.fixture
def stored(app):
    with app.app_context():
        insert_images(db.session, *({**BASE, **row} for row in ROWS))
        yield db.session
        db.session.rollback()


def from_database(session, image_ids: list[str]) -> list[tuple[int, object]]:
    dialect = session.get_bind().dialect.name
    query = presenter.summaries_in_sql(dialect, image_ids, API_ROOT)
    result = []
    for data, position in session.execute(query):
        # SQLite answers the JSON as text, psycopg parses `json` itself: both keep the key order.
        result.append((int(position), json.loads(data) if isinstance(data, str) else data))
    return sorted(result, key=lambda item: item[0])


def test_the_database_writes_the_summary_python_writes_field_for_field_in_order(stored):
    ids = [row["id"] for row in ROWS]
    written = [data for _, data in from_database(stored, ids)]
    for image_id, data in zip(ids, written, strict=True):
        expected = json.loads(
            json_text.dumps(presenter.summary(stored.get(Image, image_id), API_ROOT))
        )
        assert list(data) == list(expected)
        assert data == expected


def test_summaries_come_in_the_order_of_the_ids_given_and_skip_unknown_ones(stored):
    ids = ["img_rejected", "img_missing", "img_plain", "img_empty"]
    written = from_database(stored, ids)
    assert [(position, data["id"]) for position, data in written] == [
        (written[0][0], "img_rejected"),
        (written[1][0], "img_plain"),
        (written[2][0], "img_empty"),
    ]
    assert written[0][0] < written[1][0] < written[2][0]


def test_a_list_page_row_presents_what_the_stored_image_presents(stored):
    """A list page reads rows of `LISTED` (times as ISO text made by the database, JSON unparsed)
    instead of ORM objects: the answer must not tell the two apart."""
    query = images.filtered(images.ImageQuery(), rows=True).where(
        Image.id.in_([row["id"] for row in ROWS])
    )
    rows = list(stored.execute(query))
    assert len(rows) == len(ROWS)
    for row in rows:
        from_row = json.loads(json_text.dumps(presenter.summary(row, API_ROOT)))
        from_object = json.loads(
            json_text.dumps(presenter.summary(stored.get(Image, row.id), API_ROOT))
        )
        assert from_row == from_object
