"""The review queue's reads: filtered keyset pages, neighbours, counts per status, arrivals.

Pages are keyed by (created_at, id), not by offset: the database seeks into
ix_images_status_created (one status) or ix_images_created (all) at the cursor instead of counting
past every earlier row, so the 2,000th page costs what the first does, and a page does not shift
while other reviewers move images out of the filtered set.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.app.dates import day_range
from gateway.app.images import counts
from gateway.app.images import service as images
from gateway.app.images.models import Image
from gateway.app.images.service import ImageQuery
from gateway.app.pagination import PAGE_SIZE, Cursor

MAX_ARRIVALS = 200


class Sort(StrEnum):
    OLDEST = "oldest"
    NEWEST = "newest"


@dataclass(frozen=True)
class ReviewQuery:
    """What the queue shows and in which order; dates are UTC days, both ends inclusive.

    `status` None means every status. The default is the review queue proper: pending, oldest
    first, so the queue drains in the order designs arrived.
    """

    status: str | None = "pending"
    q: str | None = None
    backend: str | None = None
    has_duplicates: bool | None = None
    has_warnings: bool | None = None
    risk: str | None = None
    soft_below_width: int | None = None
    created_from: date | None = None
    created_to: date | None = None
    sort: Sort = Sort.OLDEST

    @property
    def ascending(self) -> bool:
        return self.sort is Sort.OLDEST

    def statement(self) -> Any:
        """`select(Image)` with every filter: the image service's, plus the date range."""
        shared = {name: getattr(self, name) for name in IMAGE_FILTERS}
        statement = images.filtered(ImageQuery(**shared))
        start, end = day_range(self.created_from, self.created_to)
        if start:
            statement = statement.where(Image.created_at >= start)
        if end:
            statement = statement.where(Image.created_at < end)
        return statement


QUEUE_ORDER = images.BY_CREATED
# The image service's filters the queue offers (all but `job_id`), under the same names.
_QUEUE_FIELDS = {field.name for field in fields(ReviewQuery)}
IMAGE_FILTERS = tuple(field.name for field in fields(ImageQuery) if field.name in _QUEUE_FIELDS)
UNFILTERED = ReviewQuery(status=None)


@dataclass(frozen=True)
class Page:
    """One page in queue order, with the tokens of its neighbours (None at an end)."""

    items: list[Image]
    next_cursor: str | None
    prev_cursor: str | None


def _token(image: Image) -> str:
    return QUEUE_ORDER.encode(QUEUE_ORDER.cursor_of(image))


def page(
    session: Session,
    query: ReviewQuery,
    *,
    after: Cursor | None = None,
    before: Cursor | None = None,
    limit: int = PAGE_SIZE,
) -> Page:
    """The `limit` images after `after`, or before `before`, or else from the start.

    Going back past the start answers the first page itself, so "previous" from page two is the
    very page "next" came from.
    """
    ascending = query.ascending
    if before is not None:
        statement = query.statement().where(QUEUE_ORDER.beyond(before, ascending=not ascending))
        rows = list(
            session.scalars(
                QUEUE_ORDER.ordered(statement, ascending=not ascending).limit(limit + 1)
            )
        )
        if len(rows) <= limit:
            return page(session, query, limit=limit)
        items = list(reversed(rows[:limit]))
        return Page(items, _token(items[-1]), _token(items[0]))
    statement = query.statement()
    if after is not None:
        statement = statement.where(QUEUE_ORDER.beyond(after, ascending=ascending))
    rows = list(
        session.scalars(QUEUE_ORDER.ordered(statement, ascending=ascending).limit(limit + 1))
    )
    items = rows[:limit]
    more = len(rows) > limit
    return Page(
        items,
        _token(items[-1]) if items and more else None,
        _token(items[0]) if items and after is not None else None,
    )


def neighbours(session: Session, query: ReviewQuery, image: Image) -> tuple[str | None, str | None]:
    """Ids of the images just before and just after `image` in the queue's order.

    `image` need not match the filter any more (it may just have been approved): its position
    still tells where the rest of the queue continues.
    """
    cursor = QUEUE_ORDER.cursor_of(image)
    found: list[str | None] = []
    for ascending in (not query.ascending, query.ascending):
        statement = query.statement().where(QUEUE_ORDER.beyond(cursor, ascending=ascending))
        ordered = (
            QUEUE_ORDER.ordered(statement, ascending=ascending).with_only_columns(Image.id).limit(1)
        )
        found.append(session.scalar(ordered))
    return found[0], found[1]


def counts_by_status(session: Session, query: ReviewQuery) -> dict[str, int]:
    """Images per status under every filter but the status itself (statuses with none left out).

    Unfiltered, the maintained counts answer; a filter needs one GROUP BY over what it matches.
    """
    if replace(query, status=None, sort=Sort.OLDEST) == UNFILTERED:
        return {status: total for status, total in counts.by_status(session).items() if total}
    statement = replace(query, status=None).statement()
    rows = session.execute(
        statement.with_only_columns(Image.status, func.count()).group_by(Image.status)
    )
    return {status: count for status, count in rows}


def arrivals(
    session: Session, query: ReviewQuery, *, since: datetime, limit: int = MAX_ARRIVALS
) -> list[tuple[str, datetime]]:
    """(id, created_at) of matching images created at or after `since`, oldest first."""
    statement = query.statement().where(Image.created_at >= since)
    ordered = QUEUE_ORDER.ordered(statement, ascending=True).with_only_columns(
        Image.id, Image.created_at
    )
    return [
        (image_id, created_at) for image_id, created_at in session.execute(ordered.limit(limit))
    ]


def by_ids(session: Session, image_ids: Iterable[str]) -> list[Image]:
    """The images with these ids that exist, in the order given."""
    wanted = list(dict.fromkeys(image_ids))
    if not wanted:
        return []
    found = {
        image.id: image for image in session.scalars(select(Image).where(Image.id.in_(wanted)))
    }
    return [found[image_id] for image_id in wanted if image_id in found]


def children_of(session: Session, image_id: str, *, limit: int = 100) -> list[Image]:
    """Images made from `image_id` by edits, oldest first."""
    statement = select(Image).where(Image.parent_id == image_id)
    return list(session.scalars(QUEUE_ORDER.ordered(statement, ascending=True).limit(limit)))
