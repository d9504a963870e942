"""Statuses of guests and tables, and the one table of transitions allowed between them."""

from __future__ import annotations

from enum import StrEnum

from hoststand.domain.errors import DomainError, ErrorCode


class GuestKind(StrEnum):
    """A guest is a walk-in on the waitlist or a reservation."""

    WALK_IN = "walk_in"
    RESERVATION = "reservation"


class GuestStatus(StrEnum):
    """Where a party is on its way through the restaurant."""

    WAITING = "waiting"
    BOOKED = "booked"
    NOTIFIED = "notified"
    ARRIVED = "arrived"
    SEATED = "seated"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


class TableStatus(StrEnum):
    """What a table on the floor is doing."""

    AVAILABLE = "available"
    RESERVED = "reserved"
    OCCUPIED = "occupied"
    DIRTY = "dirty"
    OUT_OF_SERVICE = "out_of_service"


G = GuestStatus
T = TableStatus

# Seating and release change two entities at once, so only assign/release reach or leave these.
SEATING_ONLY_GUEST = frozenset({G.SEATED, G.COMPLETED})
SEATING_ONLY_TABLE = frozenset({T.OCCUPIED})

GUEST_TRANSITIONS: dict[GuestStatus, frozenset[GuestStatus]] = {
    G.WAITING: frozenset({G.NOTIFIED, G.ARRIVED, G.SEATED, G.CANCELLED, G.NO_SHOW}),
    G.BOOKED: frozenset({G.NOTIFIED, G.ARRIVED, G.SEATED, G.CANCELLED, G.NO_SHOW}),
    G.NOTIFIED: frozenset({G.WAITING, G.BOOKED, G.ARRIVED, G.SEATED, G.CANCELLED, G.NO_SHOW}),
    G.ARRIVED: frozenset({G.WAITING, G.BOOKED, G.NOTIFIED, G.SEATED, G.CANCELLED}),
    G.SEATED: frozenset({G.COMPLETED}),
    G.COMPLETED: frozenset(),
    # A host can undo a cancellation or a no-show made by mistake.
    G.CANCELLED: frozenset({G.WAITING, G.BOOKED}),
    G.NO_SHOW: frozenset({G.WAITING, G.BOOKED}),
}

TABLE_TRANSITIONS: dict[TableStatus, frozenset[TableStatus]] = {
    T.AVAILABLE: frozenset({T.RESERVED, T.OCCUPIED, T.DIRTY, T.OUT_OF_SERVICE}),
    T.RESERVED: frozenset({T.AVAILABLE, T.OCCUPIED, T.DIRTY, T.OUT_OF_SERVICE}),
    T.OCCUPIED: frozenset({T.DIRTY, T.AVAILABLE}),
    T.DIRTY: frozenset({T.AVAILABLE, T.OUT_OF_SERVICE, T.RESERVED}),
    T.OUT_OF_SERVICE: frozenset({T.AVAILABLE, T.DIRTY}),
}

# A guest still expected, or at a table: the ones a waitlist or a floor shows.
ACTIVE_GUEST_STATUSES = frozenset({G.WAITING, G.BOOKED, G.NOTIFIED, G.ARRIVED, G.SEATED})
FINISHED_GUEST_STATUSES = frozenset({G.COMPLETED, G.CANCELLED, G.NO_SHOW})
# A reservation holding a table keeps holding it until it is finished.
HOLDING_GUEST_STATUSES = frozenset({G.BOOKED, G.NOTIFIED, G.ARRIVED, G.SEATED})


def initial_guest_status(kind: GuestKind) -> GuestStatus:
    """Walk-ins start on the waitlist; reservations start booked."""
    return G.WAITING if kind is GuestKind.WALK_IN else G.BOOKED


def _refuse(what: str, current: str, target: str, hint: str = "") -> DomainError:
    return DomainError(
        ErrorCode.INVALID_TRANSITION,
        f"a {what} cannot go from {current} to {target}{hint}",
        {"from": current, "to": target},
    )


def check_guest_transition(
    kind: GuestKind, current: GuestStatus, target: GuestStatus, *, via_seating: bool = False
) -> None:
    """Raise invalid_transition unless `current -> target` is allowed for a guest of `kind`."""
    if current == target and via_seating and target is G.SEATED:
        raise _refuse("guest", current, target, ": already seated, release that table first")
    if current == target:
        return
    if target in SEATING_ONLY_GUEST and not via_seating:
        raise _refuse("guest", current, target, " directly: use assign or release")
    if target is G.WAITING and kind is GuestKind.RESERVATION:
        raise _refuse("reservation", current, target, ": reservations wait as booked")
    if target is G.BOOKED and kind is GuestKind.WALK_IN:
        raise _refuse("walk-in", current, target, ": only reservations are booked")
    if target not in GUEST_TRANSITIONS[current]:
        raise _refuse("guest", current, target)


def check_table_transition(
    current: TableStatus, target: TableStatus, *, via_seating: bool = False
) -> None:
    """Raise invalid_transition unless `current -> target` is allowed for a table."""
    if current == target:
        return
    if (target in SEATING_ONLY_TABLE or current in SEATING_ONLY_TABLE) and not via_seating:
        raise _refuse("table", current, target, " directly: use assign or release")
    if target not in TABLE_TRANSITIONS[current]:
        raise _refuse("table", current, target)
