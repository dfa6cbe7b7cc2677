"""Review decisions and deletions of many images as set-based statements, with an outcome per id.

Done image by image, 10,000 ids cost a read, a savepoint, an UPDATE and an audit row each: seconds
of round trips. Here a chunk of ids is one UPDATE (or DELETE) per allowed source state, guarded in
SQL by the state machine, so an image that moved meanwhile is simply not touched; one read then
explains the ids it did not touch, and one multi-row INSERT audits those it did. The outcomes are
those of the one-by-one path: NOT_FOUND, already there (skipped), INVALID_TRANSITION, FORBIDDEN.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from gateway.app.audit import service as audit
from gateway.app.audit.service import Actor
from gateway.app.database import Unindexed, utcnow
from gateway.app.errors import Forbidden, GatewayError, InvalidTransition, NotFound
from gateway.app.images import service as images
from gateway.app.images.models import Image, ImageDuplicate
from gateway.app.images.states import (
    DELETABLE_WITHOUT_FORCE,
    IMAGE_TRANSITIONS,
    ImageStatus,
    can_move,
    needs_admin,
    sources,
)

# Core rather than ORM statements: 10,000 moves come back as ids, not tracked objects.
IMAGES = Image.__table__
# (image id, file key) pairs another feature keeps for the images: read before they are deleted.
HeldFiles = Callable[[Session, list[str]], list[tuple[str, str]]]

# Ids per statement: each is a bound variable, and old SQLite builds allow 999 per statement.
CHUNK = 500
# Ids per transaction of a batch: long enough to amortise a commit, short enough that other
# writers (the status counters' rows, SQLite's write lock) wait a fraction of a second at most.
SLICE = 2_000


@dataclass
class Outcomes:
    """What happened to each id; `files` holds the storage keys to drop once a deletion commits."""

    done: set[str] = field(default_factory=set)
    skipped: set[str] = field(default_factory=set)
    failed: dict[str, GatewayError] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    def add(self, other: Outcomes) -> None:
        """Take in the outcomes of another slice of the ids."""
        self.done |= other.done
        self.skipped |= other.skipped
        self.failed.update(other.failed)
        self.files.extend(other.files)


def chunks(image_ids: list[str], size: int | None = None) -> Iterator[list[str]]:
    """`image_ids` in slices of at most `size` (CHUNK unless given)."""
    size = size or CHUNK
    for start in range(0, len(image_ids), size):
        yield image_ids[start : start + size]


def _statuses(session: Session, image_ids: list[str]) -> dict[str, str]:
    """The current status of each of these images that exists (no query for none)."""
    if not image_ids:
        return {}
    return dict(
        session.execute(select(Image.id, Image.status).where(Image.id.in_(image_ids))).all()
    )


def _not_found() -> NotFound:
    return NotFound("image not found")


def decide(
    session: Session,
    image_ids: list[str],
    target: ImageStatus,
    actor: Actor,
    *,
    is_admin: bool,
    action: str,
    reason: str | None = None,
    note: str | None = None,
) -> Outcomes:
    """Approve or reject every image that may move to `target`, as `images.approve`/`reject` do.

    Images already at `target` are skipped, so a retried batch is harmless.
    """
    outcomes = Outcomes()
    now = utcnow()
    review = {
        "status": str(target),
        "reject_reason": reason,
        "review_note": note,
        "reviewed_by": actor.name,
        "reviewed_at": now,
        "updated_at": now,
    }
    for chunk in chunks(image_ids):
        moved: set[str] = set()
        for source in sorted(sources(target, is_admin=is_admin)):
            # Only the ids no earlier source state moved: most of a chunk moves at the first.
            waiting = [image_id for image_id in chunk if image_id not in moved]
            if not waiting:
                break
            rows = list(session.scalars(move_statement(waiting, source, review)))
            if not rows:
                continue
            audit.record_each(
                session,
                actor,
                select(IMAGES.c.id).where(IMAGES.c.id.in_(rows)),
                entity_type="image",
                action=action,
                from_status=str(source),
                to_status=str(target),
                reason=reason,
                note=note,
            )
            moved.update(rows)
        outcomes.done.update(moved)
        rest = [image_id for image_id in chunk if image_id not in moved]
        found = _statuses(session, rest)
        for image_id in rest:
            current = found.get(image_id)
            if current is None:
                outcomes.failed[image_id] = _not_found()
            elif current == target:
                outcomes.skipped.add(image_id)
            else:
                outcomes.failed[image_id] = _refusal(image_id, current, target, is_admin=is_admin)
    return outcomes


def move_statement(image_ids: list[str], source: str, values: dict[str, Any]) -> Any:
    """UPDATE of the images among `image_ids` still at `source`, returning the ids it moved.

    The status is tested on each row the ids find (`Unindexed`): walking the status index
    instead would visit every image at `source` once per chunk.
    """
    return (
        update(IMAGES)
        .where(IMAGES.c.id.in_(image_ids), Unindexed(IMAGES.c.status) == source)
        .values(values)
        .returning(IMAGES.c.id)
    )


def removal_statement(image_ids: list[str], statuses: Iterable[str]) -> Any:
    """DELETE of the images among `image_ids` at one of `statuses`, returning what the caller
    needs of each (as `move_statement`, found by id, not by the status index)."""
    return (
        delete(Image)
        .where(Image.id.in_(image_ids), Unindexed(Image.status).in_([str(s) for s in statuses]))
        .returning(Image.id, Image.status, Image.sha256, Image.original_key, Image.thumbnail_key)
        .execution_options(synchronize_session=False)
    )


def _refusal(image_id: str, current: str, target: ImageStatus, *, is_admin: bool) -> GatewayError:
    """Why an image at `current` was not moved to `target`: the single move's own error."""
    if not can_move(current, target):
        allowed = sorted(IMAGE_TRANSITIONS[ImageStatus(current)])
        return InvalidTransition(
            f"image {image_id} cannot go from {current} to {target}",
            details={"image_id": image_id, "from": current, "to": str(target), "allowed": allowed},
        )
    if needs_admin(current, target) and not is_admin:
        return Forbidden(f"only an admin may move an image from {current} back to {target}")
    return InvalidTransition(
        f"image {image_id} changed meanwhile (now {current})",
        details={"image_id": image_id, "from": current, "to": str(target)},
    )


