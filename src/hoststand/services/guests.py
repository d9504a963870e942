"""Guests: add walk-ins and reservations, move them along, edit, delete."""

from __future__ import annotations

import copy
import uuid
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from hoststand.domain.access import Permission, Principal
from hoststand.domain.cursor import Cursor
from hoststand.domain.entities import Guest, Table, new_id
from hoststand.domain.errors import DomainError, ErrorCode, not_found
from hoststand.domain.events import GuestAction
from hoststand.domain.status import (
    FINISHED_GUEST_STATUSES,
    HOLDING_GUEST_STATUSES,
    SEATING_ONLY_GUEST,
    GuestKind,
    GuestStatus,
    TableStatus,
    check_guest_transition,
    initial_guest_status,
)
from hoststand.services import restaurants as restaurant_service
from hoststand.services.commands import GuestCreate, GuestUpdate
from hoststand.services.context import ServiceContext
from hoststand.services.transaction import Change, IdempotencyKey, Written, change
from hoststand.services.versions import check_version
from hoststand.store import floor, guests
from hoststand.store.guests import GuestFilter

RESERVATION_FIELDS = frozenset({"reserved_for", "duration_minutes", "held_table_id"})
# What a seated party's booking said before it sat down: its reservation time and its wait
# quote are history then. Its stay is not: it says when its table comes free.
SEATED_HISTORY = {"reserved_for": "reservation time", "quoted_wait_minutes": "wait quote"}


async def load(conn: AsyncConnection, restaurant_id: uuid.UUID, guest_id: uuid.UUID) -> Guest:
    """The guest, or not_found."""
    guest = await guests.get(conn, restaurant_id=restaurant_id, guest_id=guest_id)
    if guest is None:
        raise not_found("guest", guest_id)
    return guest


def named(tx: Change, guest_id: uuid.UUID) -> Guest:
    """The guest a change was opened for (change(guest_id=...)), or not_found."""
    if tx.guest is None:
        raise not_found("guest", guest_id)
    return tx.guest


async def check_hold(tx: Change, guest: Guest, *, fit: bool = False) -> None:
    """Refuse a reservation's hold on a table that another reservation holds at that time.

    With `fit`, also one on a table that cannot take the party (see _check_hold_fits). The
    table must be the restaurant's even while the guest holds nothing (cancelled, no-show): a
    restore holds it again.
    """
    if guest.held_table_id is None:
        return
    table = await floor.get(tx.conn, restaurant_id=tx.restaurant.id, table_id=guest.held_table_id)
    if table is None:
        raise not_found("table", guest.held_table_id)
    if guest.status not in HOLDING_GUEST_STATUSES:
        return
    start, end = guest.reserved_for, guest.reserved_until
    assert start is not None
    assert end is not None
    clashes = await guests.overlapping_holds(
        tx.conn, table_id=table.id, start=start, end=end, except_id=guest.id
    )
    if clashes:
        raise DomainError(
            ErrorCode.TABLE_ALREADY_HELD,
            f"table {table.label} is already held by another reservation at that time",
            {"table_id": str(table.id), "held_by": [g.view() for g in clashes]},
        )
    if fit and guest.status is not GuestStatus.SEATED:
        _check_hold_fits(table, guest)


def _check_hold_fits(table: Table, guest: Guest) -> None:
    """Refuse, as seating would, a hold on a table too small for the party or out of service.

    Soft, like seating's party_too_large: the host may know better (a chair pulled up, a table
    back in service by then) and sends override_hold. A party below the table's min_capacity is
    never refused: a host seats two at a six-top on a slow night, and clients can tell from
    min_capacity and party_size, both on the wire.
    """
    if table.status is TableStatus.OUT_OF_SERVICE:
        reason, words = "out_of_service", f"table {table.label} is out of service"
    elif guest.party_size > table.capacity:
        reason = "too_small"
        words = f"a party of {guest.party_size} does not fit table {table.label} "
        words += f"(capacity {table.capacity})"
    else:
        return
    raise DomainError(
        ErrorCode.HOLD_DOES_NOT_FIT,
        f"{words}; hold it anyway with override_hold",
        {"reason": reason, "party_size": guest.party_size, "table": table.view()},
    )


