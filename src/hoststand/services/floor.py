"""Tables of the floor: create, read, change layout or status, delete."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncConnection

from hoststand.domain.access import Permission, Principal
from hoststand.domain.cursor import Cursor
from hoststand.domain.entities import Table, new_id
from hoststand.domain.errors import DomainError, ErrorCode, not_found
from hoststand.domain.events import GuestAction, TableAction
from hoststand.domain.status import TableStatus, check_table_transition
from hoststand.services import restaurants as restaurant_service
from hoststand.services.commands import TableCreate, TableUpdate
from hoststand.services.context import ServiceContext
from hoststand.services.transaction import Change, IdempotencyKey, change
from hoststand.services.versions import check_version
from hoststand.store import floor, guests


async def load(conn: AsyncConnection, restaurant_id: uuid.UUID, table_id: uuid.UUID) -> Table:
    """The table, or not_found."""
    table = await floor.get(conn, restaurant_id=restaurant_id, table_id=table_id)
    if table is None:
        raise not_found("table", table_id)
    return table


async def _check_label(tx: Change, label: str, except_id: uuid.UUID | None) -> None:
    if await floor.label_taken(
        tx.conn, restaurant_id=tx.restaurant.id, label=label, except_id=except_id
    ):
        raise DomainError(ErrorCode.DUPLICATE_LABEL, f"a table labelled {label!r} already exists")


async def create(
    ctx: ServiceContext,
    *,
    principal: Principal,
    restaurant_id: uuid.UUID,
    command: TableCreate,
    idempotency_key: IdempotencyKey | None = None,
) -> Table:
    """Add a table to the floor."""
    async with change(
        ctx,
        principal=principal,
        restaurant_id=restaurant_id,
        permission=Permission.MANAGE_FLOOR,
        idempotency_key=idempotency_key,
    ) as tx:
        table_id = command.id or new_id()
        if command.id is not None and await floor.find_id(tx.conn, table_id=table_id):
            raise DomainError(ErrorCode.ALREADY_EXISTS, f"table {table_id} already exists")
        await _check_label(tx, command.label, None)
        table = Table(
            id=table_id,
            restaurant_id=restaurant_id,
            label=command.label,
            capacity=command.capacity,
            min_capacity=command.min_capacity,
            section=command.section,
            x=command.x,
            y=command.y,
            status=command.status,
            created_at=tx.now,
            updated_at=tx.now,
        )
        await floor.insert(tx.conn, table=table)
        tx.table_event(TableAction.CREATED, table)
        tx.respond(201, table.view())
    return table


async def get(
    ctx: ServiceContext, *, principal: Principal, restaurant_id: uuid.UUID, table_id: uuid.UUID
) -> Table:
    """One table."""
    principal.require(restaurant_id, Permission.READ)
    return await ctx.db.read_one_statement(lambda conn: load(conn, restaurant_id, table_id))


async def page(
    ctx: ServiceContext,
    *,
    principal: Principal,
    restaurant_id: uuid.UUID,
    limit: int,
    cursor: Cursor | None,
    status: TableStatus | None,
) -> list[Table]:
    """The restaurant's tables, optionally by status."""
    principal.require(restaurant_id, Permission.READ)
    return await restaurant_service.page_of(
        ctx,
        restaurant_id,
        lambda conn: floor.page_if_found(
            conn, restaurant_id=restaurant_id, limit=limit, cursor=cursor, status=status
        ),
    )


def _permission_for(command: TableUpdate) -> Permission:
    return (
        Permission.TABLE_STATUS if command.given().keys() <= {"status"} else Permission.MANAGE_FLOOR
    )


def _check_sizes(table: Table, given: dict[str, object]) -> None:
    if table.min_capacity <= table.capacity:
        return
    sent = [f for f in ("capacity", "min_capacity") if f in given]
    raise DomainError(
        ErrorCode.VALIDATION_ERROR,
        f"min_capacity ({table.min_capacity}) must not exceed capacity ({table.capacity})",
        [{"field": f, "message": "min_capacity would exceed capacity"} for f in sent],
    )


async def update(
    ctx: ServiceContext,
    *,
    principal: Principal,
    restaurant_id: uuid.UUID,
    table_id: uuid.UUID,
    command: TableUpdate,
    expected_version: int | None = None,
    idempotency_key: IdempotencyKey | None = None,
) -> Table:
    """Change a table's layout (owners) or status (hosts too: mark clean, out of service)."""
    async with change(
        ctx,
        principal=principal,
        restaurant_id=restaurant_id,
        permission=_permission_for(command),
        idempotency_key=idempotency_key,
    ) as tx:
        table = await load(tx.conn, restaurant_id, table_id)
        check_version(table, expected_version)
        given = command.given()
        if "label" in given and command.label != table.label:
            await _check_label(tx, str(command.label), table.id)
        old_status = table.status
        if command.status is not None:
            check_table_transition(table.status, command.status)
        for name, value in given.items():
            setattr(table, name, value)
        _check_sizes(table, given)
        table.version += 1
        table.updated_at = tx.now
        tx.row_write = floor.update_with_events(table)
        only_status = given.keys() <= {"status"} and table.status != old_status
        tx.table_event(TableAction.STATUS_CHANGED if only_status else TableAction.UPDATED, table)
        tx.respond(200, table.view())
    return table


async def delete(
    ctx: ServiceContext,
    *,
    principal: Principal,
    restaurant_id: uuid.UUID,
    table_id: uuid.UUID,
    expected_version: int | None = None,
) -> None:
    """Remove a table; reservations holding it lose their hold."""
    async with change(
        ctx, principal=principal, restaurant_id=restaurant_id, permission=Permission.MANAGE_FLOOR
    ) as tx:
        table = await load(tx.conn, restaurant_id, table_id)
        check_version(table, expected_version)
        if table.current_guest_id is not None:
            raise DomainError(
                ErrorCode.TABLE_OCCUPIED,
                f"table {table.label} is occupied: release it before deleting it",
                table.view(),
            )
        for guest in await guests.holding(tx.conn, table_id=table.id):
            guest.held_table_id = None
            guest.version += 1
            guest.updated_at = tx.now
            await guests.update(tx.conn, guest=guest)
            tx.guest_event(GuestAction.UPDATED, guest)
        await floor.delete(tx.conn, table_id=table.id)
        tx.table_event(TableAction.DELETED, table, deleted=True)
