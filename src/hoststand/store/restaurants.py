"""Restaurants: rows in, entities out; and the per-restaurant lock every write takes."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from hoststand.domain.entities import Guest, Restaurant
from hoststand.store import db_clock, guests, idempotency, in_lists
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
_BY_ID_LOCKED = _BY_ID.with_for_update(of=restaurants)
_UPDATE = restaurants.update().where(restaurants.c.id == sa.bindparam("key_id"))
# The restaurant's row, then one of its guests' (NULLs when there is none), for SQLite only:
# see lock().
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

# The restaurant's last_seq as the statement's snapshot saw it, whatever its lock re-read
# (_read_key). Uncorrelated: PostgreSQL evaluates it once, against the snapshot.
_seen = restaurants.alias("seen")
_SEEN_SEQ = (
    sa.select(_seen.c.last_seq)
    .where(_seen.c.id == sa.bindparam("key_id"))
    .scalar_subquery()
    .label("seen_seq")
)
_KEY_COLUMNS = len(idempotency.COLUMNS) + 1


def _keyed(query: sa.Select[tuple[object, ...]]) -> sa.Select[tuple[object, ...]]:
    """A locking read of the restaurant with its row of a key after its columns, and seen_seq."""
    return idempotency.joined_to(query, restaurants).add_columns(_SEEN_SEQ)


# lock()'s statements, by whether a key is read; with a guest, also by whether on SQLite.
_LOCKED = {False: _BY_ID_LOCKED, True: _keyed(_BY_ID_LOCKED)}
_LOCKED_WITH_GUEST = {
    (on_sqlite, keyed): _keyed(query) if keyed else query
    for on_sqlite, query in ((True, _WITH_GUEST), (False, _WITH_GUEST_LOCKED))
    for keyed in (False, True)
}
_AFTER_GUEST_COLUMNS = _FIRST_GUEST_COLUMN + len(guest_rows.c)


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


@dataclasses.dataclass(frozen=True, slots=True)
class Locked:
    """A restaurant whose row lock a write holds, and what the write read with the lock."""

    restaurant: Restaurant
    # The guest named to lock(), if it is the restaurant's.
    guest: Guest | None = None
    # The row of the key named to lock(), expired or not, as committed when the lock was taken.
    stored: idempotency.Found | None = None


async def lock(
    conn: AsyncConnection,
    *,
    restaurant_id: uuid.UUID,
    guest_id: uuid.UUID | None = None,
    key: str | None = None,
) -> Locked | None:
    """The restaurant, its row lock taken as get(lock=True) does, or None if there is none.

    With `guest_id`, one of its guests is read once the lock is held, in the same statement.
    On SQLite the writer holds the database lock from BEGIN IMMEDIATE, before its first
    statement reads anything. PostgreSQL takes both rows' locks (_WITH_GUEST_LOCKED); a plain
    join would return the guest as the statement's snapshot saw it, before the writer it
    waited for committed. When that finds no row (no such guest, or one created since the
    snapshot), the restaurant is locked alone and the guest read afresh, as two statements.

    With `key`, the restaurant's stored response for that Idempotency-Key is read in the same
    statement too (see _read_key).
    """
    parameters = {"key_id": restaurant_id, "key_guest": guest_id, "key_key": key}
    keyed = key is not None
    if guest_id is None:
        row = (await conn.execute(_LOCKED[keyed], parameters)).first()
        return None if row is None else await _read_key(conn, row, None, key)
    on_sqlite = conn.dialect.name == "sqlite"
    row = (await conn.execute(_LOCKED_WITH_GUEST[on_sqlite, keyed], parameters)).first()
    if row is not None:
        guest_values = row[_FIRST_GUEST_COLUMN:_AFTER_GUEST_COLUMNS]
        guest = None if guest_values[0] is None else _guest(guest_values)
        return await _read_key(conn, row, guest, key)
    if on_sqlite:
        return None
    locked = await lock(conn, restaurant_id=restaurant_id, key=key)
    if locked is None:
        return None
    guest = await guests.get(conn, restaurant_id=restaurant_id, guest_id=guest_id)
    return dataclasses.replace(locked, guest=guest)


async def _read_key(
    conn: AsyncConnection, row: sa.Row[tuple[object, ...]], guest: Guest | None, key: str | None
) -> Locked:
    """The Locked of a locking read's row; its key's stored row read again if it may be stale.

    A statement reads what had committed when it began (its snapshot). The restaurant's row it
    locks is read as it is once locked: PostgreSQL re-reads a row that a writer it waited for
    changed. The key's row is not locked (it may not exist) and is read as of the snapshot, so
    a response stored by a writer that committed after the snapshot, while this statement
    waited for the lock, would not be seen: two writes for one key. Every change that stores
    a response logs an event, which moves the restaurant's last_seq; so when the last_seq of
    the snapshot (seen_seq) is the locked row's, no such writer came between, and otherwise
    the key is read again, now that the lock is held (one more statement, only then).
    """
    restaurant = _entity(row)
    if key is None:
        return Locked(restaurant, guest)
    stored = idempotency.found_in(row[-_KEY_COLUMNS:-1])
    if row._mapping["seen_seq"] != restaurant.last_seq:
        stored = await idempotency.lookup(conn, restaurant_id=restaurant.id, key=key)
    return Locked(restaurant, guest, stored)


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
