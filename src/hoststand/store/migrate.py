"""Apply Alembic migrations shipped inside the package."""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, create_engine, make_url
from sqlalchemy.ext.asyncio import AsyncConnection

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str, *, schema: str | None = None) -> Config:
    """An Alembic config pointing at our migrations and database, no alembic.ini needed."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["schema"] = schema
    return config


def upgrade(url: str, *, schema: str | None = None) -> None:
    """Bring the database to the newest schema. Blocking: call before the event loop runs."""
    command.upgrade(alembic_config(url, schema=schema), "head")


def head_revision() -> str | None:
    """The newest migration shipped with this version."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


@functools.cache
def _shipped() -> tuple[str | None, frozenset[str]]:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return script.get_current_head(), frozenset(r.revision for r in script.walk_revisions())


def _revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


async def schema_state(conn: AsyncConnection) -> str:
    """'ok' when the database has every migration this version ships, else what to do.

    A revision this version does not know was made by a newer release: that schema is
    ahead, not behind, and this instance can keep serving during a rolling upgrade.
    """
    current = await conn.run_sync(_revision)
    head, known = _shipped()
    if current is None:
        return "not migrated: run `hoststand migrate`"
    if current != head and current in known:
        return f"at revision {current}, {head} is pending: run `hoststand migrate`"
    return "ok"


def current_revision(url: str) -> str | None:
    """The revision the database is at (sync driver; for diagnostics)."""
    sync_url = make_url(url).set(drivername=make_url(url).get_backend_name())
    engine = create_engine(sync_url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
