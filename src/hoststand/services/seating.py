"""Seating: put a party at a table, move it to another, release the table, undo a release."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from hoststand.domain.access import Permission, Principal
from hoststand.domain.entities import Guest, Table
from hoststand.domain.errors import DomainError, ErrorCode
from hoststand.domain.events import GuestAction, TableAction
from hoststand.domain.status import GuestStatus, TableStatus, check_guest_transition
from hoststand.services import floor as floor_service
from hoststand.services import guests as guest_service
from hoststand.services.commands import Assign, Move, Reseat
from hoststand.services.context import ServiceContext
from hoststand.services.transaction import Change, IdempotencyKey, change
from hoststand.services.versions import check_version
from hoststand.store import event_log, floor, guests


def _not_available(table: Table) -> DomainError:
    return DomainError(
        ErrorCode.TABLE_NOT_AVAILABLE,
        f"table {table.label} is {table.status.value.replace('_', ' ')}",
        table.view(),
    )


def _check_table_free(table: Table, guest: Guest) -> None:
    held_for_guest = table.status is TableStatus.RESERVED and guest.held_table_id == table.id
    if table.status is TableStatus.AVAILABLE or held_for_guest:
        return
    raise _not_available(table)


def _check_party_fits(table: Table, guest: Guest, verb: str = "seat") -> None:
    if guest.party_size > table.capacity:
        raise DomainError(
            ErrorCode.PARTY_TOO_LARGE,
            f"a party of {guest.party_size} does not fit table {table.label} "
            f"(capacity {table.capacity}); {verb} anyway with override_capacity",
            {"party_size": guest.party_size, "capacity": table.capacity},
        )


def _check_guest_not_seated(guest: Guest) -> None:
    # seated -> seated is no transition, so the transition table alone would let it through.
    if guest.status is GuestStatus.SEATED:
        raise DomainError(
            ErrorCode.GUEST_SEATED,
            f"{guest.name} is already seated at another table: release that table first, "
            "or move the party from it",
            guest.view(),
        )


async def _check_not_reserved_soon(
    tx: Change, table: Table, guest: Guest, window: int, verb: str = "seat"
) -> None:
    upcoming = await guests.overlapping_holds(
        tx.conn,
        table_id=table.id,
        start=tx.now,
        end=tx.now + timedelta(minutes=window),
        except_id=guest.id,
    )
    upcoming = [g for g in upcoming if g.status is not GuestStatus.SEATED]
    if upcoming:
        first = upcoming[0]
        raise DomainError(
            ErrorCode.TABLE_RESERVED_SOON,
            f"table {table.label} is held for {first.name}'s reservation within {window} minutes; "
            f"{verb} anyway with override",
            {"table_id": str(table.id), "reservation": first.view()},
        )


@asynccontextmanager
async def _at_table(
    ctx: ServiceContext,
    principal: Principal,
    restaurant_id: uuid.UUID,
    table_id: uuid.UUID,
    idempotency_key: IdempotencyKey | None,
) -> AsyncIterator[tuple[Change, Table]]:
    """A seating change (the restaurant locked, Permission.SEAT) and the table it starts from."""
    async with change(
        ctx,
        principal=principal,
        restaurant_id=restaurant_id,
        permission=Permission.SEAT,
        idempotency_key=idempotency_key,
    ) as tx:
        yield tx, await floor_service.load(tx.conn, restaurant_id, table_id)


async def assign(
    ctx: ServiceContext,
    *,
    principal: Principal,
    restaurant_id: uuid.UUID,
    table_id: uuid.UUID,
    command: Assign,
    expected_version: int | None = None,
    idempotency_key: IdempotencyKey | None = None,
) -> tuple[Table, Guest]:
    """Seat a guest at a table, both linked, in one transaction; every conflict is refused."""
    async with _at_table(ctx, principal, restaurant_id, table_id, idempotency_key) as (tx, table):
        check_version(table, expected_version)
        guest = await guest_service.load(tx.conn, restaurant_id, command.guest_id)
        _check_table_free(table, guest)
        _check_guest_not_seated(guest)
        check_guest_transition(guest.kind, guest.status, GuestStatus.SEATED, via_seating=True)
        if not command.override_capacity:
            _check_party_fits(table, guest)
        if not command.override:
            await _check_not_reserved_soon(
                tx, table, guest, ctx.settings.reservation_warning_minutes
            )
        await _seat(tx, table, guest)
    return table, guest


def _hold_only_where_seated(guest: Guest, table: Table) -> None:
    # A party sitting elsewhere no longer needs the table it held; kept, the hold would keep that
    # table from other reservations (table_already_held) and show the party coming to it, for
    # the rest of its window. Released in the seating's transaction, so its guest event says so.
    if guest.held_table_id not in (None, table.id):
        guest.held_table_id = None


async def _seat(
    tx: Change, table: Table, guest: Guest, *, seated_at: datetime | None = None
) -> None:
    _hold_only_where_seated(guest, table)
    guest.status = GuestStatus.SEATED
    guest.table_id = table.id
    guest.seated_at = seated_at or tx.now
    guest.completed_at = None
    guest.version += 1
    guest.updated_at = tx.now
    table.status = TableStatus.OCCUPIED
    table.current_guest_id = guest.id
    table.version += 1
    table.updated_at = tx.now
    await guests.update(tx.conn, guest=guest)
    await floor.update(tx.conn, table=table)
    tx.table_event(TableAction.ASSIGNED, table)
    tx.guest_event(GuestAction.STATUS_CHANGED, guest)
    tx.respond(200, {"table": table.view(), "guest": guest.view()})


def _check_occupied(table: Table) -> uuid.UUID:
    if table.status is not TableStatus.OCCUPIED or table.current_guest_id is None:
        raise DomainError(
            ErrorCode.TABLE_NOT_OCCUPIED,
            f"table {table.label} is not occupied (it is {table.status.value})",
            table.view(),
        )
    return table.current_guest_id


def _check_another_table(table: Table, to_table: Table) -> None:
    if to_table.id == table.id:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            f"the party is already at table {table.label}: move it to another table",
            [{"field": "to_table_id", "message": "must be another table than the party's"}],
        )


@dataclass(frozen=True, slots=True)
class Moved:
    """A move's outcome: the table the party left, the one it sits at now, and the party."""

    from_table: Table
    table: Table
    guest: Guest


