"""SQLAlchemy's aiosqlite driver, with one trip to the connection's thread per statement.

aiosqlite runs every call on the connection's own thread. A trip there and back (wake the
thread, wake the event loop) costs tens of microseconds of CPU, the SQLite work of a short
statement a few. SQLAlchemy's adapter makes three or four trips per statement: open a cursor,
execute, fetch the rows, close. This cursor does all four in one call on that thread and keeps
the rows, as the stock cursor does too (it buffers every row unless server-side, and
server-side cursors are left as they are). A transaction's BEGIN rides along with its first
statement: SQLite does nothing at a deferred BEGIN, and a writer's BEGIN IMMEDIATE then
takes the database lock just before that statement, which is what it is for. And a
rollback outside any transaction, which pysqlite would ignore anyway, is answered without
the trip: the pool rolls back every connection it takes back, mostly after a commit.

A transaction begun `inline` makes no trip, whatever its length. A write's BEGIN IMMEDIATE is
tried on the calling thread, the event loop's, with the busy timeout at zero; only if another
connection holds the write lock does it go to the thread with the first statement, to wait
there (the busy timeout) as before.
The statements after it run on the calling thread: holding the write lock, they wait for no
lock (WAL readers never block a writer) and touch a few pages in the page cache, a few
microseconds each, less than the trip they spare. So does its COMMIT, which writes the
transaction's pages to the WAL without an fsync (synchronous=NORMAL); what could fsync is a
checkpoint, which SQLite runs in the commit that takes the WAL past 1,000 pages: the
connection's auto-checkpoint is turned off at its first inline commit, and Database runs
`checkpoint` on SQLite's thread every so many writes instead.

A read begun `inline` runs its deferred BEGIN, its statements and its COMMIT on the calling
thread as well: in WAL mode a reader waits for no writer and no PASSIVE checkpoint (what is
left: the WAL's recovery after another process died in a commit, a few milliseconds, and
another process holding the file in exclusive locking mode, which stops the writer too), and
the trips there and back, one per statement and one for the COMMIT, were half of a guest
GET's CPU.

The connection is opened with check_same_thread=False for that; the cursor's mutex, held
across each trip, keeps the two threads from ever using it at once. Transactions that may
touch many rows (pruning, a restaurant's cascade, the log poll's sweep) are not begun inline,
so that the event loop never waits for them.

A statement that runs inline needs no greenlet either. SQLAlchemy's async connection runs
each statement in a greenlet of its own, only so that the driver can await its trip: a spawn
(~7 us) and a switch per statement, a tenth of a guest update's service time with four
statements. The connection class of the writer and of the readers (store/database.py) asks
`runs_inline` first, which also sends a BEGIN still waiting if SQLite grants it at once, and
then runs the statement on the sync connection, outside any greenlet, where this cursor runs
it in place.

A statement on the connection's thread whose caller is cancelled is interrupted there
(sqlite3's interrupt, made to be called from another thread): cancelling a task does not stop
what it started on the thread, which would otherwise run to its end and only then let SQLAlchemy
close the connection, with the cancelled task waiting for that. The DBAPI object counts the
connections it opens, so that Database.close can end their threads (sqlite_threads).

It leans on internals of SQLAlchemy 2.1 (the adapter classes) and of aiosqlite (`_execute`,
`_conn`, `_connection`; sqlite_threads: `_thread`, `_tx`, `_running` and the worker's stop
sentinel), as SQLAlchemy's own adapter does: pyproject pins both ranges, and the tests of this
module and of Database.close pin the behaviour.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, cast

import aiosqlite
from sqlalchemy.connectors.asyncio import AsyncAdapt_dbapi_connection, AsyncIODBAPIConnection
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
    SQLiteDialect_aiosqlite,
)
from sqlalchemy.exc import MissingGreenlet
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import in_greenlet

from hoststand.store.sqlite_threads import ConnectionThreads

# A deferred BEGIN (a read's, and any transaction's by default: OneTripDialect): it takes no
# lock; SQLite takes the snapshot at the first statement.
DEFERRED_BEGIN = "BEGIN"


@dataclass(frozen=True, slots=True)
class _Outcome:
    """What a statement left: everything a DBAPI cursor is asked for after execute."""

    description: Any = None
    rows: list[Any] = field(default_factory=list)
    rowcount: int = -1
    lastrowid: int | None = None


def _execute(
    connection: aiosqlite.Connection,
    begin: str | None,
    operation: str,
    parameters: Sequence[Any] | None,
) -> _Outcome:
    """Run one statement to the end, after `begin` if any; on the connection's thread."""
    if begin is not None:
        connection._conn.execute(begin)
    cursor = connection._conn.cursor()
    try:
        if parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        rows = cursor.fetchall() if cursor.description else []
        return _Outcome(cursor.description, rows, cursor.rowcount, cursor.lastrowid)
    finally:
        cursor.close()


