"""Stored results of requests sent with an Idempotency-Key, replayed for retries."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from hoststand.store.schema import idempotency_keys


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """The first result of a request, kept for its retries."""

    request_hash: str
    status_code: int
    body: str


# Built once (see store/guests.py): a write with an Idempotency-Key runs these two; built per
# call, they cost more than the guest update itself.
_FIND = sa.select(
    idempotency_keys.c.request_hash, idempotency_keys.c.status_code, idempotency_keys.c.body
).where(
    idempotency_keys.c.restaurant_id == sa.bindparam("key_restaurant"),
    idempotency_keys.c.key == sa.bindparam("key_key"),
    idempotency_keys.c.expires_at > sa.bindparam("key_now"),
)


def _upsert(insert: Callable[[sa.Table], Any]) -> Any:
    """INSERT that replaces the row already stored for its key: one statement, not two."""
    statement = insert(idempotency_keys)
    replaced = ("request_hash", "status_code", "body", "created_at", "expires_at")
    return statement.on_conflict_do_update(
        index_elements=[idempotency_keys.c.restaurant_id, idempotency_keys.c.key],
        set_={name: statement.excluded[name] for name in replaced},
    )


# Both dialects spell it the same way, with their own insert().
_STORE = {"sqlite": _upsert(sqlite.insert), "postgresql": _upsert(postgresql.insert)}


async def find(
    conn: AsyncConnection, *, restaurant_id: uuid.UUID, key: str, now: datetime
) -> StoredResponse | None:
    """The unexpired stored result for this key, if any."""
    parameters = {"key_restaurant": restaurant_id, "key_key": key, "key_now": now}
    row = (await conn.execute(_FIND, parameters)).first()
    if row is None:
        return None
    return StoredResponse(row.request_hash, row.status_code, row.body)


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
    await conn.execute(
        _STORE[conn.dialect.name],
        {
            "restaurant_id": restaurant_id,
            "key": key,
            "request_hash": response.request_hash,
            "status_code": response.status_code,
            "body": response.body,
            "created_at": now,
            "expires_at": expires_at,
        },
    )


async def prune(conn: AsyncConnection, *, now: datetime) -> int:
    """Forget expired results."""
    result = await conn.execute(
        idempotency_keys.delete().where(idempotency_keys.c.expires_at <= now)
    )
    return int(result.rowcount or 0)