async def move(
    ctx: ServiceContext,
    *,
    principal: Principal,
    restaurant_id: uuid.UUID,
    table_id: uuid.UUID,
    command: Move,
    expected_version: int | None = None,
    idempotency_key: IdempotencyKey | None = None,
) -> Moved:
    """Move the party seated at a table to another, in one transaction; every conflict is refused.

    The party stays seated and keeps its `seated_at` (its turn goes on); the table it leaves
    needs bussing (dirty). `expected_version` is the version of the table it leaves.
    """
    async with _at_table(ctx, principal, restaurant_id, table_id, idempotency_key) as (tx, table):
        to_table = await floor_service.load(tx.conn, restaurant_id, command.to_table_id)
        check_version(table, expected_version)
        guest_id = _check_occupied(table)
        _check_another_table(table, to_table)
        guest = await guest_service.load(tx.conn, restaurant_id, guest_id)
        _check_table_free(to_table, guest)
        if not command.override_capacity:
            _check_party_fits(to_table, guest, "move")
        if not command.override:
            await _check_not_reserved_soon(
                tx, to_table, guest, ctx.settings.reservation_warning_minutes, "move"
            )
        await _move(tx, table, to_table, guest)
    return Moved(table, to_table, guest)


async def _move(tx: Change, table: Table, to_table: Table, guest: Guest) -> None:
    table.status = TableStatus.DIRTY
    table.current_guest_id = None
    to_table.status = TableStatus.OCCUPIED
    to_table.current_guest_id = guest.id
    guest.table_id = to_table.id
    _hold_only_where_seated(guest, to_table)
    guest.version += 1
    guest.updated_at = tx.now
    for changed in (table, to_table):
        changed.version += 1
        changed.updated_at = tx.now
        # In this order: a guest sits at one table at a time (uq_tables_current_guest).
        await floor.update(tx.conn, table=changed)
    await guests.update(tx.conn, guest=guest)
    tx.table_event(TableAction.RELEASED, table)
    tx.table_event(TableAction.ASSIGNED, to_table)
    tx.guest_event(GuestAction.UPDATED, guest)
    tx.respond(200, {"from_table": table.view(), "table": to_table.view(), "guest": guest.view()})


