"""Response shapes, for the OpenAPI page; the bodies themselves come from the entities' views."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from hoststand.domain.access import Role
from hoststand.domain.status import GuestKind, GuestStatus, TableStatus

Timestamp = str  # always "2025-09-01T10:00:00Z": UTC, whole seconds


class TurnTimeOut(BaseModel):
    """Parties up to `max_party_size` stay `minutes`."""

    max_party_size: int
    minutes: int


class RestaurantOut(BaseModel):
    """A restaurant."""

    id: str
    name: str
    timezone: str = Field(description="IANA time zone, e.g. Europe/Paris")
    turn_times: list[TurnTimeOut]
    version: int
    created_at: Timestamp
    updated_at: Timestamp


class TableOut(BaseModel):
    """A table on the floor."""

    id: str
    restaurant_id: str
    label: str
    capacity: int = Field(
        description="The most guests it seats: seating a larger party there needs "
        "override_capacity, and holding it for one needs override_hold"
    )
    min_capacity: int = Field(
        description="The fewest guests it is meant for: advisory, never refused (clients warn)"
    )
    section: str | None
    x: float | None
    y: float | None
    status: TableStatus
    current_guest_id: str | None
    version: int
    created_at: Timestamp
    updated_at: Timestamp


class GuestOut(BaseModel):
    """A walk-in or a reservation."""

    id: str
    restaurant_id: str
    name: str
    party_size: int
    phone: str | None
    kind: GuestKind
    status: GuestStatus
    reserved_for: Timestamp | None
    duration_minutes: int | None
    reserved_until: Timestamp | None
    held_table_id: str | None
    quoted_wait_minutes: int | None
    notes: str | None
    tags: list[str]
    table_id: str | None
    joined_at: Timestamp
    notified_at: Timestamp | None
    arrived_at: Timestamp | None
    seated_at: Timestamp | None
    completed_at: Timestamp | None
    version: int
    created_at: Timestamp
    updated_at: Timestamp


class SeatingOut(BaseModel):
    """The table and the guest after an assign or a release."""

    table: TableOut
    guest: GuestOut | None


class MoveOut(BaseModel):
    """A party moved: the table it left (dirty), the table it sits at now, and the party."""

    from_table: TableOut
    table: TableOut
    guest: GuestOut


NextCursor = Annotated[
    str | None,
    Field(description="Pass as `cursor` to get the next page; null on the last page."),
]


class RestaurantPage(BaseModel):
    """A page of restaurants."""

    items: list[RestaurantOut]
    next_cursor: NextCursor


class TablePage(BaseModel):
    """A page of tables."""

    items: list[TableOut]
    next_cursor: NextCursor


class GuestPage(BaseModel):
    """A page of guests."""

    items: list[GuestOut]
    next_cursor: NextCursor


class SnapshotOut(BaseModel):
    """Everything a device shows, as of event `seq`: connect with last_seq = seq next."""

    seq: int
    restaurant: RestaurantOut
    tables: list[TableOut]
    guests: list[GuestOut]


class EventsOut(BaseModel):
    """Events after `after`, exactly as the WebSocket sends them."""

    events: list[dict[str, Any]]
    seq: int = Field(description="The restaurant's current seq")
    next_after: int = Field(description="Pass as `after` to get the next page")


class TokenOut(BaseModel):
    """A token's metadata (never its secret)."""

    id: str
    restaurant_id: str
    name: str
    role: Role
    created_at: Timestamp
    last_used_at: Timestamp | None
    revoked_at: Timestamp | None


class IssuedTokenOut(TokenOut):
    """A new token: `token` is shown this once."""

    token: str | None = Field(
        description="The secret; null on a retry with the same Idempotency-Key (never stored)"
    )


class PrincipalOut(BaseModel):
    """The caller: the token a request was made with."""

    token_id: str | None = Field(description="null for the operator's admin token")
    name: str
    role: Role | Literal["admin"] = Field(description="what it may do; see the roles table")
    restaurant_id: str | None = Field(description="its restaurant; null for the admin token")


class TokenList(BaseModel):
    """A restaurant's tokens."""

    items: list[TokenOut]


class HealthOut(BaseModel):
    """The process answers."""

    status: str


class ReadyOut(BaseModel):
    """Whether this instance should get traffic, and what each of its checks found."""

    status: str = Field(description="ok, degraded (broker down), unavailable or shutting_down")
    checks: dict[str, str]


class ErrorDetail(BaseModel):
    """What went wrong."""

    code: str
    message: str
    details: Any = None


class ErrorOut(BaseModel):
    """Every error response."""

    error: ErrorDetail


ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": text}
    for status, text in {
        401: "No token, or a bad one",
        403: "The token's role may not do this",
        404: "Unknown id (or another restaurant's)",
        409: "Refused: conflicts with the current state",
        412: "If-Match is stale: the current entity is in details",
        422: "Invalid input: the failing fields are in details",
        429: "Too many failed authentications",
        503: "database_unavailable: the database cannot serve now; try again after Retry-After",
    }.items()
}
