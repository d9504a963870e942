"""Tables of the floor: rows in, entities out."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from hoststand.domain.entities import Table
from hoststand.domain.status import TableStatus
from hoststand.store import event_log
from hoststand.store.event_log import RowWrite
from hoststand.store.pagination import Cursor, after_cursor, page_of_restaurant, page_order
from hoststand.store.schema import floor_tables


def _entity(row: sa.Row[tuple[object, ...]]) -> Table:
    m = row._mapping
    return Table(
        id=m["id"],
        restaurant_id=m["restaurant_id"],
        label=m["label"],
        capacity=m["capacity"],
        min_capacity=m["min_capacity"],
        section=m["section"],
        x=m["x"],
        y=m["y"],
        status=TableStatus(m["status"]),
        current_guest_id=m["current_guest_id"],
        version=m["version"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
    )


def _values(table: Table) -> dict[str, object]:
    return {
        "label": table.label,
        "capacity": table.capacity,
        "min_capacity": table.min_capacity,
        "section": table.section,
        "x": table.x,
        "y": table.y,
        "status": table.status.value,
        "current_guest_id": table.current_guest_id,
        "version": table.version,
        "updated_at": table.updated_at,
    }


# Built once, executed with parameters named as below: see store/guests.py.
_BY_ID = sa.select(floor_tables).where(
    floor_tables.c.id == sa.bindparam("key_id"),
    floor_tables.c.restaurant_id == sa.bindparam("key_restaurant"),
)
_UPDATE = floor_tables.update().where(floor_tables.c.id == sa.bindparam("key_id"))


async def insert(conn: AsyncConnection, *, table: Table) -> None:
    """Store a new table."""
    await conn.execute(
        floor_tables.insert().values(
            id=table.id,
            restaurant_id=table.restaurant_id,
            created_at=table.created_at,
            **_values(table),
        )
    )


async def get(
    conn: AsyncConnection, *, restaurant_id: uuid.UUID, table_id: uuid.UUID
) -> Table | None:
    """One table of the restaurant, or None."""
    row = (
        await conn.execute(_BY_ID, {"key_id": table_id, "key_restaurant": restaurant_id})
    ).first()
    return None if row is None else _entity(row)


async def find_id(conn: AsyncConnection, *, table_id: uuid.UUID) -> uuid.UUID | None:
    """The restaurant a table id belongs to, if the id is taken at all."""
    query = sa.select(floor_tables.c.restaurant_id).where(floor_tables.c.id == table_id)
    return (await conn.execute(query)).scalar()


async def label_taken(
    conn: AsyncConnection, *, restaurant_id: uuid.UUID, label: str, except_id: uuid.UUID | None
) -> bool:
    """True when another table of the restaurant already has this label."""
    query = sa.select(floor_tables.c.id).where(
        floor_tables.c.restaurant_id == restaurant_id, floor_tables.c.label == label
    )
    if except_id is not None:
        query = query.where(floor_tables.c.id != except_id)
    return (await conn.execute(query)).first() is not None


async def update(conn: AsyncConnection, *, table: Table) -> None:
    """Write back a changed table."""
    await conn.execute(_UPDATE, {"key_id": table.id, **_values(table)})


def update_with_events(table: Table) -> RowWrite | None:
    """The same update, left for a change to send with its events (event_log.append)."""
    return event_log.row_update(floor_tables, table.id, _values(table))


async def delete(conn: AsyncConnection, *, table_id: uuid.UUID) -> None:
    """Delete a table."""
    await conn.execute(floor_tables.delete().where(floor_tables.c.id == table_id))


async def page(
    conn: AsyncConnection,
    *,
    restaurant_id: uuid.UUID,
    limit: int | None,
    cursor: Cursor | None = None,
    status: TableStatus | None = None,
) -> list[Table]:
    """The restaurant's tables in creation order, optionally by status."""
    query = _page(restaurant_id, limit, cursor, status)
    return [_entity(row) for row in await conn.execute(query)]


async def page_if_found(
    conn: AsyncConnection,
    *,
    restaurant_id: uuid.UUID,
    limit: int | None,
    cursor: Cursor | None = None,
    status: TableStatus | None = None,
) -> list[Table] | None:
    """`page`, read with the restaurant in one statement; None if there is no such restaurant."""
    query = _page(restaurant_id, limit, cursor, status)
    rows = await page_of_restaurant(conn, query, restaurant_id)
    return None if rows is None else [_entity(row) for row in rows]


def _page(
    restaurant_id: uuid.UUID, limit: int | None, cursor: Cursor | None, status: TableStatus | None
) -> sa.Select[tuple[object, ...]]:
    query = sa.select(floor_tables).where(
        floor_tables.c.restaurant_id == restaurant_id, after_cursor(floor_tables, cursor)
    )
    if status is not None:
        query = query.where(floor_tables.c.status == status.value)
    query = query.order_by(*page_order(floor_tables))
    return query if limit is None else query.limit(limit)
