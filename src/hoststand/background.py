"""Background tasks at shutdown: cancelled, then awaited for a bounded time.

A task that is cancelled and not awaited may still run its clean-up (a rollback, a close of
its connection) after the database, or the event loop itself, has closed. Awaited, it has
ended before the next step of the shutdown begins; the bound keeps a task that will not end
from holding the shutdown up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection
from typing import Any

log = logging.getLogger(__name__)

# Cancelled work ends in milliseconds: what it awaited on SQLite's thread is interrupted
# (store/sqlite_driver.py), a network call is dropped at once.
CANCEL_TIMEOUT_SECONDS = 2.0


async def cancel_and_wait(
    tasks: Collection[asyncio.Task[Any]], what: str, timeout: float = CANCEL_TIMEOUT_SECONDS
) -> None:
    """Cancel `tasks` and wait for them to end, `timeout` seconds at most.

    A task that failed is logged (its error would otherwise surface, unattributed, when it is
    garbage collected); so is a task still running at the bound, named by `what`.
    """
    if not tasks:
        return
    for task in tasks:
        task.cancel()
    done, pending = await asyncio.wait(tasks, timeout=timeout)
    for task in done:
        if not task.cancelled() and (error := task.exception()) is not None:
            log.warning("%s task %s failed", what, task.get_name(), exc_info=error)
    if pending:
        log.warning(
            "%d %s task(s) still running %.1f s after being cancelled: %s",
            len(pending),
            what,
            timeout,
            ", ".join(sorted(task.get_name() for task in pending)),
        )
