"""/review/events: server-sent events announcing new images in the queue as jobs complete.

The stream polls the database rather than listening to the workers, so it sees images from every
worker process and host alike. Each poll is one short indexed query on its own connection of the
deferred engine, holding no transaction (or SQLite lock) while the stream waits. A stream ends
after `LIFETIME_SECONDS`; the browser reconnects on its own (`retry:`) and sends the last event id,
so nothing is lost in between and no request thread is held forever.

A quiet poll still writes a line (the resume point): a WSGI server only learns that the browser
left when a write fails, so without it every closed or navigated-away tab would keep its request
thread busy until the next write, and a server shutting down would wait for those streams.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from flask import Response, request
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gateway.app.database import utcnow
from gateway.app.dates import parse_instant
from gateway.app.generation import context as generation_context
from gateway.app.review import queries
from gateway.app.review.queries import ReviewQuery
from gateway.app.ui import blueprint
from gateway.app.ui.access import ui_access
from gateway.app.ui.review import read_query

POLL_SECONDS = 2.0
LIFETIME_SECONDS = 300.0
RETRY_MILLISECONDS = 2000
# Rows become visible when their job commits, a little after their created_at; look back this far
# so a slow commit is still announced (the ids already sent are remembered, so none twice).
LOOKBACK = timedelta(seconds=30)
# A stale page or event id does not replay more than this much history.
MAX_CATCH_UP = timedelta(hours=1)


def _parse_since(raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        return parse_instant(raw)
    except ValueError:
        return None


def _event(name: str, data: dict[str, object], event_id: str) -> str:
    return f"event: {name}\nid: {event_id}\ndata: {json.dumps(data)}\n\n"


def arrival_stream(
    engine: Engine,
    query: ReviewQuery,
    since: datetime,
    *,
    lifetime: float = LIFETIME_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[str]:
    """Yield an `images` event ({ids, counts}) whenever matching images arrive after `since`."""
    yield f"retry: {RETRY_MILLISECONDS}\n\n"
    window_start = since
    seen: set[str] = set()
    deadline = time.monotonic() + lifetime
    while time.monotonic() < deadline:
        now = utcnow()
        with Session(engine) as session:
            rows = queries.arrivals(session, query, since=window_start)
            fresh = [(image_id, at) for image_id, at in rows if image_id not in seen]
            counts = queries.counts_by_status(session, query) if fresh else {}
        seen = {image_id for image_id, _ in rows}
        window_start = max(window_start, now - LOOKBACK)
        if len(rows) >= queries.MAX_ARRIVALS:
            window_start = max(window_start, rows[-1][1])
        # The event id is where a reconnecting stream resumes: the start of the look-back window.
        position = window_start.isoformat()
        if fresh:
            ids = [image_id for image_id, _ in fresh]
            yield _event("images", {"ids": ids, "counts": counts}, position)
        else:
            yield f"id: {position}\n\n"  # a closed tab fails this write and frees the thread
        sleep(POLL_SECONDS)


@blueprint.get("/review/events")
@ui_access("read")
def review_events() -> Response:
    """The queue's filters apply; the start is the last event seen, the page's time, or now."""
    query = read_query()
    now = utcnow()
    since = (
        _parse_since(request.headers.get("Last-Event-ID"))
        or _parse_since(request.args.get("since"))
        or now
    )
    engine = generation_context.current().engine
    response = Response(
        arrival_stream(engine, query, max(since, now - MAX_CATCH_UP)), mimetype="text/event-stream"
    )
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"
    return response
