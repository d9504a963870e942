"""A SQLite statement that runs until it is interrupted, and that tells when it has begun."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading

import aiosqlite
import sqlalchemy as sa

from hoststand.store.database import Database

# Counts forever; began() runs once, on the connection's thread, as SQLite starts on it.
ENDLESS = sa.text(
    "WITH RECURSIVE n(x) AS (SELECT began() UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n"
)


class Endless:
    """ENDLESS, run in a read of a Database; `began` is set once SQLite runs it."""

    def __init__(self) -> None:
        self.began = threading.Event()
        self._sqlite: sqlite3.Connection | None = None

    async def run(self, db: Database) -> None:
        """Run the statement in a bulk read, on SQLite's thread (until it is interrupted)."""
        async with db.read(bulk=True) as conn:
            connection = (await conn.get_raw_connection()).driver_connection
            assert isinstance(connection, aiosqlite.Connection)
            self._sqlite = connection._conn
            self._sqlite.create_function("began", 0, self._began)
            await conn.execute(ENDLESS)

    async def wait_began(self, timeout: float = 5.0) -> None:
        """Return once SQLite runs the statement; fail after `timeout` seconds."""
        began = await asyncio.to_thread(self.began.wait, timeout)
        assert began, f"the endless statement did not begin within {timeout}s"

    def interrupt(self) -> None:
        """End the statement, if it still runs: a test's clean-up when the code did not."""
        if self._sqlite is not None:
            with contextlib.suppress(sqlite3.ProgrammingError):
                self._sqlite.interrupt()

    def _began(self) -> int:
        self.began.set()
        return 1
