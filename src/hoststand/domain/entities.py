"""The entities of a host stand: restaurants, tables and guests, and their wire views."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from hoststand.domain.clock import format_optional, format_timestamp
from hoststand.domain.errors import DomainError, ErrorCode
from hoststand.domain.status import GuestKind, GuestStatus, TableStatus

# Minutes a party of up to `max_party` guests is expected to stay (the last entry covers the rest).
DEFAULT_TURN_TIMES: tuple[tuple[int, int], ...] = ((2, 75), (4, 90), (6, 105), (1000, 120))


def validate_timezone(name: str) -> str:
    """Return `name` if it is an IANA time zone, else raise validation_error."""
    if name in _ALIASES_REFUSED or name not in _known_timezones():
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            f"unknown time zone {name!r}: use an IANA name such as 'Europe/Paris'",
            [{"field": "timezone", "message": "not an IANA time zone"}],
        )
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise DomainError(ErrorCode.VALIDATION_ERROR, f"unknown time zone {name!r}") from None
    return name


_ALIASES_REFUSED = {"localtime"}
_TIMEZONES: set[str] = set()


def _known_timezones() -> set[str]:
    if not _TIMEZONES:
        _TIMEZONES.update(available_timezones())
    return _TIMEZONES


def new_id() -> uuid.UUID:
    """A fresh entity id."""
    return uuid.uuid4()


@dataclass(slots=True)
class Restaurant:
    """A restaurant: the unit of tenancy, of the event log and of realtime fan-out."""

    id: uuid.UUID
    name: str
    timezone: str
    created_at: datetime
    updated_at: datetime
    turn_times: list[tuple[int, int]] = field(default_factory=lambda: list(DEFAULT_TURN_TIMES))
    version: int = 1
    last_seq: int = 0

    def duration_for(self, party_size: int) -> int:
        """Minutes a reservation of `party_size` holds its table by default."""
        for max_party, minutes in sorted(self.turn_times):
            if party_size <= max_party:
                return minutes
        return sorted(self.turn_times)[-1][1]

    def view(self) -> dict[str, Any]:
        """The restaurant as the API and the realtime feed show it."""
        return {
            "id": str(self.id),
            "name": self.name,
            "timezone": self.timezone,
            "turn_times": [{"max_party_size": p, "minutes": m} for p, m in self.turn_times],
            "version": self.version,
            "created_at": format_timestamp(self.created_at),
            "updated_at": format_timestamp(self.updated_at),
        }


@dataclass(slots=True)
class Table:
    """A table on the floor."""

    id: uuid.UUID
    restaurant_id: uuid.UUID
    label: str
    capacity: int
    created_at: datetime
    updated_at: datetime
    min_capacity: int = 1
    section: str | None = None
    x: float | None = None
    y: float | None = None
    status: TableStatus = TableStatus.AVAILABLE
    current_guest_id: uuid.UUID | None = None
    version: int = 1

    def view(self) -> dict[str, Any]:
        """The table as the API and the realtime feed show it."""
        return {
            "id": str(self.id),
            "restaurant_id": str(self.restaurant_id),
            "label": self.label,
            "capacity": self.capacity,
            "min_capacity": self.min_capacity,
            "section": self.section,
            "x": self.x,
            "y": self.y,
            "status": self.status.value,
            "current_guest_id": _str_or_none(self.current_guest_id),
            "version": self.version,
            "created_at": format_timestamp(self.created_at),
            "updated_at": format_timestamp(self.updated_at),
        }


@dataclass(slots=True)
class Guest:
    """A party: a walk-in on the waitlist or a reservation, until it leaves."""

    id: uuid.UUID
    restaurant_id: uuid.UUID
    name: str
    party_size: int
    kind: GuestKind
    status: GuestStatus
    joined_at: datetime
    created_at: datetime
    updated_at: datetime
    phone: str | None = None
    reserved_for: datetime | None = None
    duration_minutes: int | None = None
    held_table_id: uuid.UUID | None = None
    quoted_wait_minutes: int | None = None
    notes: str | None = None
    tags: list[str] = field(default_factory=list)
    table_id: uuid.UUID | None = None
    notified_at: datetime | None = None
    arrived_at: datetime | None = None
    seated_at: datetime | None = None
    completed_at: datetime | None = None
    version: int = 1

    @property
    def reserved_until(self) -> datetime | None:
        """When a reservation stops holding its table."""
        if self.reserved_for is None or self.duration_minutes is None:
            return None
        return self.reserved_for + timedelta(minutes=self.duration_minutes)

    def view(self) -> dict[str, Any]:
        """The guest as the API and the realtime feed show it."""
        return {
            "id": str(self.id),
            "restaurant_id": str(self.restaurant_id),
            "name": self.name,
            "party_size": self.party_size,
            "phone": self.phone,
            "kind": self.kind.value,
            "status": self.status.value,
            "reserved_for": format_optional(self.reserved_for),
            "duration_minutes": self.duration_minutes,
            "reserved_until": format_optional(self.reserved_until),
            "held_table_id": _str_or_none(self.held_table_id),
            "quoted_wait_minutes": self.quoted_wait_minutes,
            "notes": self.notes,
            "tags": list(self.tags),
            "table_id": _str_or_none(self.table_id),
            "joined_at": format_timestamp(self.joined_at),
            "notified_at": format_optional(self.notified_at),
            "arrived_at": format_optional(self.arrived_at),
            "seated_at": format_optional(self.seated_at),
            "completed_at": format_optional(self.completed_at),
            "version": self.version,
            "created_at": format_timestamp(self.created_at),
            "updated_at": format_timestamp(self.updated_at),
        }


def _str_or_none(value: uuid.UUID | None) -> str | None:
    return None if value is None else str(value)
