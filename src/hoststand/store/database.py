"""The connection to the database: engine set-up per dialect, and read and write transactions."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import orjson
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncTransaction,
    create_async_engine,
)
from sqlalchemy.util import asbool

from hoststand import background
from hoststand.store import postgres_driver, sqlite_driver

SQLITE_BUSY_TIMEOUT_MS = 30_000
# A guest update appends 5-10 pages to the WAL: about as often as SQLite's own auto-checkpoint
# (1,000 pages).
CHECKPOINT_EVERY_WRITES = 100
# How long close waits for the write in progress, and then for SQLite's threads: at shutdown,
# the work that ran there was cancelled and its statements interrupted (sqlite_driver), so it
# takes milliseconds; only a statement waiting for the lock of another process takes longer.
CLOSE_TIMEOUT_SECONDS = 2.0

log = logging.getLogger(__name__)

# Database.change_mark: writer connections opened, write transactions ended, data_version.
ChangeMark = tuple[int, int, int]

# A read's transaction on PostgreSQL: one snapshot, and no writes.
_SNAPSHOT_READ = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
# A write's, whatever the server's default_transaction_isolation: the writes' locking (store/
# restaurants.py) counts on READ COMMITTED re-reading a row it waited for, where REPEATABLE READ
# or SERIALIZABLE would refuse the second writer of a restaurant with a serialization failure.
_LOCKING_WRITE = {"isolation_level": "READ COMMITTED"}
# A read of one statement on PostgreSQL: no transaction around it (Database.read_one_statement).
_NO_TRANSACTION = {"isolation_level": "AUTOCOMMIT"}

T = TypeVar("T")


class Database:
    """One engine and the two kinds of transaction the services use."""

    def __init__(
        self,
        url: str,
        *,
        schema: str | None = None,
        pool_size: int = 10,
        checkpoint_every: int = CHECKPOINT_EVERY_WRITES,
    ) -> None:
        self.url = make_url(url)
        self.dialect = self.url.get_backend_name()
        self.engine: AsyncEngine = _create_engine(url, schema=schema, pool_size=pool_size)
        # SQLite has one writer at a time; queueing writers here spares threads busy-waiting.
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
        # ...and they take turns on one connection, kept open: a checkout and a check-in per
        # write cost more than a statement, and the check-in's clean-up ran under the lock.
        self._writer: AsyncConnection | None = None
        # Writes since the writer's last checkpoint (_checkpoint_when_due).
        self._checkpoint_every = checkpoint_every
        self._writes_since_checkpoint = 0
        # The checkpoint that runs beside the writes, if one does (_checkpoint_beside_writes),
        # and what keeps two copies from running at once: the second would copy nothing
        # (SQLite answers it busy). Taken after the write lock by whoever takes both.
        self._checkpointing: asyncio.Task[None] | None = None
        self._copying = asyncio.Lock()
        # What change_mark is made of: this process's write transactions ended, and the
        # writer's connections opened (each has its own data_version).
        self._writes_ended = 0
        self._writers_opened = 0

    @property
    def is_sqlite(self) -> bool:
        """True for the embedded SQLite database."""
        return self.dialect == "sqlite"

    @contextlib.asynccontextmanager
    async def write(self, *, bulk: bool = False) -> AsyncIterator[AsyncConnection]:
        """A write transaction: SQLite takes the database lock at BEGIN (BEGIN IMMEDIATE).

        SQLite's writers take turns, in this process on one connection kept for them; their
        BEGIN IMMEDIATE reaches SQLite with the transaction's first statement, and their
        statements run on the event loop's thread, once the lock is held (sqlite_driver).
        `bulk` is for a transaction that may touch many rows (pruning, a cascade): all of its
        statements run on SQLite's thread, so that the event loop never waits for them.
        """
        if self._write_lock is None:
            async with self._transaction(_LOCKING_WRITE) as conn:
                yield conn
            return
        async with self._write_lock:
            # A refused or cancelled write is rolled back by begin(); a connection SQLAlchemy
            # invalidated (a cancelled rollback, a disconnect) reconnects at the next begin().
            conn = self._writer or await self._connect_writer()
            try:
                async with conn.begin():
                    # Sent with the first statement, on the loop's thread if the lock is free.
                    _driver(conn).begin("BEGIN IMMEDIATE", inline=not bulk)
                    yield conn
            finally:
                self._writes_ended += 1  # committed or not, it may have reached the file
            await self._checkpoint_when_due(conn, bulk=bulk)

    async def change_mark(self) -> ChangeMark | None:
        """A mark that is the same as an earlier one only if nothing was committed in between.

        SQLite only, where it is cheap: this process writes through one connection and counts
        its transactions, and SQLite counts the other connections' commits (the admin
        commands', another process's) in `PRAGMA data_version`, read on the event loop's
        thread, no trip. None on PostgreSQL, and whenever it cannot be read without waiting:
        then anything may have changed.
        """
        if self._write_lock is None or self._write_lock.locked():
            return None
        async with self._write_lock:
            writer = self._writer or await self._connect_writer()
            if writer.sync_connection is None or writer.invalidated:
                return None
            version = _driver(writer).data_version()
        if version is None:
            return None
        return self._writers_opened, self._writes_ended, version

    async def _checkpoint_when_due(self, conn: AsyncConnection, *, bulk: bool) -> None:
        """Copy the WAL back into the database every so many writes, and after a bulk one.

        The writer commits on the event loop's thread with SQLite's auto-checkpoint off
        (sqlite_driver), so that no commit fsyncs there. A checkpoint that falls due runs in a
        task of its own, most of it while the writes go on (_checkpoint_beside_writes). Only
        when one falls due before the previous one has ended (writes that never let it run, or
        a copy slower than so many writes) does the writer run it itself, on SQLite's thread
        and under the write lock, as SQLite's auto-checkpoint would, once the copy in progress
        has ended: the WAL never grows without bound.
        """
        self._writes_since_checkpoint += 1
        if not bulk and self._writes_since_checkpoint < self._checkpoint_every:
            return
        self._writes_since_checkpoint = 0
        if self._checkpointing is None or self._checkpointing.done():
            self._checkpointing = asyncio.create_task(
                self._checkpoint_beside_writes(), name="wal-checkpoint"
            )
            return
        try:
            async with self._copying:
                await _driver(conn).checkpoint()
        except Exception:  # the write is committed; the next checkpoint copies what this did not
            log.warning("WAL checkpoint failed", exc_info=True)

    async def _checkpoint_beside_writes(self) -> None:
        """Copy the WAL back while the writes go on, then what they added, under the write lock.

        A PASSIVE checkpoint waits for no writer: on a connection of its own (and its thread)
        it copies what was committed when it began, while the writer appends more. What was
        appended meanwhile, a few frames, it copies under the write lock, so that the copy is
        complete and the next write starts the WAL over (a WAL never caught up grows with every
        write). Writes wait for those few frames, where they waited for the whole copy.
        """
        assert self._write_lock is not None
        try:
            async with self.engine.connect() as conn:
                driver = _driver(conn)
                ended = self._writes_ended
                async with self._copying:
                    await driver.checkpoint()
                if self._writes_ended != ended:  # a write may have committed since it began
                    async with self._write_lock, self._copying:
                        await driver.checkpoint()
        except Exception:  # the writes are committed; the next checkpoint copies what this did not
            log.warning("WAL checkpoint failed", exc_info=True)

    async def checkpointed(self) -> None:
        """Return once the checkpoint running beside the writes, if any, has ended."""
        if self._checkpointing is not None:
            await asyncio.shield(self._checkpointing)

    async def _connect_writer(self) -> AsyncConnection:
        self._writer = await _InlineConnection(self.engine)
        self._writers_opened += 1
        return self._writer

    @contextlib.asynccontextmanager
    async def read(self, *, bulk: bool = False) -> AsyncIterator[AsyncConnection]:
        """A read-only transaction that sees one consistent snapshot of the database.

        On SQLite it runs on the event loop's thread, BEGIN, statements and COMMIT, and gives
        its connection back to the pool there: in WAL mode a reader waits for no writer
        (sqlite_driver). `bulk` is for a read that may return many rows (the log poll's
        sweep): its statements run on SQLite's thread, so that the event loop never waits for
        them.
        """
        if not self.is_sqlite:
            # One BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY, no SET TRANSACTION.
            async with self._transaction(_SNAPSHOT_READ) as conn:
                yield conn
            return
        conn = _InlineConnection(self.engine)
        await conn.start()  # the pool's checkout
        try:
            async with conn.begin():
                _driver(conn).begin(sqlite_driver.DEFERRED_BEGIN, inline=not bulk)
                yield conn
        finally:
            if not conn.close_inline():
                # Rolls back what was not committed; shielded, as AsyncConnection's own exit is.
                await asyncio.shield(conn.close())

    async def read_one_statement(self, query: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """`query(conn)`, a read that runs exactly one statement: one round trip on PostgreSQL.

        A read transaction on PostgreSQL is three round trips (BEGIN, the statement, COMMIT).
        One statement needs none around it: it sees one snapshot of the database at any
        isolation level, so here it runs alone, in autocommit. A second statement on the
        connection raises (it would see another snapshot). The statement is also what finds a
        pooled connection that the server closed, as a transaction's BEGIN does (Database._begin):
        SQLAlchemy invalidates it and the older pooled ones, and `query` runs once more on a new
        connection; a read changes nothing, so nothing is done twice.

        On SQLite it is a read(), which costs no trip (its statements run inline) and may run
        more than one statement; what holds it to one is PostgreSQL's snapshot.
        """
        if self.is_sqlite:
            async with self.read() as conn:
                return await query(conn)
        return await _once_more_if_closed(lambda: self._run_alone(query))

    async def _run_alone(self, query: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        conn = await _OneStatement(self.engine)  # the pool's checkout
        try:
            await conn.execution_options(**_NO_TRANSACTION)
            return await query(conn)
        finally:
            # Nothing to roll back; shielded, as AsyncConnection's own exit is.
            await asyncio.shield(conn.close())

    @contextlib.asynccontextmanager
    async def _transaction(
        self, options: dict[str, Any] | None = None
    ) -> AsyncIterator[AsyncConnection]:
        """A pooled connection in a transaction, committed at the end unless the body raised."""
        conn = await self._begin(options or {})
        try:
            yield conn
            await conn.commit()
        finally:
            # Rolls back what was not committed; shielded, as AsyncConnection's own exit is.
            await asyncio.shield(conn.close())

    async def _begin(self, options: dict[str, Any]) -> AsyncConnection:
        """A connection whose transaction has begun: on PostgreSQL, BEGIN has been answered.

        The BEGIN checks the pooled connection (postgres_driver): if the server had closed it,
        SQLAlchemy invalidated it and the older pooled ones, and a second try connects afresh.
        Nothing of the transaction ran before its BEGIN, so nothing is done twice.
        """
        return await _once_more_if_closed(lambda: self._connect_and_begin(options))

    async def _connect_and_begin(self, options: dict[str, Any]) -> AsyncConnection:
        conn = await self.engine.connect()
        try:
            if options:
                await conn.execution_options(**options)
            await conn.begin()
        except BaseException:
            await asyncio.shield(conn.close())
            raise
        return conn

    async def ping(self) -> None:
        """Raise if the database cannot be reached."""
        async with self.engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))

    async def close(self, timeout: float = CLOSE_TIMEOUT_SECONDS) -> None:
        """Close the writer's connection and every pooled one; on SQLite, end their threads.

        Waits for the write in progress, if any, and then for every SQLite connection's thread
        to end (sqlite_threads), also those of connections still checked out: `timeout`
        seconds at most for each, after which what still runs is left to end by itself.
        """
        if self._write_lock is not None:
            if self._checkpointing is not None:
                await background.cancel_and_wait([self._checkpointing], "WAL checkpoint", timeout)
            await self._close_writer(timeout)
        await self.engine.dispose()
        dbapi = self.engine.dialect.loaded_dbapi
        if isinstance(dbapi, sqlite_driver.OneTripDBAPI):
            running = await dbapi.threads.stop(timeout)
            if running:
                log.warning(
                    "%d SQLite connection(s) still busy %.1f s after the database closed: "
                    "a statement waiting for the database lock (another process writing?)",
                    running,
                    timeout,
                )

    async def _close_writer(self, timeout: float) -> None:
        """Close the writer's connection, after the write in progress (its thread's, if late)."""
        assert self._write_lock is not None
        try:
            await asyncio.wait_for(self._write_lock.acquire(), timeout)
        except TimeoutError:
            log.warning("a write still ran %.1f s after the database began to close", timeout)
            return
        try:
            writer, self._writer = self._writer, None
            if writer is not None:
                await writer.close()
        finally:
            self._write_lock.release()


async def _once_more_if_closed(attempt: Callable[[], Awaitable[T]]) -> T:
    """`attempt()`, and once more if its pooled connection was one the server had closed.

    SQLAlchemy then invalidated that connection and the older pooled ones, so the second
    attempt connects afresh. For what has done nothing before it fails so: a BEGIN, a read.
    """
    try:
        return await attempt()
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
    log.info("a pooled database connection was closed by the server; using a new one")
    return await attempt()


def _driver(conn: AsyncConnection) -> sqlite_driver.OneTripConnection:
    """The SQLite driver's connection under a connection in a transaction."""
    driver = conn.sync_connection.connection.dbapi_connection if conn.sync_connection else None
    assert isinstance(driver, sqlite_driver.OneTripConnection)
    return driver


