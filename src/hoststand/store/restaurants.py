"""Restaurants: rows in, entities out; and the per-restaurant lock every write takes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from hoststand.domain.entities import Guest, Restaurant
from hoststand.store import db_clock, guests, in_lists
from hoststand.store.pagination import Cursor, after_cursor, page_order
from hoststand.store.schema import deleted_restaurants, restaurants
from hoststand.store.schema import guests as guest_rows


def _entity(row: sa.Row[tuple[object, ...]]) -> Restaurant:
    m = row._mapping
    return Restaurant(
        id=m["id"],
        name=m["name"],
        timezone=m["timezone"],
        turn_times=[(int(p), int(t)) for p, t in m["turn_times"]],
        version=m["version"],
        last_seq=m["last_seq"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
    )


def _values(restaurant: Restaurant) -> dict[str, object]:
    return {
        "name": restaurant.name,
        "timezone": restaurant.timezone,
        "turn_times": [list(pair) for pair in restaurant.turn_times],
        "version": restaurant.version,
        "updated_at": restaurant.updated_at,
    }


# Built once, executed with parameters named as below: see store/guests.py. SQLite has no
# FOR UPDATE (its writers hold the database lock from BEGIN IMMEDIATE); the dialect drops it.
_BY_ID = sa.select(restaurants).where(restaurants.c.id == sa.bindparam("key_id"))
_BY_ID_LOCKED = _BY_ID.with_for_update()
_UPDATE = restaurants.update().where(restaurants.c.id == sa.bindparam("key_id"))
# The restaurant's row, then one of its guests' (NULLs when there is none), for SQLite only:
# see get_with_guest.
_WITH_GUEST = (
    sa.select(restaurants, guest_rows)
    .select_from(
        restaurants.outerjoin(
            guest_rows,
            sa.and_(
                guest_rows.c.id == sa.bindparam("key_guest"),
                guest_rows.c.restaurant_id == restaurants.c.id,
            ),
        )
    )
    .where(restaurants.c.id == sa.bindparam("key_id"))
)
_FIRST_GUEST_COLUMN = len(restaurants.c)
# PostgreSQL's: both rows locked, the restaurant's first (the order of OF), so that a writer
# waiting for the restaurant holds no guest lock meanwhile. FOR UPDATE reads a locked row as
# the writer it waited for committed it (READ COMMITTED re-reads a row that changed), and the
# guest is locked too: it is read as committed, not as the statement's older snapshot saw it.
# An inner join: PostgreSQL cannot lock the nullable side of an outer join.
_WITH_GUEST_LOCKED = (
    sa.select(restaurants, guest_rows)
    .join_from(
        restaurants,
        guest_rows,
        sa.and_(
            guest_rows.c.id == sa.bindparam("key_guest"),
            guest_rows.c.restaurant_id == restaurants.c.id,
        ),
    )
    .where(restaurants.c.id == sa.bindparam("key_id"))
    .with_for_update(of=[restaurants, guest_rows])
)


async def insert(conn: AsyncConnection, *, restaurant: Restaurant) -> None:
    """Store a new restaurant."""
    await conn.execute(
        restaurants.insert().values(
            id=restaurant.id, created_at=restaurant.created_at, last_seq=0, **_values(restaurant)
        )
    )


async def get(
    conn: AsyncConnection, *, restaurant_id: uuid.UUID, lock: bool = False
) -> Restaurant | None:
    """One restaurant, or None; `lock` takes its row lock until the transaction ends."""
    query = _BY_ID_LOCKED if lock else _BY_ID
    row = (await conn.execute(query, {"key_id": restaurant_id})).first()
    return None if row is None else _entity(row)


async def get_with_guest(
    conn: AsyncConnection, *, restaurant_id: uuid.UUID, guest_id: uuid.UUID
) -> tuple[Restaurant | None, Guest | None]:
    """The restaurant, its row lock taken as get(lock=True) does, and one of its guests, or Nones.

    The guest is read once the lock is held, in one statement. On SQLite the writer holds the
    database lock from BEGIN IMMEDIATE, before its first statement reads anything. PostgreSQL
    takes both rows' locks (_WITH_GUEST_LOCKED); a plain join would return the guest as the
    statement's snapshot saw it, before the writer it waited for committed. When that finds
    no row (no such guest, or one created since the snapshot), the restaurant is locked alone
    and the guest read afresh, as two statements.
    """
    parameters = {"key_id": restaurant_id, "key_guest": guest_id}
    if conn.dialect.name != "sqlite":
        row = (await conn.execute(_WITH_GUEST_LOCKED, parameters)).first()
        if row is not None:
            return _entity(row), _guest(row[_FIRST_GUEST_COLUMN:])
        restaurant = await get(conn, restaurant_id=restaurant_id, lock=True)
        if restaurant is None:
            return None, None
        return restaurant, await guests.get(conn, restaurant_id=restaurant_id, guest_id=guest_id)
    row = (await conn.execute(_WITH_GUEST, parameters)).first()
    if row is None:
        return None, None
    guest_values = row[_FIRST_GUEST_COLUMN:]
    if guest_values[0] is None:
        return _entity(row), None
    return _entity(row), _guest(guest_values)


def _guest(values: Sequence[object]) -> Guest:
    """The guest of a joined row's guest columns."""
    return guests.entity(dict(zip(guest_rows.c.keys(), values, strict=True)))


