"""The image state machine table against the contract (section 4), pair by pair."""

from __future__ import annotations

from itertools import product

import pytest

from gateway.app.images.states import (
    DELETABLE_WITHOUT_FORCE,
    IMAGE_TRANSITIONS,
    ImageStatus,
    can_move,
    needs_admin,
    sources,
)

STATUSES = [
    "generating",
    "pending",
    "approved",
    "rejected",
    "publishing",
    "published",
    "publish_failed",
]

# Written out from the contract rather than derived from the code under test.
ALLOWED = {
    ("generating", "pending"),
    ("pending", "approved"),
    ("pending", "rejected"),
    ("approved", "publishing"),
    ("publishing", "published"),
    ("publishing", "publish_failed"),
    ("publish_failed", "publishing"),
    ("rejected", "pending"),
    ("approved", "pending"),
    # Our one extension: unpublishing takes the product down and the image back to approved.
    ("published", "approved"),
}
RESETS = {("rejected", "pending"), ("approved", "pending")}


def test_the_statuses_are_the_contract_ones():
    assert sorted(str(status) for status in ImageStatus) == sorted(STATUSES)
    assert set(IMAGE_TRANSITIONS) == set(ImageStatus)


@pytest.mark.parametrize(("current", "target"), list(product(STATUSES, STATUSES)))
def test_each_pair_is_allowed_exactly_when_the_contract_says(current, target):
    assert can_move(current, target) is ((current, target) in ALLOWED)


@pytest.mark.parametrize(("current", "target"), sorted(ALLOWED))
def test_only_resets_need_an_admin(current, target):
    assert needs_admin(current, target) is ((current, target) in RESETS)


def test_a_published_image_only_goes_back_to_approved_by_unpublishing():
    assert IMAGE_TRANSITIONS[ImageStatus.PUBLISHED] == frozenset({ImageStatus.APPROVED})


@pytest.mark.parametrize("target", STATUSES)
@pytest.mark.parametrize("is_admin", [True, False])
def test_a_bulk_move_starts_from_exactly_the_statuses_a_single_move_may(target, is_admin):
    expected = {
        current
        for current in STATUSES
        if can_move(current, target) and (is_admin or not needs_admin(current, target))
    }
    assert sources(target, is_admin=is_admin) == expected


def test_published_and_in_flight_images_need_force_to_delete():
    assert ImageStatus.PUBLISHED not in DELETABLE_WITHOUT_FORCE
    assert ImageStatus.PUBLISHING not in DELETABLE_WITHOUT_FORCE
    assert {ImageStatus.PENDING, ImageStatus.REJECTED, ImageStatus.APPROVED} <= (
        DELETABLE_WITHOUT_FORCE
    )


@pytest.mark.parametrize("bad", ["", "done", "PENDING"])
def test_unknown_statuses_raise(bad):
    with pytest.raises(ValueError):
        can_move(bad, "pending")
    with pytest.raises(ValueError):
        can_move("pending", bad)