async def release(
    ctx: ServiceContext,
    *,
    principal: Principal,
    restaurant_id: uuid.UUID,
    table_id: uuid.UUID,
    expected_version: int | None = None,
    idempotency_key: IdempotencyKey | None = None,
) -> tuple[Table, Guest | None]:
    """The party leaves: the guest is completed, the table dirty until it is cleaned."""
    async with _at_table(ctx, principal, restaurant_id, table_id, idempotency_key) as (tx, table):
        check_version(table, expected_version)
        guest_id = _check_occupied(table)
        guest = await guests.get(tx.conn, restaurant_id=restaurant_id, guest_id=guest_id)
        table.status = TableStatus.DIRTY
        table.current_guest_id = None
        table.version += 1
        table.updated_at = tx.now
        if guest is not None:
            guest.status = GuestStatus.COMPLETED
            guest.table_id = None
            guest.completed_at = tx.now
            guest.version += 1
            guest.updated_at = tx.now
            await guests.update(tx.conn, guest=guest)
        await floor.update(tx.conn, table=table)
        tx.table_event(TableAction.RELEASED, table)
        if guest is not None:
            tx.guest_event(GuestAction.STATUS_CHANGED, guest)
        tx.respond(200, {"table": table.view(), "guest": guest.view() if guest else None})
    return table, guest


async def _check_released_here(tx: Change, table: Table, guest: Guest, window: int) -> None:
    # The rows keep no trace of the table a completed guest left; the event log does, for as
    # long as it is retained (event_retention_days), far beyond the window by default.
    refusal = {"from": guest.status.value, "to": GuestStatus.SEATED.value}
    if guest.status is not GuestStatus.COMPLETED:
        raise DomainError(
            ErrorCode.INVALID_TRANSITION,
            f"{guest.name} is {guest.status.value.replace('_', ' ')}: only a party that left "
            "its table can sit there again",
            refusal,
        )
    released = await event_log.last_released_guest(
        tx.conn, restaurant_id=tx.restaurant.id, table_id=table.id
    )
    if released != guest.id:
        raise DomainError(
            ErrorCode.INVALID_TRANSITION,
            f"{guest.name} was not the last party released from table {table.label}: "
            "only that release can be undone",
            refusal,
        )
    if guest.completed_at is None or tx.now > guest.completed_at + timedelta(minutes=window):
        raise DomainError(
            ErrorCode.INVALID_TRANSITION,
            f"{guest.name} left table {table.label} more than {window} minutes ago: "
            "seat the party as a new one",
            refusal,
        )


async def _give_way_to_holds_taken_since(tx: Change, guest: Guest) -> None:
    # A completed reservation holds nothing, so another may have taken its table's slot since
    # the release; the undone release then seats the party without its hold rather than
    # overlapping that one (the exclusion constraint, on PostgreSQL, would refuse the write).
    if guest.held_table_id is None or guest.reserved_for is None or guest.reserved_until is None:
        return
    taken = await guests.overlapping_holds(
        tx.conn,
        table_id=guest.held_table_id,
        start=guest.reserved_for,
        end=guest.reserved_until,
        except_id=guest.id,
    )
    if taken:
        guest.held_table_id = None


def _check_table_free_again(table: Table) -> None:
    # Bussed or not, the table is free; reserved or out of service, someone decided otherwise.
    free = table.status in (TableStatus.DIRTY, TableStatus.AVAILABLE)
    if free and table.current_guest_id is None:
        return
    raise _not_available(table)


async def reseat(
    ctx: ServiceContext,
    *,
    principal: Principal,
    restaurant_id: uuid.UUID,
    table_id: uuid.UUID,
    command: Reseat,
    expected_version: int | None = None,
    idempotency_key: IdempotencyKey | None = None,
) -> tuple[Table, Guest]:
    """Undo a release: the party sits at the table it just left, its turn time going on.

    Only the last party released from the table, within `reseat_window_minutes` of it, while
    the table is still free. The guest keeps its first `seated_at`.
    """
    async with _at_table(ctx, principal, restaurant_id, table_id, idempotency_key) as (tx, table):
        check_version(table, expected_version)
        guest = await guest_service.load(tx.conn, restaurant_id, command.guest_id)
        _check_table_free_again(table)
        await _check_released_here(tx, table, guest, ctx.settings.reseat_window_minutes)
        await _give_way_to_holds_taken_since(tx, guest)
        await _seat(tx, table, guest, seated_at=guest.seated_at)
    return table, guest