class _InlineConnection(AsyncConnection):
    """SQLite's writer, and its readers: a statement that runs inline runs without a greenlet
    (sqlite_driver).

    The stock execute spawns a greenlet per statement so that the driver can await; an inline
    statement never awaits. Only `execute` (and `scalar`, which calls it) takes this path, and
    `begin`, whose transaction begins and commits the same way (_InlineTransaction).
    """

    def begin(self) -> AsyncTransaction:
        """A transaction that begins and commits without a greenlet where nothing can wait."""
        return _InlineTransaction(self)

    async def execute(
        self, statement: Any, parameters: Any = None, *, execution_options: Any = None
    ) -> Any:
        sync = self.sync_connection
        if sync is not None and sync.in_transaction():
            driver = sync.connection.dbapi_connection
            if isinstance(driver, sqlite_driver.OneTripConnection) and driver.runs_inline():
                return sync.execute(statement, parameters, execution_options=execution_options)
        return await super().execute(statement, parameters, execution_options=execution_options)

    def close_inline(self) -> bool:
        """Give the connection back to the pool here, if nothing is left to roll back.

        The stock close runs in a greenlet, in case the pool's rollback must go to SQLite's
        thread: with no transaction left, that rollback makes no trip (sqlite_driver), so
        nothing waits. False if that was not so and the connection is still open.
        """
        sync = self.sync_connection
        if sync is None or sync.invalidated or sync.in_transaction():
            return False
        driver = sync.connection.dbapi_connection
        if not isinstance(driver, sqlite_driver.OneTripConnection) or driver.in_transaction:
            return False
        sync.close()
        return True


