"""The SQLite driver: few trips to the connection's thread, and stock behaviour."""

from __future__ import annotations

import asyncio
import contextvars
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.ext.asyncio import engine as async_engine

from hoststand.store import sqlite_driver
from hoststand.store.database import SQLITE_BUSY_TIMEOUT_MS, Database
from hoststand.store.sqlite_driver import OneTripConnection
from tests.store.endless import Endless

ITEMS = sa.table("items", sa.column("id", sa.Integer), sa.column("name", sa.String))


@pytest.fixture
def path(tmp_path: Path) -> Path:
    """The SQLite file of the test."""
    return tmp_path / "driver.db"


@pytest.fixture
async def db(path: Path) -> AsyncIterator[Database]:
    """A Database on a fresh SQLite file with an `items` table (integer rowid key)."""
    database = Database(f"sqlite+aiosqlite:///{path}")
    async with database.write() as conn:
        await conn.execute(
            sa.text("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)")
        )
    yield database
    await database.close()


class Calls:
    """Calls a patched function saw, made by this test's tasks.

    The tests share the session's event loop, where a task an earlier test left running may
    make such calls too. A task carries a copy of its creator's context, and pytest-asyncio
    hands an async fixture's context variables on to its test, so the calls recorded are
    those made in this test's context: by the test and the tasks it starts.
    """

    def __init__(self) -> None:
        self._names: list[str] = []
        _RECORDING.set(self)

    def record(self, fn: Any) -> None:
        if _RECORDING.get(None) is self:
            self._names.append(getattr(fn, "__name__", repr(fn)))

    def mine(self) -> list[str]:
        """The names of the calls, in order."""
        return list(self._names)

    def clear(self) -> None:
        self._names.clear()


_RECORDING: contextvars.ContextVar[Calls | None] = contextvars.ContextVar("recording")


