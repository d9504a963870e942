"""Time as hoststand sees it: aware UTC datetimes, and the one wire format for them."""

from __future__ import annotations

from datetime import UTC, datetime

# The times clients may give: wide enough for any booking, and far from datetime's limits, which
# adding a duration or changing the time zone would otherwise overflow.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def format_timestamp(value: datetime) -> str:
    """Format as the seed protocol does, `2025-09-01T10:00:00Z`: UTC, whole seconds.

    Swift's default ISO 8601 decoder rejects fractional seconds, so they are dropped.
    """
    if value.tzinfo is not UTC:
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    # By hand: strftime cost three times as much (an f-string twice), and an entity's view
    # formats up to seven.
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % (  # noqa: UP031
        value.year,
        value.month,
        value.day,
        value.hour,
        value.minute,
        value.second,
    )


def format_optional(value: datetime | None) -> str | None:
    """format_timestamp, passing None through."""
    return None if value is None else format_timestamp(value)
