"""Time as hoststand sees it: aware UTC datetimes, and the one wire format for them."""

from __future__ import annotations

from datetime import UTC, datetime

WIRE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


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
