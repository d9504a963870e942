"""What one running instance holds: the services' context, the hub, the authenticator."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from hoststand import background
from hoststand.bus import create_broker
from hoststand.config import Settings
from hoststand.metrics import Metrics
from hoststand.realtime.hub import Hub
from hoststand.services import reads
from hoststand.services.authentication import Authenticator
from hoststand.services.context import ServiceContext
from hoststand.store import failures
from hoststand.store.database import Database

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """Built at start-up, closed at shutdown; reachable from requests as app.state.runtime."""

    ctx: ServiceContext
    hub: Hub
    authenticator: Authenticator
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @classmethod
    def build(cls, settings: Settings) -> Runtime:
        """Wire the database, the broker, the hub and the authenticator together."""
        db = Database(
            settings.database_url,
            schema=settings.database_schema,
            pool_size=settings.database_pool_size,
        )
        ctx = ServiceContext(
            db=db, broker=create_broker(settings.broker_url), settings=settings, metrics=Metrics()
        )
        authenticator = Authenticator(ctx)
        hub = Hub(ctx, token_cache=authenticator)
        return cls(ctx=ctx, hub=hub, authenticator=authenticator)

    async def start(self) -> None:
        """Connect to the broker, start the hub and the housekeeping."""
        await self.hub.start()
        self._tasks.append(asyncio.create_task(self._prune_forever(), name="prune"))

    async def stop(self) -> None:
        """Close devices with 1012, stop background work, close the database.

        Each step waits for the work it stops, for a bounded time, so that nothing runs on
        the database's threads once the lifespan has ended and the event loop closes.
        """
        try:
            await self.hub.stop(self.ctx.settings.shutdown_timeout_seconds)
            await background.cancel_and_wait(self._tasks, "housekeeping")
            await self.authenticator.close()
        finally:  # whatever failed before: no database thread may outlive the loop
            await self.ctx.db.close()

    async def _prune_forever(self) -> None:
        outage = failures.Outage(log, "pruning", "attempts")
        while True:
            try:
                events, keys = await reads.prune(self.ctx)
            except Exception as exc:
                outage.failed(exc)
            else:
                outage.worked()
                if events or keys:
                    log.info("pruned %d events and %d idempotency records", events, keys)
            await asyncio.sleep(self.ctx.settings.prune_interval_seconds)