def _begin_without_waiting(connection: aiosqlite.Connection, begin: str, timeout: int) -> bool:
    """Run `begin` if SQLite grants its lock at once; False, and no transaction, if not.

    `timeout` is the connection's busy timeout (ms), restored afterwards.
    """
    raw = connection._conn
    raw.execute("PRAGMA busy_timeout=0")
    try:
        raw.execute(begin)
    except sqlite3.OperationalError as exc:
        if exc.sqlite_errorcode & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            return False
        raise
    finally:
        raw.execute(f"PRAGMA busy_timeout={timeout}")
    return True


def _begin_here(connection: aiosqlite.Connection, begin: str, timeout: int) -> bool:
    """Send `begin` on the calling thread if it need not wait; False, and no transaction, if not.

    A deferred BEGIN (a read's) takes no lock: it is sent as it is. A write's BEGIN IMMEDIATE
    takes the write lock, which another connection may hold: it is tried without waiting.
    """
    if begin == DEFERRED_BEGIN:
        connection._conn.execute(begin)
        return True
    return _begin_without_waiting(connection, begin, timeout)


def _executemany(
    connection: aiosqlite.Connection,
    begin: str | None,
    operation: str,
    parameters: Sequence[Sequence[Any]],
) -> _Outcome:
    """Run one statement per set of parameters, after `begin` if any; on the connection's thread."""
    if begin is not None:
        connection._conn.execute(begin)
    cursor = connection._conn.cursor()
    try:
        cursor.executemany(operation, parameters)
        return _Outcome(None, [], cursor.rowcount, cursor.lastrowid)
    finally:
        cursor.close()


def _interrupt(connection: aiosqlite.Connection) -> None:
    """End the statement running on the connection's thread, if any (SQLite: a no-op if none).

    A statement that waits for the database lock (the busy timeout) runs on regardless.
    """
    raw: sqlite3.Connection | None = connection._connection
    if raw is not None:
        with contextlib.suppress(sqlite3.ProgrammingError):  # closed on its thread meanwhile
            raw.interrupt()


def _checkpoint(connection: aiosqlite.Connection) -> None:
    connection._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()


