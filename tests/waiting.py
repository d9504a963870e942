"""Waiting for a condition with a deadline, from async tests: the one poll the tests use."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

POLL_SECONDS = 0.02
TIMEOUT = 5.0


async def eventually(
    condition: Callable[[], bool | Awaitable[bool]], what: str, *, timeout: float = TIMEOUT
) -> float:
    """Wait until condition() (plain or async) is true; return the seconds it took.

    Fails naming `what` after `timeout` seconds.
    """
    started = time.monotonic()
    deadline = started + timeout
    while True:
        result = condition()
        if not isinstance(result, bool):
            result = await result
        if result:
            return time.monotonic() - started
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(POLL_SECONDS)
