"""The inputs of the use cases, validated: what a client may send to create or change things."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, TypeVar

import phonenumbers
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from hoststand.domain.access import Role
from hoststand.domain.clock import EARLIEST, LATEST
from hoststand.domain.entities import validate_timezone
from hoststand.domain.errors import DomainError
from hoststand.domain.status import GuestKind, GuestStatus, TableStatus


def _e164(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        raise ValueError("phone must be in E.164 form, e.g. +14155550123") from None
    if not value.startswith("+") or not phonenumbers.is_valid_number(number):
        raise ValueError("phone must be a valid number in E.164 form, e.g. +14155550123")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("a time needs a zone, e.g. 2025-09-01T19:30:00Z")
    if not EARLIEST <= value < LATEST:
        raise ValueError(f"must be in the years {EARLIEST.year} to {LATEST.year - 1}")
    return value


def _timezone(value: str) -> str:
    try:
        return validate_timezone(value)
    except DomainError as exc:
        raise ValueError(exc.message) from None


def _tags(value: list[str]) -> list[str]:
    cleaned = [t.strip() for t in value]
    if any(not t for t in cleaned):
        raise ValueError("tags must not be empty")
    return list(dict.fromkeys(cleaned))


def _contains_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list):
        return any(_contains_nul(item) for item in value)
    return False


def _refuse_null(value: object) -> object:
    if value is None:
        raise ValueError("cannot be null")
    return value


def _schema_without_null(schema: dict[str, Any]) -> None:
    # Left out means "unchanged" and null is refused: the OpenAPI page must not offer null.
    options = [option for option in schema.pop("anyOf") if option != {"type": "null"}]
    if len(options) == 1:
        schema.update(options[0])
    else:
        schema["anyOf"] = options
    if "default" in schema and schema["default"] is None:
        del schema["default"]  # null is not a value it takes


def _reservation_only(value: object, info: ValidationInfo) -> object:
    if value is not None and info.data.get("kind") is GuestKind.WALK_IN:
        raise ValueError(f"{info.field_name} is for reservations (kind)")
    return value


T = TypeVar("T")
# A field of a partial update that may be left out but not set to null.
NotNull = Annotated[
    T | None, AfterValidator(_refuse_null), Field(json_schema_extra=_schema_without_null)
]
Phone = Annotated[str | None, AfterValidator(_e164)]
AwareDatetime = Annotated[datetime | None, AfterValidator(_aware)]
TimeZone = Annotated[str, AfterValidator(_timezone)]
Tags = Annotated[
    list[Annotated[str, Field(max_length=40)]], Field(max_length=20), AfterValidator(_tags)
]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Label = Annotated[str, Field(min_length=1, max_length=50)]
PartySize = Annotated[int, Field(ge=1, le=500)]


class Command(BaseModel):
    """Refuses unknown fields and NUL characters, trims strings."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        # PostgreSQL cannot store NUL in text; refuse it on every database alike.
        if _contains_nul(value):
            raise ValueError("must not contain NUL characters")
        return value

    def given(self) -> dict[str, Any]:
        """Only the fields the client actually sent (for partial updates)."""
        return {name: getattr(self, name) for name in self.model_fields_set}


class TurnTime(Command):
    """How long parties up to a size stay."""

    max_party_size: PartySize
    minutes: int = Field(ge=5, le=24 * 60)


class RestaurantCreate(Command):
    """A new restaurant."""

    id: uuid.UUID | None = Field(None, description="Client-chosen id, for safe retries.")
    name: Name
    timezone: TimeZone = "UTC"
    turn_times: list[TurnTime] | None = Field(None, max_length=20)


class RestaurantUpdate(Command):
    """Changes to a restaurant's settings."""

    name: NotNull[Name] = None
    timezone: NotNull[TimeZone] = None
    turn_times: list[TurnTime] | None = Field(None, max_length=20)


class TableCreate(Command):
    """A new table on the floor."""

    id: uuid.UUID | None = Field(None, description="Client-chosen id, for safe retries.")
    label: Label
    capacity: int = Field(ge=1, le=100)
    min_capacity: int = Field(1, ge=1, le=100)
    section: str | None = Field(None, max_length=100)
    x: float | None = Field(None, ge=-1e6, le=1e6)
    y: float | None = Field(None, ge=-1e6, le=1e6)
    status: TableStatus = TableStatus.AVAILABLE

    @field_validator("min_capacity")
    @classmethod
    def _not_above_capacity(cls, value: int, info: ValidationInfo) -> int:
        capacity = info.data.get("capacity")
        if capacity is not None and value > capacity:
            raise ValueError("min_capacity must not exceed capacity")
        return value

    @field_validator("status")
    @classmethod
    def _not_occupied(cls, value: TableStatus) -> TableStatus:
        if value is TableStatus.OCCUPIED:
            raise ValueError("a new table cannot be occupied: seat a guest with assign")
        return value


