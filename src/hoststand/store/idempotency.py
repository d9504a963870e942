"""Stored results of requests sent with an Idempotency-Key, replayed for retries."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from hoststand.store.schema import idempotency_keys


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """The first result of a request, kept for its retries."""

    request_hash: str
    status_code: int
    body: str


async def find(
    conn: AsyncConnection, *, restaurant_id: uuid.UUID, key: str, now: datetime
) -> StoredResponse | None:
    """The unexpired stored result for this key, if any."""
    query = sa.select(idempotency_keys).where(
        idempotency_keys.c.restaurant_id == restaurant_id,
        idempotency_keys.c.key == key,
        idempotency_keys.c.expires_at > now,
    )
    row = (await conn.execute(query)).first()
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
        idempotency_keys.delete().where(
            idempotency_keys.c.restaurant_id == restaurant_id, idempotency_keys.c.key == key
        )
    )
    await conn.execute(
        idempotency_keys.insert().values(
            restaurant_id=restaurant_id,
            key=key,
            request_hash=response.request_hash,
            status_code=response.status_code,
            body=response.body,
            created_at=now,
            expires_at=expires_at,
        )
    )


async def prune(conn: AsyncConnection, *, now: datetime) -> int:
    """Forget expired results."""
    result = await conn.execute(
        idempotency_keys.delete().where(idempotency_keys.c.expires_at <= now)
    )
    return int(result.rowcount or 0)
