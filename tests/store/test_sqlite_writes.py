"""SQLite's writers take turns on one connection, which outlives refusals and breaks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from hoststand.store.database import Database

ITEMS = sa.table("items", sa.column("name", sa.String))


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A Database on a fresh SQLite file with an `items` table."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'writes.db'}")
    async with database.write() as conn:
        await conn.execute(sa.text("CREATE TABLE items (name TEXT NOT NULL)"))
    yield database
    await database.close()


async def _driver_connection(db: Database) -> Any:
    async with db.write() as conn:
        return (await conn.get_raw_connection()).driver_connection


async def _names(db: Database) -> list[str]:
    async with db.read() as conn:
        return list((await conn.execute(sa.select(ITEMS.c.name))).scalars())


async def test_writes_take_turns_on_one_connection(db: Database) -> None:
    first = await _driver_connection(db)
    assert await _driver_connection(db) is first
    async with db.read() as conn:  # readers use the pool's other connections
        assert (await conn.get_raw_connection()).driver_connection is not first


async def test_a_refused_write_rolls_back_and_the_connection_goes_on(db: Database) -> None:
    async def refused_write() -> None:
        async with db.write() as conn:
            await conn.execute(sa.insert(ITEMS).values(name="refused"))
            raise LookupError("refused by a check")

    writer = await _driver_connection(db)
    with pytest.raises(LookupError):
        await refused_write()
    async with db.write() as conn:
        await conn.execute(sa.insert(ITEMS).values(name="kept"))
    assert await _names(db) == ["kept"]
    assert await _driver_connection(db) is writer


async def test_a_write_cancelled_midway_rolls_back_and_the_next_one_works(db: Database) -> None:
    inside = asyncio.Event()

    async def stuck_write() -> None:
        async with db.write() as conn:
            await conn.execute(sa.insert(ITEMS).values(name="cancelled"))
            inside.set()
            await asyncio.Event().wait()

    task = asyncio.create_task(stuck_write())
    await asyncio.wait_for(inside.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with db.write() as conn:
        await conn.execute(sa.insert(ITEMS).values(name="next"))
    assert await _names(db) == ["next"]


async def test_a_writer_that_broke_reconnects(db: Database) -> None:
    async def write_on_a_connection_that_breaks() -> None:
        async with db.write() as conn:
            await conn.execute(sa.insert(ITEMS).values(name="lost"))
            await conn.invalidate()  # as SQLAlchemy does on a disconnect-like error

    writer = await _driver_connection(db)
    with pytest.raises(sa.exc.SQLAlchemyError):
        await write_on_a_connection_that_breaks()
    async with db.write() as conn:
        await conn.execute(sa.insert(ITEMS).values(name="clean"))
    assert await _names(db) == ["clean"]
    assert await _driver_connection(db) is not writer


async def test_close_lets_the_write_in_progress_finish(db: Database) -> None:
    inside, release = asyncio.Event(), asyncio.Event()

    async def slow_write() -> None:
        async with db.write() as conn:
            await conn.execute(sa.insert(ITEMS).values(name="in progress"))
            inside.set()
            await release.wait()

    writing = asyncio.create_task(slow_write())
    await asyncio.wait_for(inside.wait(), 5)
    closing = asyncio.create_task(db.close())
    release.set()
    await asyncio.wait_for(asyncio.gather(writing, closing), 5)
    assert await _names(db) == ["in progress"]  # committed before the close
