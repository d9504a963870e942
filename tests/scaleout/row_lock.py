"""Hold a restaurant's row lock from the test, so that a write request stays in flight."""

from __future__ import annotations

import uuid
from types import TracebackType

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from hoststand.store.database import Database
from tests.conftest import Backend


class RowLock:
    """`SELECT ... FOR UPDATE` on one restaurant row, held until the block ends.

    Every write of that restaurant takes this lock first (services/transaction.py), so a
    request sent meanwhile waits inside the server: an in-flight request on demand.
    """

    def __init__(self, backend: Backend, restaurant_id: str) -> None:
        self.database = Database(backend.url, schema=backend.schema, pool_size=2)
        self.restaurant_id = uuid.UUID(restaurant_id)
        self._holder: AsyncConnection | None = None
        self._pid = 0

    async def __aenter__(self) -> RowLock:
        self._holder = await self.database.engine.connect()
        await self._holder.begin()
        self._pid = (await self._holder.execute(sa.text("SELECT pg_backend_pid()"))).scalar_one()
        await self._holder.execute(
            sa.text("SELECT id FROM restaurants WHERE id = :id FOR UPDATE"),
            {"id": self.restaurant_id},
        )
        return self

    async def waiters(self) -> int:
        """How many database sessions wait for this lock."""
        query = sa.text(
            "SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))"
        )
        async with self.database.engine.connect() as conn:
            return int((await conn.execute(query, {"pid": self._pid})).scalar_one())

    async def has_waiter(self) -> bool:
        """True once a request waits for the lock."""
        return await self.waiters() > 0

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._holder is not None:
            await self._holder.rollback()
            await self._holder.close()
        await self.database.close()
