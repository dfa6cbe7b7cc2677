"""Days and instants read from requests, and the UTC ranges they stand for.

`datetime` spans years 1 to 9999 and overflows at either end: the day after 9999-12-31, or
0001-01-01T00:00+14:00 turned to UTC, is an OverflowError, which reached the review queue, the
audit log and every cursor as a 500. Every filter and cursor reads dates through here, where the
ends of the calendar are ordinary input.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from gateway.app.errors import ValidationFailed


def parse_day(raw: str | None, field: str) -> date | None:
    """An ISO date (YYYY-MM-DD) from a query parameter; None when absent, a 400 naming `field`
    when it is not a date."""
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed(f"{field} must be a date", {field: "must be YYYY-MM-DD"}) from None


def parse_instant(raw: str) -> datetime:
    """An ISO 8601 time with a zone, in UTC; ValueError when naive, malformed or beyond year 9999
    once in UTC."""
    value = datetime.fromisoformat(raw)
    if value.tzinfo is None:
        raise ValueError(f"{raw!r} has no time zone")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{raw!r} is outside the years 1-9999 in UTC") from None


def day_range(first: date | None, last: date | None) -> tuple[datetime | None, datetime | None]:
    """The instants [start, end) that the UTC days `first`..`last` (both inclusive) cover; None
    for an open end, including the end after the calendar's last day."""
    start = datetime.combine(first, time.min, tzinfo=UTC) if first else None
    end = None
    if last and last < date.max:
        end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=UTC)
    return start, end
