"""The wire format of time: the seed's `2025-09-01T10:00:00Z`, UTC and whole seconds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hoststand.domain.clock import format_optional, format_timestamp, utcnow


def test_timestamps_are_utc_with_whole_seconds_and_a_z() -> None:
    moment = datetime(2025, 9, 1, 10, 0, 0, 999999, tzinfo=UTC)
    assert format_timestamp(moment) == "2025-09-01T10:00:00Z"


def test_other_zones_are_converted_to_utc() -> None:
    paris_summer = timezone(timedelta(hours=2))
    assert format_timestamp(datetime(2025, 9, 1, 0, 30, tzinfo=paris_summer)) == (
        "2025-08-31T22:30:00Z"
    )


def test_a_naive_time_is_taken_as_utc() -> None:
    assert format_timestamp(datetime(2025, 9, 1, 10, 0, 0)) == "2025-09-01T10:00:00Z"


def test_none_passes_through_and_now_is_aware() -> None:
    assert format_optional(None) is None
    assert utcnow().tzinfo is UTC
