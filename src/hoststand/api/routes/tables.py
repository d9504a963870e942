"""/api/v1/restaurants/{restaurant_id}/tables, with assign, move, release and reseat."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from hoststand.api import responses
from hoststand.api.deps import (
    CallerDep,
    CursorDep,
    ExpectedVersion,
    IdempotencyDep,
    Limit,
    WriterDep,
)
from hoststand.api.models import ERRORS, MoveOut, SeatingOut, TableOut, TablePage
from hoststand.domain.entities import Guest, Table
from hoststand.domain.status import TableStatus
from hoststand.services import floor, seating
from hoststand.services.commands import Assign, Move, Reseat, TableCreate, TableUpdate

router = APIRouter(prefix="/restaurants/{restaurant_id}/tables", tags=["tables"], responses=ERRORS)


@router.post("", status_code=201, response_model=TableOut)
async def create_table(
    restaurant_id: uuid.UUID,
    body: TableCreate,
    caller: CallerDep,
    key: IdempotencyDep,
) -> Response:
    """Add a table to the floor (owners)."""
    table = await floor.create(
        caller.ctx,
        principal=caller.principal,
        restaurant_id=restaurant_id,
        command=body,
        idempotency_key=key,
    )
    return responses.entity(table, status_code=201)


@router.get("", response_model=TablePage)
async def list_tables(
    restaurant_id: uuid.UUID,
    caller: CallerDep,
    cursor: CursorDep,
    limit: Limit = 100,
    status: TableStatus | None = None,
) -> Response:
    """The floor's tables, optionally by status."""
    items = await floor.page(
        caller.ctx,
        principal=caller.principal,
        restaurant_id=restaurant_id,
        limit=limit + 1,
        cursor=cursor,
        status=status,
    )
    return responses.page(items, limit=limit)


@router.get("/{table_id}", response_model=TableOut)
async def get_table(restaurant_id: uuid.UUID, table_id: uuid.UUID, caller: CallerDep) -> Response:
    """One table."""
    table = await floor.get(
        caller.ctx, principal=caller.principal, restaurant_id=restaurant_id, table_id=table_id
    )
    return responses.entity(table)


@router.patch("/{table_id}", response_model=TableOut)
async def update_table(
    restaurant_id: uuid.UUID,
    table_id: uuid.UUID,
    body: TableUpdate,
    writer: WriterDep,
) -> Response:
    """Change a table: layout (owners) or status only (hosts: clean, out of service, ...)."""
    table = await floor.update(
        writer.ctx,
        principal=writer.principal,
        restaurant_id=restaurant_id,
        table_id=table_id,
        command=body,
        expected_version=writer.expected_version,
        idempotency_key=writer.idempotency_key,
    )
    return responses.entity(table)


@router.delete("/{table_id}", status_code=204)
async def delete_table(
    restaurant_id: uuid.UUID,
    table_id: uuid.UUID,
    caller: CallerDep,
    expected: ExpectedVersion,
) -> Response:
    """Remove a table (owners); refused while it is occupied."""
    await floor.delete(
        caller.ctx,
        principal=caller.principal,
        restaurant_id=restaurant_id,
        table_id=table_id,
        expected_version=expected,
    )
    return Response(status_code=204)


def _seating(table: Table, guest: Guest | None) -> Response:
    body = {"table": table.view(), "guest": guest.view() if guest else None}
    return responses.JSON(body, headers={"ETag": responses.etag(table.version)})


@router.post("/{table_id}/assign", response_model=SeatingOut)
async def assign_table(
    restaurant_id: uuid.UUID,
    table_id: uuid.UUID,
    body: Assign,
    writer: WriterDep,
) -> Response:
    """Seat a guest here: guest seated, table occupied, both linked, in one transaction."""
    table, guest = await seating.assign(
        writer.ctx,
        principal=writer.principal,
        restaurant_id=restaurant_id,
        table_id=table_id,
        command=body,
        expected_version=writer.expected_version,
        idempotency_key=writer.idempotency_key,
    )
    return _seating(table, guest)


@router.post("/{table_id}/move", response_model=MoveOut)
async def move_party(
    restaurant_id: uuid.UUID,
    table_id: uuid.UUID,
    body: Move,
    writer: WriterDep,
) -> Response:
    """Move the party seated here to `to_table_id`, in one transaction.

    The guest stays seated (`seated_at` kept), this table becomes dirty and the new one
    occupied. If-Match names this table's version; the ETag is the new table's.
    """
    moved = await seating.move(
        writer.ctx,
        principal=writer.principal,
        restaurant_id=restaurant_id,
        table_id=table_id,
        command=body,
        expected_version=writer.expected_version,
        idempotency_key=writer.idempotency_key,
    )
    body_out = {
        "from_table": moved.from_table.view(),
        "table": moved.table.view(),
        "guest": moved.guest.view(),
    }
    return responses.JSON(body_out, headers={"ETag": responses.etag(moved.table.version)})


@router.post("/{table_id}/release", response_model=SeatingOut)
async def release_table(
    restaurant_id: uuid.UUID,
    table_id: uuid.UUID,
    writer: WriterDep,
) -> Response:
    """The party leaves: guest completed, table dirty."""
    table, guest = await seating.release(
        writer.ctx,
        principal=writer.principal,
        restaurant_id=restaurant_id,
        table_id=table_id,
        expected_version=writer.expected_version,
        idempotency_key=writer.idempotency_key,
    )
    return _seating(table, guest)


@router.post("/{table_id}/reseat", response_model=SeatingOut)
async def reseat_party(
    restaurant_id: uuid.UUID,
    table_id: uuid.UUID,
    body: Reseat,
    writer: WriterDep,
) -> Response:
    """Undo a release made by mistake: the party released from this table sits here again.

    Only the table's last release, within `HOSTSTAND_RESEAT_WINDOW_MINUTES` (15) of it, while
    the table is dirty or available: the guest is seated with its first `seated_at` (its turn
    goes on), the table occupied. Else 409 `invalid_transition` (not that party, or too late)
    or `table_not_available`. If-Match names this table's version, as the release returned it.
    """
    table, guest = await seating.reseat(
        writer.ctx,
        principal=writer.principal,
        restaurant_id=restaurant_id,
        table_id=table_id,
        command=body,
        expected_version=writer.expected_version,
        idempotency_key=writer.idempotency_key,
    )
    return _seating(table, guest)
