"""Keyset pagination: every row exactly once across pages, even while rows arrive between pages.

Rows share timestamps often (the tie-break on id must hold), and new rows are inserted between
page fetches both newer than every page (never seen: the listing is newest first) and older than
the cursor (seen once, in their place).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import delete, select

from gateway.app.extensions import db
from gateway.app.generation.models import GenerationJob
from gateway.app.generation.service import BY_CREATED
from tests.property.conftest import PROPERTY

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
# Few distinct minutes, so that many rows share a timestamp.
offsets = st.integers(min_value=-5, max_value=5)


def _job(job_id: str, minutes: int) -> GenerationJob:
    return GenerationJob(
        id=job_id,
        backend="local",
        params={},
        created_at=EPOCH + timedelta(minutes=minutes),
    )


@PROPERTY
@given(
    initial=st.lists(offsets, min_size=0, max_size=30),
    limit=st.integers(min_value=1, max_value=7),
    arrivals=st.lists(st.lists(offsets, max_size=3), max_size=8),
)
def test_every_row_appears_exactly_once_across_pages_despite_inserts(
    prop_app: Flask, initial: list[int], limit: int, arrivals: list[list[int]]
) -> None:
    with prop_app.app_context():
        session = db.session
        session.execute(delete(GenerationJob))
        session.add_all(_job(f"job_{n:04d}", minutes) for n, minutes in enumerate(initial))
        session.commit()
        original = set(session.scalars(select(GenerationJob.id)))
        seen: list[str] = []
        cursor: str | None = None
        batches = iter(arrivals)
        serial = len(initial)
        for _ in range(len(initial) + sum(map(len, arrivals)) + 2):
            rows, cursor = BY_CREATED.page(
                session, select(GenerationJob), limit=limit, cursor=cursor
            )
            assert len(rows) <= limit
            seen.extend(row.id for row in rows)
            if cursor is None:
                break
            for minutes in next(batches, []):
                session.add(_job(f"job_{serial:04d}", minutes))
                serial += 1
            session.commit()
        assert cursor is None, "paging never reached the end"
        assert len(seen) == len(set(seen)), "a row appeared twice"
        assert original <= set(seen), "a row that was there all along was skipped"
        keys = [
            (job.created_at, job.id)
            for job in (session.get(GenerationJob, job_id) for job_id in seen)
            if job is not None
        ]
        assert keys == sorted(keys, reverse=True), "pages are not newest first"
        session.execute(delete(GenerationJob))
        session.commit()
