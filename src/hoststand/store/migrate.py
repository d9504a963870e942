"""Apply Alembic migrations shipped inside the package."""

from __future__ import annotations

import functools
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncConnection

MIGRATIONS = Path(__file__).parent / "migrations"
ALEMBIC_VERSION = sa.table("alembic_version", sa.column("version_num", sa.String))


def alembic_config(url: str, *, schema: str | None = None) -> Config:
    """An Alembic config pointing at our migrations and database, no alembic.ini needed."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["schema"] = schema
    return config


def upgrade(url: str, *, schema: str | None = None) -> None:
    """Bring the database to the newest schema. Blocking: call before the event loop runs."""
    check_sqlite_directory(url)
    command.upgrade(alembic_config(url, schema=schema), "head")


class MissingDirectory(FileNotFoundError):
    """The directory of the SQLite file does not exist (the message names it)."""


def check_sqlite_directory(url: str) -> None:
    """Raise MissingDirectory, naming it, when the directory of a SQLite file is missing.

    Said plainly up front by the commands; a failed aiosqlite connect also races its worker
    thread against the closing event loop and prints a stray traceback (aiosqlite 0.22).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return
    directory = Path(parsed.database).parent
    if not directory.is_dir():
        raise MissingDirectory(f"the directory {directory} of the SQLite file does not exist")


def head_revision() -> str | None:
    """The newest migration shipped with this version."""
    return _shipped()[0]


@functools.cache
def _shipped() -> tuple[str | None, frozenset[str]]:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return script.get_current_head(), frozenset(r.revision for r in script.walk_revisions())


def _revision(conn: Connection) -> str | None:
    # Plain SQL rather than Alembic's MigrationContext, which logs on every /readyz probe.
    if not sa.inspect(conn).has_table(ALEMBIC_VERSION.name):
        return None
    return conn.execute(sa.select(ALEMBIC_VERSION.c.version_num)).scalar()


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
