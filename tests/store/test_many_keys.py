"""Lookups by many keys (the log poll's full sweeps): any number, in IN lists of a bounded
length."""

from __future__ import annotations

import secrets
import uuid

from hoststand.domain.access import ApiToken, Role
from hoststand.domain.clock import utcnow
from hoststand.store import in_lists, restaurants, tokens
from hoststand.store.database import Database

MORE_THAN_TWO_LISTS = 2 * in_lists.IN_LIST_LIMIT + 1


async def test_last_seqs_answers_for_more_restaurants_than_one_in_list_holds(
    database: Database, restaurant_id: uuid.UUID
) -> None:
    unknown = [uuid.uuid4() for _ in range(MORE_THAN_TWO_LISTS)]
    asked = [*unknown[:700], restaurant_id, *unknown[700:]]  # the known one in the second list
    async with database.read() as conn:
        assert await restaurants.last_seqs(conn, restaurant_ids=asked) == {restaurant_id: 0}
        assert await restaurants.last_seqs(conn, restaurant_ids=[]) == {}


async def test_revoked_among_answers_for_more_tokens_than_one_in_list_holds(
    database: Database, restaurant_id: uuid.UUID
) -> None:
    now = utcnow()
    alive, revoked = (
        ApiToken(uuid.uuid4(), restaurant_id, name, Role.HOST, created_at=now)
        for name in ("alive", "revoked")
    )
    async with database.write() as conn:
        for token in (alive, revoked):
            await tokens.insert(conn, token=token, secret_hash=secrets.token_hex(32))
        await tokens.revoke(conn, token_id=revoked.id, at=now)
    gone = [uuid.uuid4() for _ in range(MORE_THAN_TWO_LISTS)]
    asked = [*gone[:600], alive.id, *gone[600:], revoked.id]  # one each in the second and third
    async with database.read() as conn:
        assert await tokens.revoked_among(conn, token_ids=asked) == set(asked) - {alive.id}
        assert await tokens.revoked_among(conn, token_ids=[]) == set()
