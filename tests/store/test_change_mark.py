"""Database.change_mark: the same mark twice only if nothing was committed in between."""

from __future__ import annotations

import uuid

from hoststand.store import floor
from hoststand.store.database import Database
from tests.conftest import Backend
from tests.store.conftest import a_restaurant, a_table


async def test_a_mark_stays_while_nothing_is_committed(
    database: Database, backend: Backend
) -> None:
    first = await database.change_mark()
    if backend.name == "postgres":
        assert first is None  # no cheap mark there: every poll reads
        return
    assert first is not None
    async with database.read() as conn:
        await floor.page(conn, restaurant_id=uuid.uuid4(), limit=None)
    assert await database.change_mark() == first


async def test_a_write_here_moves_the_mark(sqlite_database: Database) -> None:
    before = await sqlite_database.change_mark()
    await a_restaurant(sqlite_database)
    after = await sqlite_database.change_mark()
    assert after is not None
    assert after != before


async def test_a_commit_by_another_connection_moves_the_mark(
    sqlite_database: Database, sqlite_backend: Backend
) -> None:
    restaurant_id = await a_restaurant(sqlite_database)
    before = await sqlite_database.change_mark()
    other = Database(sqlite_backend.url)  # as an admin command, in its own process, would
    try:
        async with other.write() as conn:
            await floor.insert(conn, table=a_table(restaurant_id, "From elsewhere"))
    finally:
        await other.close()
    after = await sqlite_database.change_mark()
    assert after is not None
    assert after != before


async def test_no_mark_while_a_write_is_in_progress(sqlite_database: Database) -> None:
    restaurant_id = await a_restaurant(sqlite_database)
    async with sqlite_database.write() as conn:
        await floor.insert(conn, table=a_table(restaurant_id, "Half done"))
        assert await sqlite_database.change_mark() is None