async def update(conn: AsyncConnection, *, restaurant: Restaurant) -> None:
    """Write back a changed restaurant."""
    await conn.execute(_UPDATE, {"key_id": restaurant.id, **_values(restaurant)})


async def delete(conn: AsyncConnection, *, restaurant_id: uuid.UUID) -> None:
    """Delete a restaurant and, by cascade, everything it owns; leave a stamped tombstone."""
    await conn.execute(restaurants.delete().where(restaurants.c.id == restaurant_id))
    # A client may choose a restaurant's id, so an id can be deleted more than once.
    await forget_deletion(conn, restaurant_id=restaurant_id)
    await conn.execute(
        sa.insert(deleted_restaurants).values(id=restaurant_id, changed_ms=db_clock.now_ms())
    )


async def forget_deletion(conn: AsyncConnection, *, restaurant_id: uuid.UUID) -> None:
    """Drop the tombstone of a restaurant deleted under this id, if there is one."""
    tombstone = deleted_restaurants.c.id == restaurant_id
    await conn.execute(deleted_restaurants.delete().where(tombstone))


async def page(
    conn: AsyncConnection,
    *,
    limit: int,
    cursor: Cursor | None,
    only: uuid.UUID | None = None,
) -> list[Restaurant]:
    """Restaurants in creation order, `limit` after `cursor`; `only` narrows to one id."""
    query = sa.select(restaurants).where(after_cursor(restaurants, cursor))
    if only is not None:
        query = query.where(restaurants.c.id == only)
    rows = await conn.execute(query.order_by(*page_order(restaurants)).limit(limit))
    return [_entity(row) for row in rows]


async def last_seqs(
    conn: AsyncConnection, *, restaurant_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """The current seq of each restaurant that still exists (any number of them)."""
    seqs: dict[uuid.UUID, int] = {}
    for chunk in in_lists.chunks(restaurant_ids):
        rows = await conn.execute(
            sa.select(restaurants.c.id, restaurants.c.last_seq).where(restaurants.c.id.in_(chunk))
        )
        seqs.update((row.id, row.last_seq) for row in rows)
    return seqs


async def seqs_changed_since(conn: AsyncConnection, *, since_ms: int) -> dict[uuid.UUID, int]:
    """The current seq of each restaurant whose seq moved after `since_ms` (db_clock)."""
    query = sa.select(restaurants.c.id, restaurants.c.last_seq).where(
        restaurants.c.changed_ms > since_ms
    )
    return {row.id: row.last_seq for row in await conn.execute(query)}


async def deleted_since(conn: AsyncConnection, *, since_ms: int) -> set[uuid.UUID]:
    """The restaurants deleted after `since_ms` (db_clock)."""
    query = sa.select(deleted_restaurants.c.id).where(deleted_restaurants.c.changed_ms > since_ms)
    return set((await conn.execute(query)).scalars())


async def prune_deleted(conn: AsyncConnection, *, before_ms: int) -> int:
    """Forget the deletions stamped before `before_ms` (db_clock); returns how many went."""
    query = deleted_restaurants.delete().where(deleted_restaurants.c.changed_ms < before_ms)
    return int((await conn.execute(query)).rowcount or 0)


async def exists(conn: AsyncConnection, *, restaurant_id: uuid.UUID) -> bool:
    """True when the restaurant exists."""
    query = sa.select(restaurants.c.id).where(restaurants.c.id == restaurant_id)
    return (await conn.execute(query)).first() is not None
