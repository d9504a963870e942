"""The log poll during a database outage: one warning when it starts, one line when it ends."""

from __future__ import annotations

from pathlib import Path

from hoststand.store import migrate
from tests.commands import clean_env, sqlite_url
from tests.servers import ProcessServer, running, wait_until

FAILED = "polling the event log failed"


def test_a_database_outage_is_logged_once_not_at_every_poll(tmp_path: Path) -> None:
    # A SQLite file in a directory that does not exist yet: every poll fails until it does.
    database = tmp_path / "later" / "hoststand.db"
    log_path = tmp_path / "server.log"
    env = clean_env(
        HOSTSTAND_DATABASE_URL=sqlite_url(database),
        HOSTSTAND_LOG_LEVEL="debug",
        HOSTSTAND_LOG_POLL_INTERVAL_SECONDS="0.05",
    )
    with running(ProcessServer(env=env, log_path=log_path)):
        wait_until(
            lambda: log_path.read_text().count(f"{FAILED} again") >= 5,
            20,
            "several failed polls",
        )
        # Migrated elsewhere, then put in place at once: a poll between a mkdir and the
        # migration would open an empty file and fail otherwise (a table missing), which is
        # another outage, logged as such.
        staging = tmp_path / "staging" / database.name
        staging.parent.mkdir()
        migrate.upgrade(sqlite_url(staging))
        staging.parent.rename(database.parent)
        wait_until(
            lambda: "polling the event log works again" in log_path.read_text(),
            20,
            "the poll to recover",
        )
    lines = log_path.read_text().splitlines()
    warnings = [line for line in lines if FAILED in line and "WARNING" in line]
    assert len(warnings) == 1, warnings
    assert "database unreachable: cannot open the SQLite file" in warnings[0]
    assert "Traceback" not in _lines_after(lines, warnings[0])[0]
    again = [line for line in lines if f"{FAILED} again" in line]
    assert len(again) >= 5
    assert all(" DEBUG " in line for line in again)


def _lines_after(lines: list[str], line: str) -> list[str]:
    """The lines that follow `line` in the log (a traceback would start right after it)."""
    return lines[lines.index(line) + 1 :]
