"""The database's own clock, in milliseconds: what change stamps and poll watermarks read.

Rows the log poller watches (a restaurant's `last_seq`, a token's revocation) carry a
`changed_ms` stamp taken from this clock by the statement that changes them, and the poller
reads its watermark from the same clock: one clock for every instance, so that the instances'
own clocks, however skewed, play no part (see Hub.poll_once). On SQLite, which lives on one
host, that host's clock; on PostgreSQL the server's, at the moment the statement runs
(`clock_timestamp()`, not the transaction's start, which can be much earlier than its commit).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class now_ms(FunctionElement[int]):
    """The database's clock as integer milliseconds since the Unix epoch."""

    type = sa.BigInteger()
    inherit_cache = True


# The clock in SQL, per dialect: also what the event log's trigger stamps with (migration 0003).
NOW_MS_SQL = {
    "postgresql": "CAST(floor(extract(epoch FROM clock_timestamp()) * 1000) AS BIGINT)",
    # julianday('now') has millisecond resolution; 2440587.5 is the Unix epoch's Julian day.
    "sqlite": "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)",
}


@compiles(now_ms, "postgresql")
@compiles(now_ms, "sqlite")
def _now_ms(element: now_ms, compiler: SQLCompiler, **kw: Any) -> str:
    return NOW_MS_SQL[compiler.dialect.name]


_NOW = sa.select(now_ms())


async def read(conn: AsyncConnection) -> int:
    """The database's clock now, in milliseconds."""
    return int((await conn.execute(_NOW)).scalar_one())
