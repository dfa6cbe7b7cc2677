"""Images per status: the maintained counts equal a GROUP BY over every image after any change."""

from __future__ import annotations

import io

from sqlalchemy import delete, func, select, update

from gateway.app.audit.service import SYSTEM
from gateway.app.extensions import db
from gateway.app.images import counts
from gateway.app.images import service as images
from gateway.app.images.models import Image, ImageStatusCount
from gateway.app.images.states import ImageStatus
from gateway.app.review import queries
from tests.conftest import artwork
from tests.support import insert_images


def counted(app) -> dict[str, int]:
    """(maintained counts, the truth by GROUP BY), asserted equal; the counts."""
    with app.app_context():
        maintained = counts.by_status(db.session)
        truth = dict(
            db.session.execute(select(Image.status, func.count()).group_by(Image.status)).all()
        )
        db.session.rollback()
    assert maintained == {str(status): truth.get(str(status), 0) for status in ImageStatus}
    return maintained


def upload(client, headers, seed: int) -> str:
    response = client.post(
        "/api/v1/images",
        data={"file": (io.BytesIO(artwork(96, 96, seed=seed)), "d.png")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def move(app, image_id: str, *targets: ImageStatus) -> None:
    """Move an image the way the publishing runner does, through `images.change_status`."""
    with app.app_context():
        image = images.get(db.session, image_id)
        for target in targets:
            images.change_status(db.session, image, target, SYSTEM)
        db.session.commit()


def test_counts_stay_exact_through_every_path_that_adds_moves_or_removes_images(
    app, client, admin_headers
):
    body = {"prompt": "counted poster", "width": 64, "height": 64, "batch_size": 3}
    job_id = client.post("/api/v1/generate", json=body, headers=admin_headers).get_json()["job_id"]
    generated = client.get(f"/api/v1/jobs/{job_id}", headers=admin_headers).get_json()["image_ids"]
    uploaded = [upload(client, admin_headers, seed) for seed in range(1, 7)]
    assert counted(app)["pending"] == 9

    api = "/api/v1/images"

    def post(path: str, body: dict) -> int:
        return client.post(f"{api}/{path}", json=body, headers=admin_headers).status_code

    assert post(f"{generated[0]}/approve", {}) == 200
    assert post(f"{generated[1]}/reject", {"reason": "other"}) == 200
    assert counted(app)["approved"] == 1
    assert post(f"{generated[1]}/reset", {}) == 200
    assert counted(app)["rejected"] == 0

    move(app, generated[0], ImageStatus.PUBLISHING, ImageStatus.PUBLISHED)
    assert counted(app)["published"] == 1
    assert post(f"{generated[0]}/reject", {"reason": "other"}) == 409
    assert counted(app)["published"] == 1

    batch = "/api/v1/batch"
    client.post(f"{batch}/approve", json={"image_ids": uploaded[:3]}, headers=admin_headers)
    client.post(
        f"{batch}/reject",
        json={"image_ids": [*uploaded[2:5], "img_missing"], "reason": "other"},
        headers=admin_headers,
    )
    assert counted(app) == {
        "generating": 0,
        "pending": 3,
        "approved": 3,
        "rejected": 2,
        "publishing": 0,
        "published": 1,
        "publish_failed": 0,
    }

    assert client.delete(f"{api}/{uploaded[5]}", headers=admin_headers).status_code in (200, 204)
    client.post(
        f"{batch}/delete",
        json={"image_ids": [generated[0], uploaded[3], uploaded[0]], "force": True},
        headers=admin_headers,
    )
    assert sum(counted(app).values()) == 5
    assert counted(app)["published"] == 0


def test_rows_written_by_hand_are_counted_too(app):
    """Triggers, not the services, keep the counts: bulk SQL and fixtures cannot bypass them."""
    with app.app_context():
        insert_images(db.session, *({"id": f"img_hand{n}", "status": "pending"} for n in range(4)))
        db.session.execute(
            update(Image).where(Image.id.in_(["img_hand0", "img_hand1"])).values(status="approved")
        )
        db.session.execute(update(Image).values(title="retitled"))
        db.session.execute(delete(Image).where(Image.id == "img_hand2"))
        db.session.commit()
    assert counted(app) == {**dict.fromkeys(map(str, ImageStatus), 0), "pending": 1, "approved": 2}


def test_a_rolled_back_change_leaves_the_counts_as_they_were(app, client, admin_headers):
    image_id = upload(client, admin_headers, seed=3)
    with app.app_context():
        db.session.execute(update(Image).where(Image.id == image_id).values(status="approved"))
        db.session.rollback()
    assert counted(app)["pending"] == 1


def test_the_review_tabs_read_the_maintained_counts_unless_another_filter_narrows_them(
    app, client, admin_headers
):
    for seed in (1, 2):
        upload(client, admin_headers, seed)
    with app.app_context():
        db.session.execute(update(ImageStatusCount).values(total=ImageStatusCount.total + 40))
        unfiltered = queries.counts_by_status(db.session, queries.ReviewQuery(status="approved"))
        filtered = queries.counts_by_status(db.session, queries.ReviewQuery(q="nothing like it"))
        db.session.rollback()
    assert unfiltered == {"pending": 42}
    assert filtered == {}
