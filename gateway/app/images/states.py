"""The image state machine of the contract (section 4), in one place."""

from __future__ import annotations

from enum import StrEnum

from gateway.app.state_machine import StateMachine


class ImageStatus(StrEnum):
    GENERATING = "generating"
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    PUBLISH_FAILED = "publish_failed"


IMAGE_TRANSITIONS: dict[ImageStatus, frozenset[ImageStatus]] = {
    ImageStatus.GENERATING: frozenset({ImageStatus.PENDING}),
    ImageStatus.PENDING: frozenset({ImageStatus.APPROVED, ImageStatus.REJECTED}),
    ImageStatus.APPROVED: frozenset({ImageStatus.PUBLISHING, ImageStatus.PENDING}),
    ImageStatus.REJECTED: frozenset({ImageStatus.PENDING}),
    ImageStatus.PUBLISHING: frozenset({ImageStatus.PUBLISHED, ImageStatus.PUBLISH_FAILED}),
    ImageStatus.PUBLISHED: frozenset({ImageStatus.APPROVED}),
    ImageStatus.PUBLISH_FAILED: frozenset({ImageStatus.PUBLISHING}),
}

# Moves back to `pending` are resets, which only an admin may make.
ADMIN_ONLY_TARGETS: dict[ImageStatus, frozenset[ImageStatus]] = {
    ImageStatus.APPROVED: frozenset({ImageStatus.PENDING}),
    ImageStatus.REJECTED: frozenset({ImageStatus.PENDING}),
}

# Deleting an image that went out to a shop needs `force`.
DELETABLE_WITHOUT_FORCE = frozenset(
    {ImageStatus.PENDING, ImageStatus.REJECTED, ImageStatus.APPROVED, ImageStatus.PUBLISH_FAILED}
)


IMAGE_STATES = StateMachine(IMAGE_TRANSITIONS)
can_move = IMAGE_STATES.can_move


def needs_admin(current: str, target: str) -> bool:
    return ImageStatus(target) in ADMIN_ONLY_TARGETS.get(ImageStatus(current), frozenset())


def sources(target: str, *, is_admin: bool) -> frozenset[ImageStatus]:
    """The statuses `target` may be reached from by this actor: the guard of a bulk move in SQL."""
    return frozenset(
        current
        for current in IMAGE_STATES.sources(target)
        if is_admin or not needs_admin(current, target)
    )
