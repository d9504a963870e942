"""SQLAlchemy's asyncpg dialect, with a BEGIN that reaches PostgreSQL when the transaction begins.

The stock dialect sends BEGIN with a transaction's first statement. Sent at `begin()` instead,
the BEGIN is what finds a pooled connection that the server closed (a restart, an idle
session killed), in place of `pool_pre_ping`, which cost three round trips per checkout with
asyncpg (BEGIN, an empty query, ROLLBACK) before the transaction's own BEGIN. A BEGIN on a
closed connection fails before anything of the transaction has run; SQLAlchemy's own
disconnect handling sees it (`is_disconnect`, as for any statement), invalidates the connection
and every pooled connection older than it, and Database begins once more on a fresh one
(`Database._begin`). The trip is one that every transaction makes anyway: moved, not added.
"""

from __future__ import annotations

from sqlalchemy.dialects import registry
from sqlalchemy.dialects.postgresql.asyncpg import (
    AsyncAdapt_asyncpg_connection,
    PGDialect_asyncpg,
)
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.util import await_


class BeginNowDialect(PGDialect_asyncpg):
    """SQLAlchemy's asyncpg dialect; `do_begin` sends the BEGIN at once (see the module)."""

    supports_statement_cache = True  # compiles as its parent does; without it, no cache at all

    def do_begin(self, dbapi_connection: PoolProxiedConnection) -> None:
        """BEGIN now, as the adapter would have before the first statement (same options).

        SQLAlchemy calls this inside its error handling for `begin()`: a disconnect raised here
        invalidates the connection and the pool as one raised by a statement would.
        """
        connection = dbapi_connection.dbapi_connection
        assert isinstance(connection, AsyncAdapt_asyncpg_connection)
        # The adapter's own start (isolation level, read only; nothing in autocommit): the one
        # SQLAlchemy-internal name this module uses, pinned with sqlalchemy>=2.1,<2.2.
        await_(connection._start_transaction())


# The URL that selects BeginNowDialect (Database gives it to the engine for postgresql+asyncpg).
DRIVERNAME = "postgresql+hoststand_asyncpg"
registry.register("postgresql.hoststand_asyncpg", __name__, "BeginNowDialect")
