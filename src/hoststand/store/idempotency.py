"""Stored results of requests sent with an Idempotency-Key, replayed for retries."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from hoststand.store.event_log import RowWrite
from hoststand.store.schema import idempotency_keys


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """The first result of a request, kept for its retries."""

    request_hash: str
    status_code: int
    body: str


@dataclass(frozen=True, slots=True)
class Found:
    """A key's stored row as read, expired or not: `live` judges it at a given time."""

    response: StoredResponse
    expires_at: datetime

    def live(self, now: datetime) -> StoredResponse | None:
        """The stored result, unless it had expired by `now`."""
        return self.response if self.expires_at > now else None


# What a lookup reads, alone (_FIND) or beside the restaurant's lock (joined_to).
COLUMNS = (
    idempotency_keys.c.request_hash,
    idempotency_keys.c.status_code,
    idempotency_keys.c.body,
    idempotency_keys.c.expires_at,
)


def _of_key(restaurant_id: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
    """The row of the key named by the parameter key_key, for `restaurant_id`."""
    return sa.and_(
        idempotency_keys.c.restaurant_id == restaurant_id,
        idempotency_keys.c.key == sa.bindparam("key_key"),
    )


# Built once (see store/guests.py): a write with an Idempotency-Key runs these two; built per
# call, they cost more than the guest update itself.
_FIND = sa.select(*COLUMNS).where(_of_key(sa.bindparam("key_restaurant")))


def joined_to(query: sa.Select[Any], restaurants: sa.Table) -> sa.Select[Any]:
    """`query`, which reads a restaurant's row, with that restaurant's row of a key beside it.

    An outer join: NULLs when the key is not stored. Read its columns with `found_in`.
    """
    on = _of_key(restaurants.c.id)
    return query.outerjoin_from(restaurants, idempotency_keys, on).add_columns(*COLUMNS)


def found_in(values: Sequence[Any]) -> Found | None:
    """The stored row of a key from its COLUMNS' values in a row (None when they are NULL)."""
    request_hash, status_code, body, expires_at = values
    if request_hash is None:
        return None
    return Found(StoredResponse(request_hash, status_code, body), expires_at)


def _upsert(insert: Callable[[sa.Table], Any]) -> Any:
    """INSERT that replaces the row already stored for its key: one statement, not two.

    Its parameters are named apart from every column (stored_*), so that it can also go out
    inside another statement (event_log.append).
    """
    statement = insert(idempotency_keys).values(
        {c.name: sa.bindparam(f"stored_{c.name}", type_=c.type) for c in idempotency_keys.c}
    )
    replaced = ("request_hash", "status_code", "body", "created_at", "expires_at")
    return statement.on_conflict_do_update(
        index_elements=[idempotency_keys.c.restaurant_id, idempotency_keys.c.key],
        set_={name: statement.excluded[name] for name in replaced},
    )


# Both dialects spell it the same way, with their own insert().
_STORE = {"sqlite": _upsert(sqlite.insert), "postgresql": _upsert(postgresql.insert)}


async def lookup(conn: AsyncConnection, *, restaurant_id: uuid.UUID, key: str) -> Found | None:
    """The stored row for this key, expired or not, if any."""
    parameters = {"key_restaurant": restaurant_id, "key_key": key}
    row = (await conn.execute(_FIND, parameters)).first()
    return None if row is None else found_in(row)


async def find(
    conn: AsyncConnection, *, restaurant_id: uuid.UUID, key: str, now: datetime
) -> StoredResponse | None:
    """The unexpired stored result for this key, if any."""
    found = await lookup(conn, restaurant_id=restaurant_id, key=key)
    return None if found is None else found.live(now)


def write(
    dialect: str,
    *,
    restaurant_id: uuid.UUID,
    key: str,
    response: StoredResponse,
    now: datetime,
    expires_at: datetime,
) -> RowWrite:
    """The statement that keeps a result (see store), to run alone or with a change's events."""
    values = {
        "restaurant_id": restaurant_id,
        "key": key,
        "request_hash": response.request_hash,
        "status_code": response.status_code,
        "body": response.body,
        "created_at": now,
        "expires_at": expires_at,
    }
    parameters = {f"stored_{name}": value for name, value in values.items()}
    return RowWrite("stored", _STORE[dialect], parameters)


async def store(
    conn: AsyncConnection,
    *,
    restaurant_id: uuid.UUID,
    key: str,
    response: StoredResponse,
    now: datetime,
    expires_at: datetime,
) -> None:
    """Keep a result; an expired row for the same key is replaced."""
    stored = write(
        conn.dialect.name,
        restaurant_id=restaurant_id,
        key=key,
        response=response,
        now=now,
        expires_at=expires_at,
    )
    await stored.execute(conn)


async def prune(conn: AsyncConnection, *, now: datetime) -> int:
    """Forget expired results."""
    result = await conn.execute(
        idempotency_keys.delete().where(idempotency_keys.c.expires_at <= now)
    )
    return int(result.rowcount or 0)