@pytest.fixture
async def trips(monkeypatch: pytest.MonkeyPatch) -> Calls:
    """The calls aiosqlite runs on its connection threads, by function name."""
    calls = Calls()
    real = aiosqlite.Connection._execute

    async def counting(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        calls.record(fn)
        return await real(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counting)
    return calls


async def test_the_engine_connects_one_trip_connections(db: Database) -> None:
    async with db.read() as conn:
        raw = await conn.get_raw_connection()
        assert isinstance(raw.dbapi_connection, OneTripConnection)


async def test_transactions_begin_without_an_engine_listener(db: Database) -> None:
    # Any engine listener has Core dispatch its execution events on every statement.
    assert not db.engine.sync_engine._has_events
    async with db.read() as conn:
        await conn.execute(sa.select(ITEMS))
        raw = (await conn.get_raw_connection()).driver_connection
        assert raw is not None
        assert raw._conn.in_transaction  # the dialect's BEGIN reached SQLite


async def test_a_write_transaction_costs_no_trip_whatever_its_length(
    db: Database, trips: Calls
) -> None:
    async with db.write() as conn:
        await conn.execute(sa.insert(ITEMS).values(name="a"))
        await conn.execute(sa.select(ITEMS).where(ITEMS.c.name == "a"))
        await conn.execute(sa.update(ITEMS).values(name="b"))
        await conn.execute(sa.insert(ITEMS), [{"name": "c"}, {"name": "d"}])
    # Nobody else held the lock: BEGIN IMMEDIATE, the statements and COMMIT ran on the loop's
    # thread.
    assert trips.mine() == []
    async with db.read() as conn:
        names = (await conn.execute(sa.select(ITEMS.c.name).order_by(ITEMS.c.id))).scalars()
        assert names.all() == ["b", "c", "d"]


@pytest.fixture
async def greenlets(monkeypatch: pytest.MonkeyPatch) -> Calls:
    """The calls SQLAlchemy's async layer runs in a greenlet of their own."""
    calls = Calls()
    real = async_engine.greenlet_spawn

    async def counting(fn: Any, *args: Any, **kwargs: Any) -> Any:
        calls.record(fn)
        return await real(fn, *args, **kwargs)

    monkeypatch.setattr(async_engine, "greenlet_spawn", counting)
    return calls


async def test_an_inline_write_begins_and_commits_without_a_greenlet(
    db: Database, greenlets: Calls
) -> None:
    async with db.write() as conn:
        await conn.execute(sa.insert(ITEMS).values(name="a"))
    assert greenlets.mine() == []

    async def refused() -> None:
        async with db.write() as conn:
            await conn.execute(sa.insert(ITEMS).values(name="b"))
            await conn.execute(sa.insert(ITEMS).values(name="a"))  # the name is taken

    with pytest.raises(IntegrityError):
        await refused()
    assert greenlets.mine() == ["__exit__"]  # the rollback takes the stock path
    async with db.read() as conn:
        names = (await conn.execute(sa.select(ITEMS.c.name))).scalars()
        assert names.all() == ["a"]


async def _read_both(db: Database) -> None:
    async with db.read() as conn:
        names = (await conn.execute(sa.select(ITEMS.c.name).order_by(ITEMS.c.id))).scalars()
        assert names.all() == ["a", "b"]
        assert (await conn.execute(sa.select(sa.func.count()).select_from(ITEMS))).scalar() == 2


async def _two_items_read_once(db: Database) -> None:
    """Items a and b, and a first read: it connects a reader (the writer is connected)."""
    async with db.write() as conn:
        await conn.execute(sa.insert(ITEMS), [{"name": "a"}, {"name": "b"}])
    await _read_both(db)


async def test_a_read_costs_no_trip_whatever_its_length(db: Database, trips: Calls) -> None:
    await _two_items_read_once(db)
    # BEGIN, both statements and COMMIT run here: the next read makes no trip at all.
    trips.clear()
    await _read_both(db)
    assert trips.mine() == []


async def test_a_read_costs_no_greenlet_but_its_checkout(db: Database, greenlets: Calls) -> None:
    await _two_items_read_once(db)
    greenlets.clear()
    await _read_both(db)
    # The pool's checkout, which could have to connect; BEGIN, the statements, COMMIT and the
    # connection's return to the pool run without one.
    assert greenlets.mine() == ["connect"]

    async def refused() -> None:
        async with db.read() as conn:
            await conn.execute(sa.text("SELECT nothing FROM nowhere"))

    with pytest.raises(OperationalError):
        await refused()
    await _read_both(db)  # the failed read's connection was given back clean


async def test_a_read_waits_for_no_writer_and_sees_only_what_was_committed(
    db: Database, path: Path
) -> None:
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO items (name) VALUES ('uncommitted')")
        loop_thread = threading.get_ident()

        async def read() -> tuple[list[int], int]:
            async with db.read() as conn:
                seen = await threads_of(conn, 1)
                count = sa.select(sa.func.count()).select_from(ITEMS)
                return seen, (await conn.execute(count)).scalar_one()

        # The other connection holds the write lock: a read runs on, on the loop's thread.
        assert await asyncio.wait_for(read(), 5) == ([loop_thread], 0)
        other.execute("COMMIT")
        assert (await read())[1] == 1
    finally:
        other.close()


async def test_a_bulk_write_costs_one_trip_per_statement_and_one_to_commit_then_a_checkpoint(
    db: Database, trips: Calls
) -> None:
    async with db.write(bulk=True) as conn:
        await conn.execute(sa.insert(ITEMS).values(name="a"))
        await conn.execute(sa.select(ITEMS).where(ITEMS.c.name == "a"))
        await conn.execute(sa.update(ITEMS).values(name="b"))
    assert trips.mine() == ["_execute", "_execute", "_execute", "commit"]
    await db.checkpointed()  # a bulk write's checkpoint falls due at once
    assert trips.mine().count("_checkpoint") == 1
    trips.clear()
    async with db.write() as conn:  # the next write is inline again
        await conn.execute(sa.select(ITEMS))
        await conn.execute(sa.select(ITEMS))
    assert trips.mine() == []


async def test_the_writer_checkpoints_every_so_many_writes_on_sqlites_thread_not_at_commit(
    path: Path, trips: Calls
) -> None:
    database = Database(f"sqlite+aiosqlite:///{path}", checkpoint_every=3)
    try:
        async with database.write() as conn:
            await conn.execute(sa.text("CREATE TABLE items (name TEXT)"))
        trips.clear()
        for name in ("b", "c", "d"):
            async with database.write() as conn:
                await conn.execute(sa.insert(ITEMS).values(name=name))
                # A commit on the loop's thread must not copy the WAL back and fsync there.
                pragma = sa.text("PRAGMA wal_autocheckpoint")
                assert (await conn.execute(pragma)).scalar() == 0
        assert trips.mine() == []
        await database.checkpointed()  # the one the third write made due
        assert trips.mine().count("_checkpoint") == 1
    finally:
        await database.close()


async def _write(database: Database, name: str) -> None:
    async with database.write() as conn:
        await conn.execute(sa.insert(ITEMS).values(name=name))


async def _insert(database: Database, name: str) -> None:
    await asyncio.wait_for(_write(database, name), 5)


class HeldCheckpoints:
    """sqlite_driver's checkpoint, held on SQLite's thread at the calls the test names."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *held: int) -> None:
        # Written on SQLite's threads, read on the test's: the counts under a lock, and every
        # event made here, before any thread looks one up.
        self._lock = threading.Lock()
        self.calls = 0
        self.copying = 0
        self.overlapped = False  # whether one began while another copied
        self.started = {n: threading.Event() for n in range(1, 10)}
        self.release = {n: threading.Event() for n in held}
        self._real = sqlite_driver._checkpoint
        monkeypatch.setattr(sqlite_driver, "_checkpoint", self._checkpoint)

    def _checkpoint(self, connection: aiosqlite.Connection) -> None:
        with self._lock:
            self.calls += 1
            call = self.calls
            self.overlapped = self.overlapped or self.copying > 0
            self.copying += 1
        try:
            self.started[call].set()
            if call in self.release:
                self.release[call].wait(10)
            self._real(connection)
        finally:
            with self._lock:
                self.copying -= 1

    async def reach(self, call: int) -> None:
        """Return once checkpoint number `call` (from 1) runs on SQLite's thread."""
        assert await asyncio.to_thread(self.started[call].wait, 5), f"checkpoint {call} never ran"

    def let_go(self) -> None:
        for event in self.release.values():
            event.set()


async def test_writes_go_on_while_a_checkpoint_copies_and_wait_only_for_its_last_frames(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = Database(f"sqlite+aiosqlite:///{path}", checkpoint_every=3)
    checkpoints = HeldCheckpoints(monkeypatch, 1, 2)
    try:
        async with database.write() as conn:
            await conn.execute(sa.text("CREATE TABLE items (name TEXT)"))
        await _insert(database, "a")
        await _insert(database, "b")  # the third write: a checkpoint falls due, and runs
        await checkpoints.reach(1)
        # It copies without the write lock (change_mark reads nothing while a write holds
        # it)...
        assert await database.change_mark() is not None
        # ...and the writes go on meanwhile, as many as make no other checkpoint due.
        await _insert(database, "c")
        await _insert(database, "d")
        checkpoints.release[1].set()
        # What they appended, it copies under the write lock: then the copy is complete.
        await checkpoints.reach(2)
        assert await database.change_mark() is None
        checkpoints.release[2].set()
        await asyncio.wait_for(database.checkpointed(), 5)
        assert checkpoints.calls == 2
        assert await database.change_mark() is not None
    finally:
        checkpoints.let_go()
        await database.close()


async def test_a_checkpoint_due_while_the_last_one_copies_waits_for_it_then_finishes_it(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = Database(f"sqlite+aiosqlite:///{path}", checkpoint_every=3)
    checkpoints = HeldCheckpoints(monkeypatch, 1)
    try:
        async with database.write() as conn:
            await conn.execute(sa.text("CREATE TABLE items (name TEXT)"))
        await _insert(database, "a")
        await _insert(database, "b")
        await checkpoints.reach(1)
        await _insert(database, "c")
        await _insert(database, "d")
        sixth = asyncio.create_task(_write(database, "e"))  # the next checkpoint falls due
        await asyncio.sleep(0)  # one step of the task: its write, up to its checkpoint
        # Its write waits, holding the write lock, for the copy in progress: two at once would
        # leave one copying nothing (SQLite answers the second busy). Given half a second, the
        # writer's own never reaches SQLite (on the tree before, it came at once).
        assert not sixth.done()
        assert await database.change_mark() is None
        assert not await asyncio.to_thread(checkpoints.started[2].wait, 0.5)
        checkpoints.release[1].set()
        # The writer copies what was left before its write returns: the WAL does not grow
        # while a copy is slow.
        await asyncio.wait_for(sixth, 5)
        assert checkpoints.calls >= 2
        await asyncio.wait_for(database.checkpointed(), 5)
        assert checkpoints.calls == 3  # and the first one's last part, which found nothing
        assert not checkpoints.overlapped
    finally:
        checkpoints.let_go()
        await database.close()


async def test_the_wal_is_copied_back_and_started_over_while_writes_go_on(
    path: Path,
) -> None:
    database = Database(f"sqlite+aiosqlite:///{path}", checkpoint_every=10)
    try:
        async with database.write() as conn:
            await conn.execute(sa.text("CREATE TABLE items (name TEXT)"))
        for n in range(300):
            async with database.write() as conn:
                await conn.execute(sa.insert(ITEMS).values(name=f"{n:0200}"))
        # 300 writes of a page or two each: without checkpoints, or with ones that never catch
        # up, the WAL would hold them all (1.2 MB and more).
        assert path.with_name("driver.db-wal").stat().st_size < 200_000
    finally:
        await database.close()


async def test_a_writer_runs_driver_sql_among_its_statements(db: Database) -> None:
    async with db.write() as conn:
        await conn.execute(sa.insert(ITEMS).values(name="core"))
        await conn.exec_driver_sql("INSERT INTO items (name) VALUES ('driver')")
        await conn.execute(sa.insert(ITEMS).values(name="core again"))
    async with db.read() as conn:
        names = (await conn.execute(sa.select(ITEMS.c.name).order_by(ITEMS.c.id))).scalars()
        assert names.all() == ["core", "driver", "core again"]


async def test_a_writer_waits_for_another_process_lock_on_sqlites_thread(
    db: Database, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent_to_thread = asyncio.Event()
    real = aiosqlite.Connection._execute
    writer: contextvars.ContextVar[bool] = contextvars.ContextVar("writer", default=False)

    async def watching(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        # A statement (not create_function) of the write below, not of a task an earlier test
        # left running.
        if getattr(fn, "__name__", "") == "_execute" and writer.get():
            sent_to_thread.set()
        return await real(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", watching)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    writer.set(True)  # for the task created next, which copies this context
    writing = asyncio.create_task(_write_and_report_threads(db))
    await sent_to_thread.wait()  # the first statement went to the thread, to wait there
    assert not writing.done()
    other.execute("INSERT INTO items (name) VALUES ('other')")
    other.execute("COMMIT")
    other.close()
    first, second = await writing
    assert first != threading.get_ident()
    assert second == threading.get_ident()
    async with db.read() as conn:
        names = (await conn.execute(sa.select(ITEMS.c.name).order_by(ITEMS.c.id))).scalars()
        assert names.all() == ["other", "mine"]
    async with db.write() as conn:  # the writer waits as long as configured, still
        timeout = (await conn.execute(sa.text("PRAGMA busy_timeout"))).scalar()
        assert timeout == SQLITE_BUSY_TIMEOUT_MS


async def _write_and_report_threads(db: Database) -> list[int]:
    async with db.write() as conn:
        seen = await threads_of(conn, 2)
        await conn.execute(sa.insert(ITEMS).values(name="mine"))
    return seen


async def threads_of(conn: AsyncConnection, statements: int) -> list[int]:
    """The threads that `statements` statements, one after the other, ran on."""
    seen: list[int] = []
    raw = (await conn.get_raw_connection()).driver_connection
    assert raw is not None
    await raw.create_function("thread_of", 0, lambda: seen.append(threading.get_ident()))
    for _ in range(statements):
        await conn.execute(sa.text("SELECT thread_of()"))
    return seen


async def test_reads_and_writes_run_on_the_event_loops_thread_bulk_ones_on_sqlites(
    db: Database,
) -> None:
    loop_thread = threading.get_ident()
    async with db.write() as conn:
        assert await threads_of(conn, 3) == [loop_thread] * 3
    async with db.read() as conn:
        assert await threads_of(conn, 3) == [loop_thread] * 3
    async with db.write(bulk=True) as conn:
        assert loop_thread not in await threads_of(conn, 2)
    async with db.read(bulk=True) as conn:
        assert loop_thread not in await threads_of(conn, 2)


async def test_a_transaction_without_statements_makes_no_trip(db: Database, trips: Calls) -> None:
    async with db.read():
        pass  # connects a reader (the writer is connected already)
    trips.clear()
    async with db.write():
        pass
    async with db.read():
        pass
    assert trips.mine() == []


def _try_to_write(path: Path) -> None:
    """BEGIN IMMEDIATE from another connection, without waiting for the lock."""
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    finally:
        other.close()


async def test_a_writer_holds_the_database_lock_from_its_first_statement(
    db: Database, path: Path
) -> None:
    async with db.write() as conn:
        await conn.execute(sa.select(ITEMS))
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            _try_to_write(path)
    _try_to_write(path)  # released at commit


async def test_a_read_transaction_sees_one_snapshot(db: Database, path: Path) -> None:
    count = sa.select(sa.func.count()).select_from(ITEMS)
    async with db.read() as conn:
        assert (await conn.execute(count)).scalar() == 0
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("INSERT INTO items (name) VALUES ('meanwhile')")
        other.close()
        assert (await conn.execute(count)).scalar() == 0
    async with db.read() as conn:
        assert (await conn.execute(count)).scalar() == 1


async def test_a_transaction_that_failed_or_ended_early_leaves_the_connection_clean(
    db: Database,
) -> None:
    async with db.engine.connect() as conn:
        with pytest.raises(OperationalError):
            async with conn.begin():
                await conn.execute(sa.text("SELECT nothing FROM nowhere"))
        with pytest.raises(LookupError):
            async with conn.begin():
                raise LookupError("given up before any statement")
        async with conn.begin():  # a BEGIN left over would fail here, nested
            await conn.execute(sa.insert(ITEMS).values(name="clean"))
        assert not conn.in_transaction()
    async with db.read() as conn:
        assert (await conn.execute(sa.select(ITEMS.c.name))).scalars().all() == ["clean"]


async def test_a_query_returns_every_row_and_its_columns(db: Database) -> None:
    async with db.write() as conn:
        await conn.execute(sa.insert(ITEMS), [{"name": f"n{i}"} for i in range(5)])
    async with db.read() as conn:
        result = await conn.execute(sa.select(ITEMS.c.id, ITEMS.c.name).order_by(ITEMS.c.id))
        assert list(result.keys()) == ["id", "name"]
        assert result.fetchone() == (1, "n0")
        assert result.fetchmany(2) == [(2, "n1"), (3, "n2")]
        assert result.fetchall() == [(4, "n3"), (5, "n4")]
        assert (await conn.execute(sa.select(ITEMS).where(ITEMS.c.id > 99))).first() is None


async def test_a_change_reports_its_rowcount_and_an_insert_its_rowid(db: Database) -> None:
    async with db.write() as conn:
        inserted = await conn.execute(sa.insert(ITEMS).values(name="x"))
        assert inserted.lastrowid == 1
        await conn.execute(sa.insert(ITEMS), [{"name": "y"}, {"name": "z"}])
        renamed = sa.update(ITEMS).where(ITEMS.c.id > 1).values(name=ITEMS.c.name + "!")
        changed = await conn.execute(renamed)
        assert changed.rowcount == 2
        gone = await conn.execute(sa.delete(ITEMS).where(ITEMS.c.id == 99))
        assert gone.rowcount == 0


async def test_insert_returning_gives_the_new_rows(db: Database) -> None:
    async with db.write() as conn:
        result = await conn.execute(sa.insert(ITEMS).values(name="r").returning(ITEMS.c.id))
        assert result.scalar_one() == 1


async def test_a_refused_statement_raises_sqlalchemy_errors_and_the_connection_goes_on(
    db: Database,
) -> None:
    async def insert(*names: str) -> None:
        async with db.write() as conn:
            for name in names:
                await conn.execute(sa.insert(ITEMS).values(name=name))

    async def query_nowhere() -> None:
        async with db.read() as conn:
            await conn.execute(sa.text("SELECT nothing FROM nowhere"))

    await insert("dup")
    with pytest.raises(IntegrityError):
        await insert("other", "dup")
    with pytest.raises(OperationalError):
        await query_nowhere()
    async with db.read() as conn:
        names = (await conn.execute(sa.select(ITEMS.c.name))).scalars().all()
    assert names == ["dup"]  # "other" was rolled back with its transaction


async def test_a_connection_returned_mid_transaction_is_rolled_back(
    db: Database, trips: Calls
) -> None:
    async with db.engine.connect() as conn:
        await conn.execute(sa.insert(ITEMS).values(name="uncommitted"))
        raw = (await conn.get_raw_connection()).driver_connection
        assert raw is not None
        assert raw._conn.in_transaction
    assert trips.mine().count("rollback") == 1
    async with db.read() as conn:
        assert (await conn.execute(sa.select(sa.func.count()).select_from(ITEMS))).scalar() == 0


async def test_a_rollback_outside_a_transaction_makes_no_trip(db: Database, trips: Calls) -> None:
    async with db.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        raw.dbapi_connection.rollback()  # the pool does this to each connection it takes back
    assert "rollback" not in trips.mine()


async def test_streamed_results_still_work(db: Database) -> None:
    async with db.write() as conn:
        await conn.execute(sa.insert(ITEMS), [{"name": f"s{i}"} for i in range(3)])
    async with db.read() as conn:
        stream = await conn.stream(sa.select(ITEMS.c.name).order_by(ITEMS.c.id))
        assert [row.name async for row in stream] == ["s0", "s1", "s2"]


async def test_a_statement_whose_caller_is_cancelled_is_interrupted_on_sqlites_thread(
    db: Database,
) -> None:
    endless = Endless()
    reading = asyncio.create_task(endless.run(db))
    await endless.wait_began()
    reading.cancel()
    try:
        # Left running, the statement would hold its thread, and the cancelled task waiting
        # for SQLAlchemy to close the connection behind it, forever.
        done, _ = await asyncio.wait([reading], timeout=5)
        assert done, "the cancelled read still waits for its statement"
        assert reading.cancelled()
    finally:
        endless.interrupt()
        await asyncio.wait([reading], timeout=5)
    async with db.read() as conn:
        assert await conn.scalar(sa.text("SELECT count(*) FROM items")) == 0