def remove(
    session: Session, image_ids: list[str], actor: Actor, *, force: bool, held_files: HeldFiles
) -> Outcomes:
    """Delete the images, as `images.delete_image` does; `files` lists the keys to drop after commit.

    Published (or publishing) images need `force`. An image's files go only when no image left
    shares its content; the files other features hold for it (`held_files`: its publications'
    print files, which the cascade takes with the rows) go with it.
    """
    outcomes = Outcomes()
    allowed = set(ImageStatus) if force else DELETABLE_WITHOUT_FORCE
    gone: dict[str, Any] = {}
    for chunk in chunks(image_ids):
        # Read what the cascade will take with the rows: duplicate pairs and print files.
        pairs = session.execute(
            select(ImageDuplicate.image_id, ImageDuplicate.duplicate_id).where(
                ImageDuplicate.image_id.in_(chunk)
            )
        ).all()
        prints = held_files(session, chunk)
        deleted = {row.id: row for row in session.execute(removal_statement(chunk, allowed))}
        gone.update(deleted)
        _forget_duplicates(session, [(a, b) for a, b in pairs if a in deleted and b not in gone])
        outcomes.files.extend(key for image_id, key in prints if image_id in deleted)
        audit.record_many(
            session,
            actor,
            entity_type="image",
            action="deleted",
            entries={
                row.id: {
                    "from_status": row.status,
                    "details": {"forced": force, "sha256": row.sha256},
                }
                for row in deleted.values()
            },
        )
        rest = [image_id for image_id in chunk if image_id not in deleted]
        found = _statuses(session, rest)
        for image_id in rest:
            current = found.get(image_id)
            outcomes.failed[image_id] = (
                _not_found()
                if current is None
                else InvalidTransition(
                    f"image {image_id} is {current}; pass force to delete it",
                    details={"image_id": image_id, "from": current},
                )
            )
    outcomes.done = set(gone)
    outcomes.files = _unshared_files(session, list(gone.values())) + outcomes.files
    return outcomes


def _forget_duplicates(session: Session, pairs: list[tuple[str, str]]) -> None:
    """Lower each surviving image's duplicate count by its deleted near-duplicates."""
    lost: dict[str, int] = defaultdict(int)
    for _, survivor in pairs:
        lost[survivor] += 1
    by_amount: dict[int, list[str]] = defaultdict(list)
    for survivor, amount in lost.items():
        by_amount[amount].append(survivor)
    for amount, survivors in by_amount.items():
        for chunk in chunks(survivors):
            session.execute(
                update(Image)
                .where(Image.id.in_(chunk))
                .values(duplicate_count=Image.duplicate_count - amount)
                .execution_options(synchronize_session=False)
            )


def _unshared_files(session: Session, rows: list[Any]) -> list[str]:
    """Original, thumbnail and print file keys of deleted images whose content no image keeps."""
    hashes = sorted({row.sha256 for row in rows})
    kept: set[str] = set()
    for chunk in chunks(hashes):
        kept.update(session.scalars(select(Image.sha256).where(Image.sha256.in_(chunk)).distinct()))
    files: dict[str, None] = {}
    for row in rows:
        if row.sha256 not in kept:
            for key in (row.original_key, row.thumbnail_key, images.print_key_for(row.sha256)):
                files[key] = None
    return list(files)