async def create(
    ctx: ServiceContext,
    *,
    principal: Principal,
    restaurant_id: uuid.UUID,
    command: GuestCreate,
    idempotency_key: IdempotencyKey | None = None,
) -> Written[Guest]:
    """Add a walk-in to the waitlist, or book a reservation (optionally holding a table)."""
    async with change(
        ctx,
        principal=principal,
        restaurant_id=restaurant_id,
        permission=Permission.WRITE_GUESTS,
        idempotency_key=idempotency_key,
    ) as tx:
        guest_id = command.id or new_id()
        if command.id is not None and await guests.find_id(tx.conn, guest_id=guest_id):
            raise DomainError(ErrorCode.ALREADY_EXISTS, f"guest {guest_id} already exists")
        duration = command.duration_minutes
        if command.kind is GuestKind.RESERVATION and duration is None:
            duration = tx.restaurant.duration_for(command.party_size)
        guest = Guest(
            id=guest_id,
            restaurant_id=restaurant_id,
            name=command.name,
            party_size=command.party_size,
            phone=command.phone,
            kind=command.kind,
            status=initial_guest_status(command.kind),
            reserved_for=command.reserved_for,
            duration_minutes=duration,
            held_table_id=command.held_table_id,
            quoted_wait_minutes=command.quoted_wait_minutes,
            notes=command.notes,
            tags=command.tags,
            joined_at=tx.now,
            created_at=tx.now,
            updated_at=tx.now,
        )
        await check_hold(tx, guest, fit=not command.override_hold)
        tx.row_write = guests.insert_with_events(guest)
        view = guest.view()
        tx.guest_event(GuestAction.CREATED, guest, view=view)
        tx.respond(201, view)
    return Written(guest, view)


def _apply_status(guest: Guest, target: GuestStatus, now: datetime) -> None:
    check_guest_transition(guest.kind, guest.status, target)
    if target == guest.status:
        return
    guest.status = target
    if target is GuestStatus.NOTIFIED:
        guest.notified_at = now
    elif target is GuestStatus.ARRIVED:
        guest.arrived_at = now
    guest.completed_at = now if target in FINISHED_GUEST_STATUSES else None


def _check_fields_fit_kind(guest: Guest, given: dict[str, Any]) -> None:
    if guest.kind is GuestKind.WALK_IN and given.keys() & RESERVATION_FIELDS:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            "reserved_for, duration_minutes and held_table_id are for reservations",
            [
                {"field": f, "message": "walk-ins have no reservation"}
                for f in sorted(given.keys() & RESERVATION_FIELDS)
            ],
        )


def _check_seated_edit(guest: Guest, given: dict[str, Any]) -> None:
    """Refuse a change of the history of a party that is or was seated (it has left: completed),
    or a hold on another table than its own while it sits."""
    if guest.status not in SEATING_ONLY_GUEST:
        return
    seated = guest.status is GuestStatus.SEATED
    changed = [n for n in SEATED_HISTORY if n in given and given[n] != getattr(guest, n)]
    held = given.get("held_table_id", guest.held_table_id)
    if changed:
        why = f"a seated party's {' and '.join(SEATED_HISTORY[n] for n in changed)} cannot change"
    elif seated and held not in (None, guest.held_table_id, guest.table_id):
        # Held, another table would be kept from other reservations for a party eating here.
        why = "a seated party holds only the table it sits at, or none"
    else:
        return
    state = "is seated" if seated else "was seated"
    raise DomainError(ErrorCode.GUEST_SEATED, f"{guest.name} {state}: {why}", guest.view())


