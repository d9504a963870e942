"""Lookups by many keys (the log poll's full sweeps): any number, in IN lists of a bounded
length."""

from __future__ import annotations

import uuid

from hoststand.store import in_lists, restaurants, tokens
from hoststand.store.database import Database
from tests.store.conftest import kept_and_revoked_tokens

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
    async with database.write() as conn:
        alive, revoked = await kept_and_revoked_tokens(conn, restaurant_id)
    gone = [uuid.uuid4() for _ in range(MORE_THAN_TWO_LISTS)]
    asked = [*gone[:600], alive.id, *gone[600:], revoked.id]  # one each in the second and third
    async with database.read() as conn:
        assert await tokens.revoked_among(conn, token_ids=asked) == set(asked) - {alive.id}
        assert await tokens.revoked_among(conn, token_ids=[]) == set()