class _OneStatement(AsyncConnection):
    """The connection of Database.read_one_statement on PostgreSQL: a second statement raises.

    Outside a transaction each statement sees its own snapshot: two could see a change between
    them that neither would alone.
    """

    statements = 0

    async def execute(
        self, statement: Any, parameters: Any = None, *, execution_options: Any = None
    ) -> Any:
        if self.statements:
            raise RuntimeError("read_one_statement ran a second statement; use read() instead")
        self.statements += 1
        return await super().execute(statement, parameters, execution_options=execution_options)


class _InlineTransaction(AsyncTransaction):
    """The writer's transaction, and a reader's: no greenlet for a BEGIN or a COMMIT that
    cannot wait.

    SQLAlchemy's begin and commit each spawn a greenlet, in case the driver awaits. Here the
    BEGIN only marks the connection (OneTripDialect.do_begin: it goes out with the first
    statement), and an inline transaction's COMMIT runs on the calling thread
    (OneTripConnection): neither waits. The two greenlets were 0.9% of a guest update's
    instructions on the real server (6% in-process through ASGI), and each took a fresh frame
    stack (an mmap). A connection that must reconnect, a COMMIT that must go to SQLite's thread
    (a bulk write or read), and every rollback take the stock path.
    """

    __slots__ = ()

    async def start(self, is_ctxmanager: bool = False) -> AsyncTransaction:
        sync = self.connection.sync_connection
        if sync is None or sync.invalidated or self.nested:
            return await super().start(is_ctxmanager)
        self.sync_transaction = self._assign_proxied(sync.begin())
        if is_ctxmanager:
            self.sync_transaction.__enter__()
        return self

    async def __aexit__(self, type_: Any, value: Any, traceback: Any) -> None:
        transaction = self.sync_transaction
        if type_ is None and transaction is not None and _driver_commits_inline(transaction):
            transaction.__exit__(None, None, None)
            return
        await super().__aexit__(type_, value, traceback)


