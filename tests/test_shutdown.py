"""A server's stop leaves none of its work running: no task, no SQLite connection's thread.

aiosqlite's threads hand their results back to the server's event loop. One still running when
that loop closes raises "RuntimeError: Event loop is closed" in its thread, once its statement
ends (seen in CI as PytestUnhandledThreadExceptionWarning, which pyproject now makes an error).
"""

from __future__ import annotations

import threading

import pytest

from hoststand.runtime import Runtime
from tests.conftest import Backend
from tests.servers import ThreadServer
from tests.store.endless import Endless


async def _spawn_in_hub(runtime: Runtime, endless: Endless) -> None:
    runtime.hub._spawn(endless.run(runtime.ctx.db), "hub-endless")


def _sqlite_threads(among: set[threading.Thread]) -> list[str]:
    return [
        t.name for t in threading.enumerate() if t not in among and "_connection_worker" in t.name
    ]


def test_a_stopped_server_leaves_no_statement_nor_sqlite_thread_running(
    sqlite_backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    raised: list[threading.ExceptHookArgs] = []
    monkeypatch.setattr(threading, "excepthook", raised.append)
    before = set(threading.enumerate())
    srv = ThreadServer(sqlite_backend.settings()).start()
    endless = Endless()
    try:
        # A statement in flight in a task of the hub's (as a gap fill's read of the log is),
        # one that never ends by itself: the stop must end it, not wait for it.
        srv.call(_spawn_in_hub(srv.runtime, endless))
        assert endless.began.wait(5), "the hub's statement never began"
        srv.stop()
        assert srv.stopped, "the server still waits for its work to end"
        assert _sqlite_threads(before) == []
    finally:
        endless.interrupt()
        srv.stop()
    assert [repr(args.exc_value) for args in raised] == []