# _execute or _executemany: what a cursor runs, here or on the connection's thread.
_Work = Callable[[aiosqlite.Connection, str | None, str, Any], _Outcome]


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A cursor whose execute opens, runs, fetches and closes on the thread in one trip."""

    __slots__ = ("_arraysize", "_outcome")

    _awaitable_cursor_close = False

    _adapt_connection: OneTripConnection

    def __init__(self, adapt_connection: AsyncAdapt_dbapi_connection) -> None:
        # Not super().__init__(): it opens an aiosqlite cursor, a trip of its own.
        assert isinstance(adapt_connection, OneTripConnection)
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._outcome = _Outcome()
        self._arraysize = 1

    @property
    def _aiosqlite(self) -> aiosqlite.Connection:
        return cast(aiosqlite.Connection, self._connection)

    @property
    def description(self) -> Any:
        """The columns of the last statement's rows, None if it returned none."""
        return self._outcome.description

    @property
    def rowcount(self) -> int:
        """Rows the last statement changed (-1 for a query)."""
        return self._outcome.rowcount

    @property
    def lastrowid(self) -> Any:
        """The rowid of the last inserted row."""
        return self._outcome.lastrowid

    @property
    def arraysize(self) -> int:
        """Rows fetchmany returns by default."""
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    def _begin_inline(self) -> str | None:
        """Take the BEGIN still to send; send it here if it need not wait (inline only)."""
        adapt = self._adapt_connection
        begin = adapt.take_begin()
        if begin is None or not adapt.inline:
            return begin
        return None if _begin_here(self._aiosqlite, begin, adapt.busy_timeout()) else begin

    def execute(self, operation: Any, parameters: Any = None) -> None:
        """Run one statement: in place when the writer's execute found it can run inline."""
        if in_greenlet():
            super().execute(operation, parameters)
        else:
            self._run_here(_execute, operation, parameters)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> None:
        """Run one statement per set of parameters: see execute."""
        if in_greenlet():
            super().executemany(operation, seq_of_parameters)
        else:
            self._run_here(_executemany, operation, seq_of_parameters)

    def _run_here(self, work: _Work, operation: Any, parameters: Any) -> None:
        adapt = self._adapt_connection
        if not adapt.runs_inline():  # as the stock cursor would, outside a greenlet
            raise MissingGreenlet("a statement that must wait was run outside a greenlet")
        try:
            self._outcome = work(self._aiosqlite, None, operation, parameters)
        except Exception as error:
            adapt._handle_exception(error)
        self._rows = collections.deque(self._outcome.rows)

    async def _execute_async(self, operation: Any, parameters: Any) -> None:
        await self._run(_execute, operation, parameters)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> None:
        await self._run(_executemany, operation, seq_of_parameters)

    async def _run(self, work: _Work, operation: Any, parameters: Any) -> None:
        """`work` here, inline, or on the connection's thread with the BEGIN still to send."""
        adapt = self._adapt_connection
        async with adapt._execute_mutex:
            begin = self._begin_inline()
            if begin is None and adapt.inline:
                self._outcome = work(self._aiosqlite, None, operation, parameters)
            else:
                self._outcome = await self._on_thread(work, begin, operation, parameters)
            self._rows = collections.deque(self._outcome.rows)

    async def _on_thread(
        self, work: _Work, begin: str | None, operation: Any, parameters: Any
    ) -> _Outcome:
        """`work` on the connection's thread; interrupted there if its caller is cancelled.

        Left alone, a cancelled statement runs on to its end, holding the thread: SQLAlchemy
        closes the connection behind it, and the cancelled task (each task a shutdown
        cancels) waits for that, or, dropped, the thread calls back into the loop late.
        """
        try:
            outcome: _Outcome = await self._connection._execute(
                work, self._connection, begin, operation, parameters
            )
        except asyncio.CancelledError:
            _interrupt(self._aiosqlite)
            raise
        return outcome

    def setinputsizes(self, *inputsizes: Any) -> None:
        """Nothing to do: pysqlite ignores input sizes too."""

    def close(self) -> None:
        """Drop unread rows; the SQLite cursor was closed on the thread already."""
        self._rows.clear()


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    """The stock adapted connection with the one-trip cursor and a BEGIN that rides along.

    Commit and rollback make no trip when there is nothing to end. In an `inline`
    transaction, the statements after the first run on the event loop's thread, no trip.
    """

    __slots__ = ("_autocheckpoint_off", "_begin", "_busy_timeout", "inline")

    _cursor_cls = OneTripCursor

    def __init__(self, dbapi: Any, connection: AsyncIODBAPIConnection) -> None:
        super().__init__(dbapi, connection)
        self._begin: str | None = None
        self._busy_timeout: int | None = None
        self._autocheckpoint_off = False
        self.inline = False

    def begin(self, statement: str = "BEGIN", *, inline: bool = False) -> None:
        """Begin a transaction with `statement` when the next statement runs.

        `inline`: the statements run on the calling thread (see the module); a write's first
        one only if the write lock is free.
        """
        self._begin = statement
        self.inline = inline

    def runs_inline(self) -> bool:
        """Whether a statement runs on the calling thread now: an inline read, or an inline
        write holding the lock.

        A BEGIN still to send is sent here, if SQLite grants its lock at once (_begin_here).
        """
        connection = cast(aiosqlite.Connection, self._connection)
        if not self.inline or self._execute_mutex.locked() or connection._connection is None:
            return False
        if self._begin is not None:
            if not _begin_here(connection, self._begin, self.busy_timeout()):
                return False
            self._begin = None
        return True

    def busy_timeout(self) -> int:
        """The connection's busy timeout (ms), read once.

        Only a BEGIN tried inline changes it, and it puts it back (_begin_without_waiting).
        """
        if self._busy_timeout is None:
            (self._busy_timeout,) = self._connection._conn.execute("PRAGMA busy_timeout").fetchone()
        return self._busy_timeout

    def take_begin(self) -> str | None:
        """The BEGIN still to send, once: the cursor sends it ahead of its statement."""
        begin, self._begin = self._begin, None
        return begin

    def commits_inline(self) -> bool:
        """Whether commit runs on the calling thread: an inline transaction, or nothing to
        commit."""
        return self._begin is not None or (self.inline and not self._execute_mutex.locked())

    def commit(self) -> None:
        """Commit, unless the transaction never reached SQLite (no statement ran).

        An inline transaction commits on the calling thread too, never checkpointing: see
        checkpoint.
        """
        inline, self.inline = self.inline, False
        if self.take_begin() is not None:
            return
        if not inline or self._execute_mutex.locked():
            super().commit()
            return
        try:
            raw = self._connection._conn
            if not self._autocheckpoint_off:
                raw.execute("PRAGMA wal_autocheckpoint=0")
                self._autocheckpoint_off = True
            raw.commit()
        except Exception as error:
            self._handle_exception(error)

    def data_version(self) -> int | None:
        """SQLite's `PRAGMA data_version`, on the calling thread: it moves when another
        connection commits. None while this connection has a statement on its own thread.

        For a caller that holds what keeps this connection's transactions out (the writer's
        lock): outside a transaction the pragma reads a counter in memory, no lock.
        """
        raw: sqlite3.Connection | None = self._connection._connection
        if raw is None or self._execute_mutex.locked() or raw.in_transaction:
            return None
        (version,) = raw.execute("PRAGMA data_version").fetchone()
        return int(version)

    async def checkpoint(self) -> None:
        """Copy the WAL back into the database file, on this connection's thread.

        PASSIVE: it waits for no reader and no writer. A commit would otherwise do it now and
        then (SQLite's auto-checkpoint), with an fsync, on whichever thread commits.
        """
        async with self._execute_mutex:
            await self._connection._execute(_checkpoint, self._connection)

    @property
    def in_transaction(self) -> bool:
        """Whether SQLite holds a transaction open, or a BEGIN is still to be sent."""
        raw: sqlite3.Connection | None = self._connection._connection
        return self._begin is not None or (raw is not None and raw.in_transaction)

    def rollback(self) -> None:
        """Roll back the transaction, if there is one: a trip to the thread only then."""
        self.take_begin()
        self.inline = False
        raw: sqlite3.Connection | None = self._connection._connection
        # in_transaction is a plain read of SQLite's autocommit flag, safe from this thread.
        if raw is not None and raw.in_transaction:
            super().rollback()


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The DBAPI module SQLAlchemy's aiosqlite dialect is given: connects OneTripConnections.

    One per engine: `threads` are those of the connections it opened (sqlite_threads).
    """

    def __init__(self, aiosqlite: ModuleType, sqlite: ModuleType) -> None:
        super().__init__(aiosqlite, sqlite)
        self.threads = ConnectionThreads()

    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        """Connect as the stock adapter does, then wrap the same aiosqlite connection."""
        stock = super().connect(*arg, **kw)
        self.threads.add(cast(aiosqlite.Connection, stock._connection))
        return OneTripConnection(self, stock._connection)


def dbapi() -> OneTripDBAPI:
    """The module to pass as `create_async_engine(..., module=...)` for sqlite+aiosqlite."""
    return OneTripDBAPI(aiosqlite, sqlite3)


class OneTripDialect(SQLiteDialect_aiosqlite):
    """SQLAlchemy's aiosqlite dialect, which has the connection send BEGIN (see begin).

    SQLAlchemy tells the dialect that a transaction begins (do_begin); the stock dialect does
    nothing there and leaves it to pysqlite, whose deferred BEGIN skips SELECTs and so breaks
    snapshot reads. Doing it here, not in an engine `begin` listener: any engine listener has
    Core dispatch its (empty) execution events on every statement, 8% of the instructions of a
    guest update.
    """

    supports_statement_cache = True  # compiles as its parent does; without it, no cache at all

    def do_begin(self, dbapi_connection: PoolProxiedConnection) -> None:
        """A plain BEGIN, with the first statement; Database.write makes a writer's IMMEDIATE."""
        connection = dbapi_connection.dbapi_connection
        assert isinstance(connection, OneTripConnection)
        connection.begin(DEFERRED_BEGIN)


# The URL that selects OneTripDialect (Database gives it to the engine for sqlite+aiosqlite).
DRIVERNAME = "sqlite+hoststand_aiosqlite"
registry.register("sqlite.hoststand_aiosqlite", __name__, "OneTripDialect")
