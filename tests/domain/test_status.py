"""The one table of allowed status transitions, pinned pair by pair."""

from __future__ import annotations

import itertools

import pytest

from hoststand.domain.errors import DomainError, ErrorCode
from hoststand.domain.status import (
    GuestKind,
    GuestStatus,
    TableStatus,
    check_guest_transition,
    check_table_transition,
    initial_guest_status,
)

# What a host may do with a PATCH, written out by hand: the specification, not a copy of the code.
GUEST_BY_PATCH = {
    "waiting": {"notified", "arrived", "cancelled", "no_show"},
    "booked": {"notified", "arrived", "cancelled", "no_show"},
    "notified": {"waiting", "booked", "arrived", "cancelled", "no_show"},
    "arrived": {"waiting", "booked", "notified", "cancelled"},
    "seated": set(),
    "completed": set(),
    "cancelled": {"waiting", "booked"},
    "no_show": {"waiting", "booked"},
}
# Walk-ins never become booked, reservations never wait.
ONLY_FOR = {"booked": GuestKind.RESERVATION, "waiting": GuestKind.WALK_IN}
# Assign seats from these; release completes a seated guest.
SEATABLE = {"waiting", "booked", "notified", "arrived"}

TABLE_BY_PATCH = {
    "available": {"reserved", "dirty", "out_of_service"},
    "reserved": {"available", "dirty", "out_of_service"},
    "occupied": set(),
    "dirty": {"available", "out_of_service", "reserved"},
    "out_of_service": {"available", "dirty"},
}

GUEST_PAIRS = list(itertools.product(GuestStatus, GuestStatus))
TABLE_PAIRS = list(itertools.product(TableStatus, TableStatus))


def _refused(error: DomainError, current: str, target: str) -> None:
    assert error.code == ErrorCode.INVALID_TRANSITION
    assert error.details == {"from": current, "to": target}
    assert current in error.message
    assert target in error.message


@pytest.mark.parametrize("kind", list(GuestKind))
@pytest.mark.parametrize(("current", "target"), GUEST_PAIRS)
def test_guest_transitions_by_patch(
    kind: GuestKind, current: GuestStatus, target: GuestStatus
) -> None:
    allowed = current == target or (
        target.value in GUEST_BY_PATCH[current.value] and ONLY_FOR.get(target.value, kind) is kind
    )
    if allowed:
        check_guest_transition(kind, current, target)
        return
    with pytest.raises(DomainError) as refused:
        check_guest_transition(kind, current, target)
    _refused(refused.value, current.value, target.value)


@pytest.mark.parametrize("kind", list(GuestKind))
@pytest.mark.parametrize("current", list(GuestStatus))
def test_only_seatable_guests_are_seated_by_assign(kind: GuestKind, current: GuestStatus) -> None:
    if current.value in SEATABLE:
        check_guest_transition(kind, current, GuestStatus.SEATED, via_seating=True)
        return
    with pytest.raises(DomainError) as refused:
        check_guest_transition(kind, current, GuestStatus.SEATED, via_seating=True)
    _refused(refused.value, current.value, "seated")


def test_release_completes_a_seated_guest() -> None:
    for kind in GuestKind:
        check_guest_transition(kind, GuestStatus.SEATED, GuestStatus.COMPLETED, via_seating=True)


@pytest.mark.parametrize(("current", "target"), TABLE_PAIRS)
def test_table_transitions_by_patch(current: TableStatus, target: TableStatus) -> None:
    if current == target or target.value in TABLE_BY_PATCH[current.value]:
        check_table_transition(current, target)
        return
    with pytest.raises(DomainError) as refused:
        check_table_transition(current, target)
    _refused(refused.value, current.value, target.value)


def test_assign_and_release_move_tables_through_occupied() -> None:
    check_table_transition(TableStatus.AVAILABLE, TableStatus.OCCUPIED, via_seating=True)
    check_table_transition(TableStatus.RESERVED, TableStatus.OCCUPIED, via_seating=True)
    check_table_transition(TableStatus.OCCUPIED, TableStatus.DIRTY, via_seating=True)


def test_walk_ins_start_waiting_and_reservations_booked() -> None:
    assert initial_guest_status(GuestKind.WALK_IN) is GuestStatus.WAITING
    assert initial_guest_status(GuestKind.RESERVATION) is GuestStatus.BOOKED