class TableUpdate(Command):
    """Changes to a table: its layout (owners) or its status (hosts)."""

    label: NotNull[Label] = None
    capacity: NotNull[int] = Field(None, ge=1, le=100)
    min_capacity: NotNull[int] = Field(None, ge=1, le=100)
    section: str | None = Field(None, max_length=100)
    x: float | None = Field(None, ge=-1e6, le=1e6)
    y: float | None = Field(None, ge=-1e6, le=1e6)
    status: NotNull[TableStatus] = None


HOLD_ANYWAY = (
    "Hold the table although it cannot take the party (too small, or out of service); "
    "without it that hold is refused with hold_does_not_fit."
)


class GuestCreate(Command):
    """A new walk-in or reservation."""

    id: uuid.UUID | None = Field(None, description="Client-chosen id, for safe retries.")
    name: Name
    party_size: PartySize
    phone: Phone = None
    kind: GuestKind = GuestKind.WALK_IN
    # Checked even when absent: a reservation without one is named as the failing field.
    reserved_for: AwareDatetime = Field(None, validate_default=True)
    duration_minutes: int | None = Field(None, ge=5, le=24 * 60)
    held_table_id: uuid.UUID | None = None
    quoted_wait_minutes: int | None = Field(None, ge=0, le=24 * 60)
    notes: str | None = Field(None, max_length=2000)
    tags: Tags = Field(default_factory=list)
    override_hold: bool = Field(False, description=HOLD_ANYWAY)

    @field_validator("reserved_for")
    @classmethod
    def _reservations_need_a_time(cls, value: datetime | None, info: ValidationInfo) -> object:
        if value is None and info.data.get("kind") is GuestKind.RESERVATION:
            raise ValueError("a reservation needs reserved_for")
        return _reservation_only(value, info)

    @field_validator("duration_minutes", "held_table_id")
    @classmethod
    def _reservation_only_field(cls, value: object, info: ValidationInfo) -> object:
        return _reservation_only(value, info)


class GuestUpdate(Command):
    """Changes to a guest; `status` moves it along (seating goes through assign/release)."""

    name: NotNull[Name] = None
    party_size: NotNull[PartySize] = None
    phone: Phone = None
    status: NotNull[GuestStatus] = None
    # A reservation needs its time and a walk-in has none: null is never a valid change.
    reserved_for: NotNull[AwareDatetime] = Field(
        None,
        description="Reservations only. Refused (guest_seated) once the party is seated, and "
        "after it left.",
    )
    duration_minutes: int | None = Field(
        None,
        ge=5,
        le=24 * 60,
        description="Reservations only: the stay; a seated party's too (when its table frees).",
    )
    held_table_id: uuid.UUID | None = Field(
        None,
        description="Reservations only: a table of the restaurant, or null. Once the party is "
        "seated, only the table it sits at or null (else guest_seated).",
    )
    quoted_wait_minutes: int | None = Field(
        None,
        ge=0,
        le=24 * 60,
        description="Refused (guest_seated) once the party is seated, and after it left.",
    )
    notes: str | None = Field(None, max_length=2000)
    tags: NotNull[Tags] = None
    override_hold: bool = Field(False, description=HOLD_ANYWAY)

    def given(self) -> dict[str, Any]:
        """The guest's fields the client sent: override_hold is a flag, not one of them."""
        return {name: value for name, value in super().given().items() if name != "override_hold"}


class Assign(Command):
    """Seat a guest at a table."""

    guest_id: uuid.UUID
    override_capacity: bool = Field(False, description="Seat a party larger than the table.")
    override: bool = Field(False, description="Seat although a reservation holds the table soon.")


class Reseat(Command):
    """Seat again the party just released from a table by mistake."""

    guest_id: uuid.UUID = Field(description="The guest released from this table.")


class Move(Command):
    """Move the party seated at a table to another table."""

    to_table_id: uuid.UUID = Field(description="The table the party moves to.")
    override_capacity: bool = Field(False, description="Move a party larger than the new table.")
    override: bool = Field(
        False, description="Move although a reservation holds the new table soon."
    )


class TokenCreate(Command):
    """A new API token for a device or a person."""

    name: str = Field(min_length=1, max_length=100)
    role: Role = Role.HOST
