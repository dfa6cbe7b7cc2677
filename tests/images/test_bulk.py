"""Batches as set-based statements: the one-by-one path's outcomes, audit, events and files."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from gateway.app import models  # noqa: F401 - every table on Base.metadata
from gateway.app.database import Base
from gateway.app.events.models import OutboxEvent
from gateway.app.extensions import db
from gateway.app.images import bulk
from gateway.app.images.models import Image
from tests.conftest import TEE_TEMPLATE, artwork, upload_approved

OFFLINE_TEMPLATE = {**TEE_TEMPLATE, "placeholder": {"width": 900, "height": 1080}}
ANNOUNCED = {"approve": "image.approved", "reject": "image.rejected"}


def upload(client, headers, seed: int) -> str:
    response = client.post(
        "/api/v1/images",
        data={"file": (io.BytesIO(artwork(96, 96, seed=seed)), "d.png")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def batch(client, headers, action: str, **body) -> dict:
    response = client.post(f"/api/v1/batch/{action}", json=body, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def events(app, event_type: str) -> list[dict]:
    with app.app_context():
        rows = db.session.scalars(
            select(OutboxEvent.data)
            .where(OutboxEvent.event_type == event_type)
            .order_by(OutboxEvent.sequence)
        )
        return list(rows)


def stored_files(app) -> set[str]:
    root = Path(app.extensions["settings"].state_dir) / "images"
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


@pytest.fixture
def small_chunks(monkeypatch):
    """Statements of two ids and transactions of four, so a handful of images spans several."""
    monkeypatch.setattr(bulk, "CHUNK", 2)
    monkeypatch.setattr(bulk, "SLICE", 4)


def test_outcomes_keep_the_order_of_the_ids_across_chunks(app, client, admin_headers, small_chunks):
    pending = [upload(client, admin_headers, seed) for seed in range(1, 5)]
    assert batch(client, admin_headers, "approve", image_ids=[pending[1]])["counts"]["successful"]
    ids = [pending[3], "img_gone_a", pending[1], pending[0], "img_gone_b", pending[2]]
    body = batch(client, admin_headers, "reject", image_ids=ids, reason="off_prompt")
    assert body["successful"] == [pending[3], pending[0], pending[2]]
    assert [item["image_id"] for item in body["failed"]] == ["img_gone_a", pending[1], "img_gone_b"]
    assert [item["error"]["code"] for item in body["failed"]] == [
        "NOT_FOUND",
        "INVALID_TRANSITION",
        "NOT_FOUND",
    ]
    assert body["failed"][1]["error"]["message"] == (
        f"image {pending[1]} cannot go from approved to rejected"
    )
    assert [event["id"] for event in events(app, "image.rejected")] == body["successful"]


def test_each_decision_is_audited_with_its_move_reason_and_note(
    app, client, admin_headers, reviewer_headers, small_chunks
):
    ids = [upload(client, admin_headers, seed) for seed in range(1, 4)]
    batch(client, reviewer_headers, "reject", image_ids=ids, reason="duplicate", note="seen")
    for image_id in ids:
        history = client.get(f"/api/v1/images/{image_id}", headers=admin_headers).get_json()[
            "history"
        ]
        assert [(e["action"], e["from_status"], e["to_status"]) for e in history] == [
            ("created", None, "pending"),
            ("rejected", "pending", "rejected"),
        ]
        assert history[-1]["reason"] == "duplicate"
        assert history[-1]["note"] == "seen"
        assert history[-1]["actor"]["name"] == "reviewer"


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_each_image_is_announced_exactly_as_the_api_returns_it(app, client, admin_headers, action):
    ids = [upload(client, admin_headers, seed) for seed in range(1, 4)]
    reason = {"reason": "other"} if action == "reject" else {}
    batch(client, admin_headers, action, image_ids=ids, **reason)
    announced = events(app, ANNOUNCED[action])
    assert len(announced) == 3
    for data in announced:
        shown = client.get(f"/api/v2/images/{data['id']}", headers=admin_headers).get_json()
        assert data == {k: v for k, v in shown.items() if k not in ("duplicates", "history")}
    assert events(app, "batch.completed")[-1]["counts"]["successful"] == 3


def test_files_go_only_with_the_last_image_that_shares_them(app, client, admin_headers):
    first, twin, other = (upload(client, admin_headers, seed) for seed in (5, 5, 6))

    def files_of(image_id: str) -> set[str]:
        sha256 = client.get(f"/api/v1/images/{image_id}", headers=admin_headers).get_json()[
            "sha256"
        ]
        return {path for path in stored_files(app) if sha256 in path}

    shared, own = files_of(twin), files_of(other)
    assert len(shared) == len(own) == 2
    body = batch(client, admin_headers, "delete", image_ids=[first, other])
    assert body["successful"] == [first, other]
    assert stored_files(app) >= shared
    assert not stored_files(app) & own
    shown = client.get(f"/api/v1/images/{twin}", headers=admin_headers).get_json()
    assert shown["duplicates"] == []
    assert shown["duplicate_count"] == 0
    batch(client, admin_headers, "delete", image_ids=[twin])
    assert not stored_files(app) & shared


def test_near_duplicates_deleted_together_leave_the_survivor_counted_right(
    app, client, admin_headers
):
    copies = [upload(client, admin_headers, 7) for _ in range(3)]
    batch(client, admin_headers, "delete", image_ids=copies[:2])
    with app.app_context():
        assert db.session.get(Image, copies[2]).duplicate_count == 0


def test_a_deleted_image_takes_its_publications_print_files(app, client, admin_headers):
    response = client.post("/api/v1/templates", headers=admin_headers, json=OFFLINE_TEMPLATE)
    template_id = response.get_json()["id"]
    image_id = upload_approved(client, admin_headers, artwork)
    accepted = client.post(
        f"/api/v1/images/{image_id}/publish",
        headers=admin_headers,
        json={"template_id": template_id},
    ).get_json()
    storage = app.extensions["publishing"].storage
    print_key = f"publications/{accepted['publication_id']}.png"
    assert storage.exists(print_key)
    body = batch(client, admin_headers, "delete", image_ids=[image_id], force=True)
    assert body["successful"] == [image_id]
    assert not storage.exists(print_key)


@pytest.mark.parametrize(
    "statement",
    [
        bulk.move_statement(["img_a", "img_b"], "pending", {"status": "approved"}),
        bulk.removal_statement(["img_a", "img_b"], ["pending", "rejected"]),
    ],
    ids=["move", "removal"],
)
def test_bulk_statements_find_images_by_id_not_by_walking_a_status(statement):
    """SQLite's planner, without statistics, would answer `status = ?` from the status index and
    visit every image of that status for each chunk of ids. (PostgreSQL plans from statistics.)"""
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    compiled = statement.compile(engine, compile_kwargs={"literal_binds": True})
    with engine.connect() as connection:
        explained = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}")
        plan = " ".join(str(row[-1]) for row in explained)
    assert "ix_images_status_created" not in plan
    assert "sqlite_autoindex_images_1" in plan or "PRIMARY KEY" in plan
