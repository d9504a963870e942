"""Waiting for a condition with a deadline, from async tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

POLL_SECONDS = 0.02


async def eventually(
    condition: Callable[[], bool | Awaitable[bool]], timeout: float, what: str
) -> float:
    """Wait until condition() is true; return the seconds it took; fail after `timeout`."""
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
