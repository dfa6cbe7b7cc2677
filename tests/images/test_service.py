"""The images service on a real database: every state move, stale reads, audit, deletion."""

from __future__ import annotations

from itertools import product

import pytest
from sqlalchemy import select, update

from gateway.app.audit.models import AuditEntry
from gateway.app.audit.service import Actor
from gateway.app.errors import Forbidden, InvalidTransition, NotFound, ValidationFailed
from gateway.app.extensions import db
from gateway.app.images import service as images
from gateway.app.images.models import Image
from gateway.app.images.service import ImageOrigin
from gateway.app.images.states import IMAGE_TRANSITIONS, ImageStatus
from tests.conftest import artwork

REVIEWER = Actor("operator", "op_1", "rita")
REASONS = ["low_quality", "other"]


@pytest.fixture
def session(app):
    with app.app_context():
        yield db.session
        db.session.rollback()


@pytest.fixture
def context(app):
    return app.extensions["generation"]


@pytest.fixture
def make_image(session, context):
    """Add an image row (with its files) and return its id; the session is left committed."""

    def make(seed=1, status="pending"):
        processed = images.prepare(context.storage, artwork(64, 64, seed=seed), context.limits)
        image = images.add_image(
            session,
            processed,
            ImageOrigin(source="upload"),
            REVIEWER,
            duplicate_max_distance=context.settings.duplicate_max_distance,
            screen=context.settings.ip_screen,
        )
        image.status = status
        image_id = image.id
        session.commit()
        return image_id

    return make


def audit_actions(session, image_id):
    return list(
        session.execute(
            select(AuditEntry.action, AuditEntry.from_status, AuditEntry.to_status)
            .where(AuditEntry.entity_type == "image", AuditEntry.entity_id == image_id)
            .order_by(AuditEntry.id)
        )
    )


def test_every_pair_of_statuses_moves_or_raises(session, make_image):
    image_id = make_image()
    for current, target in product(ImageStatus, ImageStatus):
        session.execute(update(Image).where(Image.id == image_id).values(status=str(current)))
        session.commit()
        image = images.get(session, image_id)
        if target in IMAGE_TRANSITIONS[current]:
            images.change_status(session, image, target, REVIEWER, is_admin=True)
            session.commit()
            assert images.get(session, image_id).status == target
            assert audit_actions(session, image_id)[-1] == (str(target), current, target)
        else:
            entries = len(audit_actions(session, image_id))
            with pytest.raises(InvalidTransition) as raised:
                images.change_status(session, image, target, REVIEWER, is_admin=True)
            assert raised.value.code == "INVALID_TRANSITION"
            assert raised.value.details["from"] == current
            assert raised.value.details["to"] == target
            assert raised.value.details["allowed"] == sorted(IMAGE_TRANSITIONS[current])
            session.rollback()
            assert images.get(session, image_id).status == current
            assert len(audit_actions(session, image_id)) == entries


@pytest.mark.parametrize("current", ["approved", "rejected"])
def test_resets_need_an_admin(session, make_image, current):
    image_id = make_image(status=current)
    image = images.get(session, image_id)
    with pytest.raises(Forbidden):
        images.reset(session, image, REVIEWER, is_admin=False)
    session.rollback()
    assert images.get(session, image_id).status == current
    images.reset(session, images.get(session, image_id), REVIEWER, is_admin=True)
    session.commit()
    reset = images.get(session, image_id)
    assert reset.status == "pending"
    assert reset.reject_reason is None


def test_a_status_changed_meanwhile_is_detected(session, context, make_image):
    image_id = make_image()
    stale = images.get(session, image_id)
    assert stale.status == "pending"
    session.expunge(stale)
    session.rollback()
    with context.engine.begin() as other_process:
        other_process.execute(update(Image).where(Image.id == image_id).values(status="rejected"))
    session.add(stale)
    assert stale.status == "pending"
    with pytest.raises(InvalidTransition) as raised:
        images.approve(session, stale, REVIEWER)
    assert raised.value.details["from"] == "rejected"
    assert raised.value.details["to"] == "approved"
    session.rollback()
    assert images.get(session, image_id).status == "rejected"
    assert [action for action, _, _ in audit_actions(session, image_id)] == ["created"]


def test_approve_and_reject_record_the_review(session, make_image):
    approved_id, rejected_id = make_image(seed=1), make_image(seed=2)
    images.approve(session, images.get(session, approved_id), REVIEWER, note="  lovely  ")
    images.reject(
        session,
        images.get(session, rejected_id),
        REVIEWER,
        reason="other",
        reasons=REASONS,
        note="meh",
    )
    session.commit()
    approved, rejected = images.get(session, approved_id), images.get(session, rejected_id)
    assert (approved.status, approved.review_note, approved.reviewed_by) == (
        "approved",
        "lovely",
        "rita",
    )
    assert approved.reviewed_at is not None
    assert (rejected.status, rejected.reject_reason, rejected.review_note) == (
        "rejected",
        "other",
        "meh",
    )
    entry = session.scalars(
        select(AuditEntry).where(
            AuditEntry.entity_id == rejected_id, AuditEntry.action == "rejected"
        )
    ).one()
    assert (entry.actor_name, entry.reason, entry.note) == ("rita", "other", "meh")


@pytest.mark.parametrize("reason", [None, "", "ugly", 7])
def test_reject_refuses_unknown_reasons_before_changing_anything(session, make_image, reason):
    image_id = make_image()
    with pytest.raises(ValidationFailed) as raised:
        images.reject(
            session, images.get(session, image_id), REVIEWER, reason=reason, reasons=REASONS
        )
    assert "reason" in raised.value.field_errors
    session.rollback()
    assert images.get(session, image_id).status == "pending"


def test_markup_in_a_note_is_refused(session, make_image):
    image_id = make_image()
    with pytest.raises(ValidationFailed):
        images.approve(session, images.get(session, image_id), REVIEWER, note="<b>hi</b>")


def test_unknown_and_implausible_ids_are_not_found(session):
    for image_id in ("img_missing", "img_\x00", "x" * 500, ""):
        with pytest.raises(NotFound):
            images.get(session, image_id)


def test_delete_returns_the_files_to_drop_unless_shared(session, context, make_image):
    first, twin, other = make_image(seed=3), make_image(seed=3), make_image(seed=4)
    assert images.get(session, first).duplicate_count == 1
    kept = images.delete_image(session, context.storage, images.get(session, first), REVIEWER)
    session.commit()
    assert kept == []
    assert images.get(session, twin).duplicate_count == 0
    image = images.get(session, other)
    dropped = images.delete_image(session, context.storage, image, REVIEWER)
    session.commit()
    assert set(dropped) == {image.original_key, image.thumbnail_key, images.print_key(image)}
    with pytest.raises(NotFound):
        images.get(session, other)


def test_deleting_a_published_image_needs_force(session, context, make_image):
    image_id = make_image(status="published")
    with pytest.raises(InvalidTransition):
        images.delete_image(session, context.storage, images.get(session, image_id), REVIEWER)
    session.rollback()
    images.delete_image(
        session, context.storage, images.get(session, image_id), REVIEWER, force=True
    )
    session.commit()
    deleted = session.scalars(
        select(AuditEntry).where(AuditEntry.entity_id == image_id, AuditEntry.action == "deleted")
    ).one()
    assert deleted.details["forced"] is True
    assert deleted.from_status == "published"