def _driver_commits_inline(transaction: sa.engine.Transaction) -> bool:
    connection = transaction.connection
    if not transaction.is_active or connection.invalidated:
        return False
    driver = connection.connection.dbapi_connection
    return isinstance(driver, sqlite_driver.OneTripConnection) and driver.commits_inline()


def _create_engine(url: str, *, schema: str | None, pool_size: int) -> AsyncEngine:
    parsed = make_url(url)
    # JSON columns (a restaurant's turn times, an event's actor, a guest's tags) are read or
    # written on every write: orjson, as everywhere else, rather than the json module.
    kwargs: dict[str, Any] = {"json_serializer": _json_text, "json_deserializer": orjson.loads}
    in_memory = parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:")
    if not in_memory:
        # SQLite files too: an aiosqlite connection is a thread and a connect costs six trips
        # to it; SQLAlchemy's default pool (5) opened and closed them again under bursts of reads.
        kwargs.update(pool_size=pool_size, max_overflow=pool_size)
    if parsed.get_backend_name() == "postgresql":
        connect_args: dict[str, Any] = {}
        if schema:
            connect_args["server_settings"] = {"search_path": f"{schema},public"}
        if "direct_tls" in parsed.query:
            # A URL's query reaches asyncpg as text, and asyncpg tests direct_tls for truth:
            # "false" would turn direct TLS on. Settings checked that asbool reads it (config.py).
            connect_args["direct_tls"] = asbool(parsed.query["direct_tls"])
            parsed = parsed.difference_update_query(["direct_tls"])
        # No pool_pre_ping: a transaction's BEGIN checks its connection (postgres_driver).
        kwargs["connect_args"] = connect_args
        if parsed.drivername == "postgresql+asyncpg":
            parsed = parsed.set(drivername=postgres_driver.DRIVERNAME)
    if parsed.get_backend_name() == "sqlite":
        parsed = parsed.set(drivername=sqlite_driver.DRIVERNAME)
        kwargs["module"] = sqlite_driver.dbapi()
        # The writer's statements run on the event loop's thread, a BEGIN that must wait and a
        # checkpoint on the connection's own (sqlite_driver); never two at once.
        kwargs["connect_args"] = {"check_same_thread": False}
    engine = create_async_engine(parsed, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        _configure_sqlite(engine)
    return engine


def _json_text(value: Any) -> str:
    return orjson.dumps(value).decode()


def _configure_sqlite(engine: AsyncEngine) -> None:
    """WAL, foreign keys, and transactions that begin when we say (OneTripDialect.do_begin)."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling defers BEGIN and skips it for SELECTs, which
        # would break snapshot reads; the driver sends BEGIN itself (OneTripDialect.do_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()
