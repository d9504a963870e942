"""The threads of SQLite's connections: each one ended, and waited for, when the database closes.

aiosqlite runs a connection's statements on a thread of its own, which hands each result back
to the event loop (call_soon_threadsafe). SQLAlchemy's pool closes, at dispose, only the
connections checked in; a connection still checked out (by work that was cancelled, or
dropped and left to the garbage collector) keeps its thread, which runs what it was given to
the end and then calls back into the loop. Once the loop has closed, that call raises in the
thread ("RuntimeError: Event loop is closed").

So the driver counts here every connection it opens, and Database.close stops them all: each
thread closes its SQLite connection after the work queued before, then exits; close waits for
the threads, for a bounded time. Nothing then remains to call into the loop: a connection so
stopped counts as closed, and a later close of it (its holder's, or the garbage collector's)
queues nothing that runs. A statement whose caller was cancelled was interrupted (sqlite_driver);
one that waits for SQLite's lock (the busy timeout) cannot be interrupted: the bound is for it.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
import threading
import time

import aiosqlite
import aiosqlite.core


class ConnectionThreads:
    """The aiosqlite connections one driver opened whose threads may still run."""

    def __init__(self) -> None:
        self._connections: list[aiosqlite.Connection] = []

    def add(self, connection: aiosqlite.Connection) -> None:
        """Count a connection just opened; forget those whose thread has ended."""
        self._connections = [c for c in self._connections if c._thread.is_alive()]
        self._connections.append(connection)

    async def stop(self, timeout: float) -> int:
        """Have every thread close its connection and exit; wait `timeout` seconds at most.

        Returns how many threads still run then.
        """
        threads: list[threading.Thread] = []
        for connection in self._connections:
            if connection._thread.is_alive():
                _stop(connection)
                threads.append(connection._thread)
        self._connections = []
        if not threads:
            return 0
        # Joined off the loop: a thread still hands its last results to the loop meanwhile.
        return await asyncio.to_thread(_join, threads, timeout)


def _stop(connection: aiosqlite.Connection) -> None:
    """Close the connection on its thread, after the work queued there, and end the thread.

    As aiosqlite's stop(), with two differences. No future for the thread to resolve: it may
    get there after the loop has closed (a statement that outlived the bound, a thread starved
    of CPU). And the connection counts as closed at once, here: its holder's close() later
    returns at once, where aiosqlite's would queue a second stop behind the first, which ends
    the thread, and wait for it forever; work queued later is refused ("Connection closed").
    """
    raw, connection._connection = connection._connection, None
    connection._running = False
    connection._tx.put_nowait((None, functools.partial(_close_and_end, raw)))


def _close_and_end(raw: sqlite3.Connection | None) -> object:
    """On the connection's thread: close the SQLite connection; the thread then ends."""
    if raw is not None:
        raw.close()
    return aiosqlite.core._STOP_RUNNING_SENTINEL


def _join(threads: list[threading.Thread], timeout: float) -> int:
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return sum(thread.is_alive() for thread in threads)
