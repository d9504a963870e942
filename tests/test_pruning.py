"""Pruning the event log while the database fails: one warning when it starts, one when it ends."""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from hoststand.store import migrate
from tests.commands import clean_env, sqlite_url
from tests.conftest import Backend, _create_schema
from tests.servers import ADMIN_TOKEN, ProcessServer, running, wait_until

FAILED = "pruning failed"


@dataclass(frozen=True)
class OwnDatabase:
    """A migrated database of one test's own, and the name of its events table in SQL."""

    url: str
    env: dict[str, str]
    events: str

    def count(self, table: str) -> int:
        """The rows of `table` (in the schema of the events table)."""
        schema = self.events.rpartition(".")[0] or None
        query = sa.select(sa.func.count()).select_from(sa.table(table, schema=schema))
        return asyncio.run(_scalar(self.url, query))

    def hide_events(self, *, back: bool = False) -> None:
        """Rename the events table away (or `back`), as if it were lost and restored."""
        table, away = self.events, f"{self.events}_away"
        source, target = (away, table) if back else (table, away)
        asyncio.run(_execute(self.url, f"ALTER TABLE {source} RENAME TO {target.split('.')[-1]}"))


async def _execute(url: str, sql: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.text(sql))
    finally:
        await engine.dispose()


async def _scalar(url: str, query: sa.Select[tuple[int]]) -> int:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(query)).scalar_one())
    finally:
        await engine.dispose()


@pytest.fixture
def own_database(backend: Backend, tmp_path: Path) -> Iterator[OwnDatabase]:
    """A SQLite file, or a PostgreSQL schema, migrated for this test alone."""
    if backend.name == "sqlite":
        url = sqlite_url(tmp_path / "prune.db")
        migrate.upgrade(url)
        yield OwnDatabase(url, {"HOSTSTAND_DATABASE_URL": url}, "events")
        return
    schema = f"hs_prune_{secrets.token_hex(4)}"
    asyncio.run(_create_schema(backend.url, schema))
    try:
        migrate.upgrade(backend.url, schema=schema)
        env = {"HOSTSTAND_DATABASE_URL": backend.url, "HOSTSTAND_DATABASE_SCHEMA": schema}
        yield OwnDatabase(backend.url, env, f"{schema}.events")
    finally:
        asyncio.run(_create_schema(backend.url, schema, drop=True))


def test_a_failing_database_is_logged_once_by_pruning_not_at_every_attempt(
    own_database: OwnDatabase, tmp_path: Path
) -> None:
    log_path = tmp_path / "server.log"
    env = clean_env(
        **own_database.env,
        HOSTSTAND_LOG_LEVEL="debug",
        HOSTSTAND_PRUNE_INTERVAL_SECONDS="0.05",
    )
    with running(ProcessServer(env=env, log_path=log_path)):
        own_database.hide_events()
        wait_until(
            lambda: log_path.read_text().count(f"{FAILED} again") >= 3,
            20,
            "several failed attempts to prune",
        )
        own_database.hide_events(back=True)
        wait_until(lambda: "pruning works again" in log_path.read_text(), 20, "pruning to recover")
    text = log_path.read_text()
    lines = text.splitlines()
    warnings = [line for line in lines if FAILED in line and " WARNING " in line]
    assert len(warnings) == 1, warnings
    # One line that says what is wrong, not the exception's class or a traceback per attempt.
    said = "database failing: a table is missing: run `hoststand migrate`"
    assert warnings[0].endswith(f"{FAILED}: {said}"), warnings
    # A traceback once, at debug level, with the first failure.
    [traced] = [record for record in _records(text) if "Traceback" in record]
    assert re.match(r"\S+ \S+ DEBUG +hoststand.runtime: pruning failed\n", traced), traced
    again = [line for line in lines if f"{FAILED} again" in line]
    assert all(" DEBUG " in line for line in again)
    [recovered] = [line for line in lines if "pruning works again" in line]
    assert " WARNING " in recovered
    assert f"after {len(again) + 1} failed attempts" in recovered


def _records(text: str) -> list[str]:
    """The log's records: each line that starts with a time, with the lines that follow it."""
    return re.split(r"\n(?=\d{4}-\d\d-\d\d )", text)


def test_the_tombstones_of_deleted_restaurants_are_pruned_with_the_events(
    own_database: OwnDatabase,
) -> None:
    env = clean_env(**own_database.env, HOSTSTAND_ADMIN_TOKEN=ADMIN_TOKEN)
    with running(ProcessServer(env=env)) as server:
        admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        with httpx.Client(base_url=f"{server.base_url}/api/v1", headers=admin) as http:
            created = http.post("/restaurants", json={"name": "Closing down"})
            assert created.status_code == 201, created.text
            deleted = http.delete(f"/restaurants/{created.json()['id']}")
            assert deleted.status_code == 204, deleted.text
    assert own_database.count("deleted_restaurants") == 1
    # Restarted with a retention shorter than the tombstone's age by now.
    env.update(HOSTSTAND_EVENT_RETENTION_DAYS="0.000001", HOSTSTAND_PRUNE_INTERVAL_SECONDS="0.1")
    with running(ProcessServer(env=env)):
        wait_until(lambda: own_database.count("deleted_restaurants") == 0, 20, "tombstones pruned")
