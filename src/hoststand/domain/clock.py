"""Time as hoststand sees it: aware UTC datetimes, and the one wire format for them."""

from __future__ import annotations

from datetime import UTC, datetime

WIRE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
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
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime(WIRE_FORMAT)


def format_optional(value: datetime | None) -> str | None:
    """format_timestamp, passing None through."""
    return None if value is None else format_timestamp(value)
