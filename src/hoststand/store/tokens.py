"""API tokens, stored by the hash of their secret only."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from hoststand.domain.access import ApiToken, Role
from hoststand.store import db_clock, in_lists
from hoststand.store.schema import api_tokens


def _entity(row: sa.Row[tuple[object, ...]]) -> ApiToken:
    m = row._mapping
    return ApiToken(
        id=m["id"],
        restaurant_id=m["restaurant_id"],
        name=m["name"],
        role=Role(m["role"]),
        created_at=m["created_at"],
        last_used_at=m["last_used_at"],
        revoked_at=m["revoked_at"],
    )


async def insert(conn: AsyncConnection, *, token: ApiToken, secret_hash: str) -> None:
    """Store a new token's metadata and the hash of its secret."""
    await conn.execute(
        api_tokens.insert().values(
            id=token.id,
            restaurant_id=token.restaurant_id,
            name=token.name,
            role=token.role.value,
            secret_hash=secret_hash,
            created_at=token.created_at,
        )
    )


# Built once (see store/guests.py): every token check that misses the cache runs it.
_BY_HASH = sa.select(api_tokens).where(api_tokens.c.secret_hash == sa.bindparam("key_hash"))


async def by_hash(conn: AsyncConnection, *, secret_hash: str) -> ApiToken | None:
    """The token whose secret hashes to `secret_hash`, revoked or not."""
    row = (await conn.execute(_BY_HASH, {"key_hash": secret_hash})).first()
    return None if row is None else _entity(row)


async def get(conn: AsyncConnection, *, token_id: uuid.UUID) -> ApiToken | None:
    """One token by id."""
    row = (await conn.execute(sa.select(api_tokens).where(api_tokens.c.id == token_id))).first()
    return None if row is None else _entity(row)


async def for_restaurant(conn: AsyncConnection, *, restaurant_id: uuid.UUID) -> list[ApiToken]:
    """Every token of a restaurant, oldest first."""
    query = (
        sa.select(api_tokens)
        .where(api_tokens.c.restaurant_id == restaurant_id)
        .order_by(api_tokens.c.created_at, api_tokens.c.id)
    )
    return [_entity(row) for row in await conn.execute(query)]


async def revoke(conn: AsyncConnection, *, token_id: uuid.UUID, at: datetime) -> None:
    """Mark a token revoked."""
    await conn.execute(
        api_tokens.update()
        .where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
        .values(revoked_at=at, changed_ms=db_clock.now_ms())
    )


async def touch(conn: AsyncConnection, *, token_id: uuid.UUID, at: datetime) -> None:
    """Record that a token was used."""
    await conn.execute(
        api_tokens.update().where(api_tokens.c.id == token_id).values(last_used_at=at)
    )


async def revoked_since(conn: AsyncConnection, *, since_ms: int) -> set[uuid.UUID]:
    """The tokens revoked after `since_ms` (db_clock)."""
    query = sa.select(api_tokens.c.id).where(
        api_tokens.c.changed_ms > since_ms, api_tokens.c.revoked_at.is_not(None)
    )
    return {row.id for row in await conn.execute(query)}


async def revoked_among(conn: AsyncConnection, *, token_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    """Those of `token_ids` (any number of them) that are revoked or gone."""
    alive: set[uuid.UUID] = set()
    for chunk in in_lists.chunks(token_ids):
        query = sa.select(api_tokens.c.id).where(
            api_tokens.c.id.in_(chunk), api_tokens.c.revoked_at.is_(None)
        )
        alive.update(row.id for row in await conn.execute(query))
    return set(token_ids) - alive
