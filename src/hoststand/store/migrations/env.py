"""Alembic environment: runs migrations on the async engine hoststand itself uses."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa
from alembic import context
from sqlalchemy.engine import Connection

from hoststand.store.database import Database
from hoststand.store.schema import metadata

config = context.config


def _run(connection: Connection) -> None:
    schema = config.attributes.get("schema")
    if schema and connection.dialect.name == "postgresql":
        _create_schema(connection, schema)
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        # Looked up in the schema itself, not wherever the search_path finds one first.
        version_table_schema=schema if connection.dialect.name == "postgresql" else None,
    )
    with context.begin_transaction():
        context.run_migrations()


def _create_schema(connection: Connection, schema: str) -> None:
    # A search_path naming a schema that does not exist falls through to `public`: without
    # this, the tables would land there, shared with whatever else uses it.
    known = sa.text("SELECT 1 FROM pg_namespace WHERE nspname = :schema")
    if connection.execute(known, {"schema": schema}).first():
        return
    # ... which is where an earlier migrate put them, if the schema never existed: a new empty
    # schema would hide every restaurant behind it.
    if connection.execute(sa.text("SELECT to_regclass('alembic_version')")).scalar():
        raise SystemExit(
            f"hoststand: HOSTSTAND_DATABASE_SCHEMA={schema} does not exist, and hoststand's "
            "tables are in `public`: unset HOSTSTAND_DATABASE_SCHEMA to go on using them, or "
            f"move them first (CREATE SCHEMA {schema}; then ALTER TABLE public.<table> SET "
            f"SCHEMA {schema} for alembic_version and every hoststand table); for a second, "
            f"separate deployment, create the empty schema yourself (CREATE SCHEMA {schema})"
        )
    quoted = connection.dialect.identifier_preparer.quote_identifier(schema)
    connection.execute(sa.text(f"CREATE SCHEMA {quoted}"))


async def _run_async() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url is not set"
    schema = config.attributes.get("schema")
    database = Database(url, schema=schema, pool_size=1)
    try:
        async with database.engine.connect() as conn:
            await conn.run_sync(_run)
            await conn.commit()
    finally:
        await database.close()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported: run `hoststand migrate`")
asyncio.run(_run_async())
