"""The connection: SQLite in WAL mode with foreign keys enforced, cascades on both databases."""

from __future__ import annotations

import asyncio
import copy
import threading
import uuid
from pathlib import Path

import aiosqlite
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from hoststand.domain.clock import utcnow
from hoststand.domain.status import GuestStatus
from hoststand.store import floor, guests, restaurants
from hoststand.store.database import Database
from tests.conftest import Backend
from tests.store.conftest import a_guest, a_table


async def test_sqlite_runs_in_wal_mode_with_foreign_keys_on(sqlite_backend: Backend) -> None:
    database = Database(sqlite_backend.url)
    try:
        async with database.read() as conn:
            assert (await conn.execute(sa.text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await conn.execute(sa.text("PRAGMA foreign_keys"))).scalar() == 1
    finally:
        await database.close()


async def test_a_table_of_an_unknown_restaurant_is_refused(database: Database) -> None:
    with pytest.raises(IntegrityError):
        async with database.write() as conn:
            await floor.insert(conn, table=a_table(uuid.uuid4(), "Orphan"))


async def test_deleting_a_restaurant_deletes_what_it_owns(
    database: Database, restaurant_id: uuid.UUID
) -> None:
    table = a_table(restaurant_id, "1")
    async with database.write() as conn:
        await floor.insert(conn, table=table)
        await guests.insert(
            conn,
            guest=a_guest(restaurant_id, "Seated", status=GuestStatus.SEATED, table_id=table.id),
        )
        await guests.insert(conn, guest=a_guest(restaurant_id, "Waiting"))
    async with database.write() as conn:
        await restaurants.delete(conn, restaurant_id=restaurant_id)
    async with database.read() as conn:
        assert await floor.page(conn, restaurant_id=restaurant_id, limit=None) == []
        where = guests.GuestFilter()
        assert await guests.page(conn, restaurant_id=restaurant_id, where=where, limit=None) == []


async def test_a_sqlite_file_keeps_the_configured_pool(sqlite_backend: Backend) -> None:
    database = Database(sqlite_backend.url, pool_size=7)
    try:
        pool = database.engine.pool
        assert isinstance(pool, sa.pool.QueuePool)
        assert pool.size() == 7
    finally:
        await database.close()


async def test_a_guest_updated_against_what_it_was_reads_back_as_written(
    database: Database, restaurant_id: uuid.UUID
) -> None:
    guest = a_guest(restaurant_id, "Ada", notes="by the window")
    async with database.write() as conn:
        await guests.insert(conn, guest=guest)
    was = copy.copy(guest)
    guest.notes, guest.party_size, guest.tags, guest.version = None, 5, ["vip"], 2
    guest.status, guest.notified_at = GuestStatus.NOTIFIED, utcnow().replace(microsecond=0)
    async with database.write() as conn:
        await guests.update(conn, guest=guest, was=was)
    async with database.read() as conn:
        assert await guests.get(conn, restaurant_id=restaurant_id, guest_id=guest.id) == guest


async def test_direct_tls_false_in_the_url_connects_without_direct_tls(
    postgres_backend: Backend,
) -> None:
    # asyncpg takes any text for true: "false" used to ask this server, which has no TLS, for
    # direct TLS, and every connection failed.
    url = make_url(postgres_backend.url).update_query_dict({"direct_tls": "false"})
    database = Database(url.render_as_string(hide_password=False), schema=postgres_backend.schema)
    try:
        await database.ping()
    finally:
        await database.close()


async def test_close_ends_the_thread_of_a_connection_still_checked_out(
    sqlite_backend: Backend,
) -> None:
    # Work cancelled or dropped can leave its connection out of the pool, which dispose closes
    # only what is in; the thread of the one left out would call into a closed event loop.
    database = Database(sqlite_backend.url)
    conn = await database.engine.connect()
    await conn.execute(sa.text("SELECT 1"))
    raw = (await conn.get_raw_connection()).driver_connection
    assert isinstance(raw, aiosqlite.Connection)
    await database.close()
    assert not raw._thread.is_alive()
    await conn.close()  # what its owner would do later, if ever: nothing left to close


async def test_close_gives_up_on_a_statement_it_cannot_end_after_its_timeout(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'stuck.db'}")
    conn = await database.engine.connect()
    raw = (await conn.get_raw_connection()).driver_connection
    assert isinstance(raw, aiosqlite.Connection)
    # As one waiting for another process's lock: SQLite's interrupt does not end it.
    stuck, release = threading.Event(), threading.Event()
    raw._conn.create_function("stuck", 0, lambda: stuck.set() or release.wait(10))
    statement = asyncio.create_task(conn.execute(sa.text("SELECT stuck()")))
    try:
        assert await asyncio.to_thread(stuck.wait, 5)
        await database.close(timeout=0.1)
        assert raw._thread.is_alive()
        assert "1 SQLite connection(s) still busy" in caplog.text
        # Closed for its holder all the same (SQLAlchemy closes so one it gives up on): at once.
        await asyncio.wait_for(raw.close(), 5)
    finally:
        release.set()
        await statement
        await conn.close()
    await asyncio.to_thread(raw._thread.join, 5)
    assert not raw._thread.is_alive()  # it ended by itself, once its statement did


def test_a_thread_that_ends_after_the_event_loop_calls_nothing_into_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raised: list[threading.ExceptHookArgs] = []
    monkeypatch.setattr(threading, "excepthook", raised.append)
    gate = threading.Event()
    threads: list[threading.Thread] = []

    async def open_and_close() -> None:
        database = Database(f"sqlite+aiosqlite:///{tmp_path / 'late.db'}")
        conn = await database.engine.connect()  # left checked out
        await conn.execute(sa.text("SELECT 1"))
        raw = (await conn.get_raw_connection()).driver_connection
        assert isinstance(raw, aiosqlite.Connection)
        threads.append(raw._thread)
        # As a thread starved of CPU: it gets to its stop past close's bound, and past the end
        # of the event loop that asked for it.
        raw._tx.put_nowait((None, gate.wait))
        await database.close(timeout=0.1)
        await conn.close()  # closed already: nothing is queued

    asyncio.run(open_and_close())
    gate.set()
    threads[0].join(5)
    assert not threads[0].is_alive()
    assert [repr(args.exc_value) for args in raised] == []