async def update(
    ctx: ServiceContext,
    *,
    principal: Principal,
    restaurant_id: uuid.UUID,
    guest_id: uuid.UUID,
    command: GuestUpdate,
    expected_version: int | None = None,
    idempotency_key: IdempotencyKey | None = None,
) -> Written[Guest]:
    """Edit a guest or move it along (notify, arrive, cancel, no-show, restore)."""
    async with change(
        ctx,
        principal=principal,
        restaurant_id=restaurant_id,
        permission=Permission.WRITE_GUESTS,
        idempotency_key=idempotency_key,
        guest_id=guest_id,
    ) as tx:
        guest = named(tx, guest_id)
        check_version(guest, expected_version)
        was = copy.copy(guest)
        given = command.given()
        _check_fields_fit_kind(guest, given)
        _check_seated_edit(guest, given)
        old_status = guest.status
        if command.status is not None:
            _apply_status(guest, command.status, tx.now)
        for name, value in given.items():
            if name != "status":
                setattr(guest, name, value)
        if guest.kind is GuestKind.RESERVATION and guest.duration_minutes is None:
            guest.duration_minutes = tx.restaurant.duration_for(guest.party_size)
        # A hold's fit is judged when another table is held or the party grows, not on every
        # edit: a note typed on a reservation whose table went out of service since is saved.
        refit = guest.held_table_id != was.held_table_id or guest.party_size > was.party_size
        if refit or given.keys() & (RESERVATION_FIELDS | {"status"}):
            await check_hold(tx, guest, fit=refit and not command.override_hold)
        guest.version += 1
        guest.updated_at = tx.now
        tx.row_write = guests.update_with_events(guest, was=was)
        changed_status = guest.status != old_status
        action = GuestAction.STATUS_CHANGED if changed_status else GuestAction.UPDATED
        view = guest.view()
        tx.guest_event(action, guest, view=view)
        tx.respond(200, view)
    return Written(guest, view)


async def delete(
    ctx: ServiceContext,
    *,
    principal: Principal,
    restaurant_id: uuid.UUID,
    guest_id: uuid.UUID,
    expected_version: int | None = None,
) -> None:
    """Remove a guest entirely (a mistaken entry); seated guests are released first."""
    async with change(
        ctx,
        principal=principal,
        restaurant_id=restaurant_id,
        permission=Permission.WRITE_GUESTS,
        guest_id=guest_id,
    ) as tx:
        guest = named(tx, guest_id)
        check_version(guest, expected_version)
        if guest.status is GuestStatus.SEATED:
            raise DomainError(
                ErrorCode.GUEST_SEATED,
                f"{guest.name} is seated: release the table before deleting the guest",
                guest.view(),
            )
        await guests.delete(tx.conn, guest_id=guest.id)
        tx.guest_event(GuestAction.DELETED, guest, deleted=True)


async def get(
    ctx: ServiceContext, *, principal: Principal, restaurant_id: uuid.UUID, guest_id: uuid.UUID
) -> Guest:
    """One guest."""
    principal.require(restaurant_id, Permission.READ)
    return await ctx.db.read_one_statement(lambda conn: load(conn, restaurant_id, guest_id))


def day_bounds(day: date, timezone: str) -> tuple[datetime, datetime]:
    """The start and end, as aware datetimes, of a calendar day in the restaurant's zone."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return start, end


async def page(
    ctx: ServiceContext,
    *,
    principal: Principal,
    restaurant_id: uuid.UUID,
    limit: int,
    cursor: Cursor | None,
    statuses: frozenset[GuestStatus] | None,
    kind: GuestKind | None,
    day: date | None,
) -> list[Guest]:
    """The restaurant's guests, by status, kind and day (in the restaurant's time zone)."""
    principal.require(restaurant_id, Permission.READ)
    where = GuestFilter(statuses=statuses, kind=kind)
    if day is None:
        return await restaurant_service.page_of(
            ctx,
            restaurant_id,
            lambda conn: guests.page_if_found(
                conn, restaurant_id=restaurant_id, where=where, limit=limit, cursor=cursor
            ),
        )
    # The day's bounds are the restaurant's time zone's: read it first.
    async with ctx.db.read() as conn:
        restaurant = await restaurant_service.load(conn, restaurant_id)
        start, end = day_bounds(day, restaurant.timezone)
        where = GuestFilter(statuses=statuses, kind=kind, day_start=start, day_end=end)
        return await guests.page(
            conn, restaurant_id=restaurant_id, where=where, limit=limit, cursor=cursor
        )
