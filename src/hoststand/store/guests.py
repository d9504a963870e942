"""Guests (walk-ins and reservations): rows in, entities out."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from hoststand.domain.entities import Guest
from hoststand.domain.status import HOLDING_GUEST_STATUSES, GuestKind, GuestStatus
from hoststand.store import event_log
from hoststand.store.event_log import RowWrite
from hoststand.store.pagination import Cursor, after_cursor, page_of_restaurant, page_order
from hoststand.store.schema import guests


def entity(m: Mapping[Any, Any]) -> Guest:
    """The guest of a row's values (row._mapping, or a dict of them), by column name."""
    return Guest(
        id=m["id"],
        restaurant_id=m["restaurant_id"],
        name=m["name"],
        party_size=m["party_size"],
        phone=m["phone"],
        kind=GuestKind(m["kind"]),
        status=GuestStatus(m["status"]),
        reserved_for=m["reserved_for"],
        duration_minutes=m["duration_minutes"],
        held_table_id=m["held_table_id"],
        quoted_wait_minutes=m["quoted_wait_minutes"],
        notes=m["notes"],
        tags=list(m["tags"]),
        table_id=m["table_id"],
        joined_at=m["joined_at"],
        notified_at=m["notified_at"],
        arrived_at=m["arrived_at"],
        seated_at=m["seated_at"],
        completed_at=m["completed_at"],
        version=m["version"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
    )


def _values(guest: Guest) -> dict[str, object]:
    return {
        "name": guest.name,
        "party_size": guest.party_size,
        "phone": guest.phone,
        "kind": guest.kind.value,
        "status": guest.status.value,
        "reserved_for": guest.reserved_for,
        "duration_minutes": guest.duration_minutes,
        "reserved_until": guest.reserved_until,
        "held_table_id": guest.held_table_id,
        "quoted_wait_minutes": guest.quoted_wait_minutes,
        "notes": guest.notes,
        "tags": list(guest.tags),
        "table_id": guest.table_id,
        "joined_at": guest.joined_at,
        "notified_at": guest.notified_at,
        "arrived_at": guest.arrived_at,
        "seated_at": guest.seated_at,
        "completed_at": guest.completed_at,
        "version": guest.version,
        "updated_at": guest.updated_at,
    }


# Built once: building a statement and its cache key costs more than running it (the update
# with its twenty columns about 0.2 ms). Executed with parameters named as below.
_BY_ID = sa.select(guests).where(
    guests.c.id == sa.bindparam("key_id"), guests.c.restaurant_id == sa.bindparam("key_restaurant")
)
_UPDATE = guests.update().where(guests.c.id == sa.bindparam("key_id"))


@dataclass(frozen=True, slots=True)
class GuestFilter:
    """What a guest list is narrowed to."""

    statuses: frozenset[GuestStatus] | None = None
    kind: GuestKind | None = None
    day_start: datetime | None = None
    day_end: datetime | None = None


def insert_with_events(guest: Guest) -> RowWrite:
    """The insert of a new guest, for a change to send with its events (event_log.append)."""
    values = {
        "id": guest.id,
        "restaurant_id": guest.restaurant_id,
        "created_at": guest.created_at,
        **_values(guest),
    }
    return event_log.row_insert(guests, values)


async def insert(conn: AsyncConnection, *, guest: Guest) -> None:
    """Store a new guest."""
    await insert_with_events(guest).execute(conn)


async def get(
    conn: AsyncConnection, *, restaurant_id: uuid.UUID, guest_id: uuid.UUID
) -> Guest | None:
    """One guest of the restaurant, or None."""
    row = (
        await conn.execute(_BY_ID, {"key_id": guest_id, "key_restaurant": restaurant_id})
    ).first()
    return None if row is None else entity(row._mapping)


async def find_id(conn: AsyncConnection, *, guest_id: uuid.UUID) -> uuid.UUID | None:
    """The restaurant a guest id belongs to, if the id is taken at all."""
    query = sa.select(guests.c.restaurant_id).where(guests.c.id == guest_id)
    return (await conn.execute(query)).scalar()


def _changes(guest: Guest, was: Guest | None) -> dict[str, object]:
    """The columns to write back: those that differ from `was`, or every column.

    A guest update mostly changes a field or two of twenty: binding the others costs more
    than the statement, and SQLite rewrites the index entries of every column it is given.
    """
    values = _values(guest)
    if was is None:
        return values
    before = _values(was)
    return {name: value for name, value in values.items() if value != before[name]}


async def update(conn: AsyncConnection, *, guest: Guest, was: Guest | None = None) -> None:
    """Write back a changed guest: the columns that differ from `was`, or every column."""
    values = _changes(guest, was)
    if values:
        await conn.execute(_UPDATE, {"key_id": guest.id, **values})


def update_with_events(guest: Guest, *, was: Guest) -> RowWrite | None:
    """The same update, left for a change to send with its events (event_log.append)."""
    return event_log.row_update(guests, guest.id, _changes(guest, was))


async def delete(conn: AsyncConnection, *, guest_id: uuid.UUID) -> None:
    """Delete a guest."""
    await conn.execute(guests.delete().where(guests.c.id == guest_id))


def _filtered(
    query: sa.Select[tuple[object, ...]], where: GuestFilter
) -> sa.Select[tuple[object, ...]]:
    if where.statuses is not None:
        query = query.where(guests.c.status.in_([s.value for s in where.statuses]))
    if where.kind is not None:
        query = query.where(guests.c.kind == where.kind.value)
    if where.day_start is not None and where.day_end is not None:
        when = sa.func.coalesce(guests.c.reserved_for, guests.c.joined_at)
        query = query.where(when >= where.day_start, when < where.day_end)
    return query


async def page(
    conn: AsyncConnection,
    *,
    restaurant_id: uuid.UUID,
    where: GuestFilter,
    limit: int | None,
    cursor: Cursor | None = None,
) -> list[Guest]:
    """The restaurant's guests in creation order, narrowed by `where`."""
    query = _page(restaurant_id, where, limit, cursor)
    return [entity(row._mapping) for row in await conn.execute(query)]


async def page_if_found(
    conn: AsyncConnection,
    *,
    restaurant_id: uuid.UUID,
    where: GuestFilter,
    limit: int | None,
    cursor: Cursor | None = None,
) -> list[Guest] | None:
    """`page`, read with the restaurant in one statement; None if there is no such restaurant."""
    query = _page(restaurant_id, where, limit, cursor)
    rows = await page_of_restaurant(conn, query, restaurant_id)
    return None if rows is None else [entity(row._mapping) for row in rows]


def _page(
    restaurant_id: uuid.UUID, where: GuestFilter, limit: int | None, cursor: Cursor | None
) -> sa.Select[tuple[object, ...]]:
    query = sa.select(guests).where(
        guests.c.restaurant_id == restaurant_id, after_cursor(guests, cursor)
    )
    query = _filtered(query, where).order_by(*page_order(guests))
    return query if limit is None else query.limit(limit)


async def snapshot(
    conn: AsyncConnection,
    *,
    restaurant_id: uuid.UUID,
    active: frozenset[GuestStatus],
    since: datetime,
) -> list[Guest]:
    """Guests a device needs: every active one, plus those finished since `since`."""
    recent = sa.func.coalesce(guests.c.completed_at, guests.c.updated_at) >= since
    query = (
        sa.select(guests)
        .where(
            guests.c.restaurant_id == restaurant_id,
            sa.or_(guests.c.status.in_([s.value for s in active]), recent),
        )
        .order_by(*page_order(guests))
    )
    return [entity(row._mapping) for row in await conn.execute(query)]


async def overlapping_holds(
    conn: AsyncConnection,
    *,
    table_id: uuid.UUID,
    start: datetime,
    end: datetime,
    except_id: uuid.UUID | None,
) -> list[Guest]:
    """Reservations holding `table_id` at some moment of [start, end)."""
    query = sa.select(guests).where(
        guests.c.held_table_id == table_id,
        guests.c.status.in_([s.value for s in HOLDING_GUEST_STATUSES]),
        guests.c.reserved_for < end,
        guests.c.reserved_until > start,
    )
    if except_id is not None:
        query = query.where(guests.c.id != except_id)
    return [
        entity(row._mapping) for row in await conn.execute(query.order_by(guests.c.reserved_for))
    ]


async def holding(conn: AsyncConnection, *, table_id: uuid.UUID) -> list[Guest]:
    """Every guest whose reservation names this table."""
    query = sa.select(guests).where(guests.c.held_table_id == table_id)
    return [
        entity(row._mapping) for row in await conn.execute(query.order_by(guests.c.reserved_for))
    ]
