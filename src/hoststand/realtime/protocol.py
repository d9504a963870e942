"""The devices' socket protocol: Uvicorn's websockets-sansio, holding less per idle connection.

Uvicorn gives each connection an `asyncio.Queue` for what it receives and an `asyncio.Event`
for whether it may write. Each holds empty deques it never uses here (the queue's putters and
its join() event, the event's waiters while nobody waits): about 3 KB per idle device, an
eighth of what one costs. `DeviceProtocol` gives it a one-reader inbox and a lean flag instead,
with the same behaviour for the protocol, which is all that uses them.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

SERVED_BY = "hoststand.realtime.protocol:DeviceProtocol"  # for uvicorn.Config(ws=...)


class Inbox:
    """A FIFO with one reader (the ASGI app's `receive`), as Uvicorn's protocol uses it."""

    __slots__ = ("_items", "_waiter")

    def __init__(self) -> None:
        self._items: deque[Any] | None = None  # only while something is waiting to be read
        self._waiter: asyncio.Future[None] | None = None

    def put_nowait(self, item: Any) -> None:
        """Add an item and wake the reader."""
        if self._items is None:
            self._items = deque()
        self._items.append(item)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def get(self) -> Any:
        """The oldest item, once there is one."""
        while not self._items:
            if self._waiter is not None:
                raise RuntimeError("Inbox.get() is already being awaited by another reader")
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        item = self._items.popleft()
        if not self._items:
            self._items = None
        return item

    def empty(self) -> bool:
        """True when nothing waits to be read."""
        return not self._items

    def qsize(self) -> int:
        """How many items wait to be read."""
        return len(self._items) if self._items else 0


class Flag:
    """An `asyncio.Event` whose waiters exist only while someone waits."""

    __slots__ = ("_value", "_waiters")

    def __init__(self) -> None:
        self._value = False
        self._waiters: list[asyncio.Future[None]] | None = None

    def is_set(self) -> bool:
        """True when set."""
        return self._value

    def set(self) -> None:
        """Set it and wake every waiter."""
        if self._value:
            return
        self._value = True
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        """Unset it."""
        self._value = False

    async def wait(self) -> bool:
        """Return once it is set."""
        if self._value:
            return True
        waiter = asyncio.get_running_loop().create_future()
        if self._waiters is None:
            self._waiters = []
        self._waiters.append(waiter)
        try:
            await waiter
        finally:
            if self._waiters is not None and waiter in self._waiters:
                self._waiters.remove(waiter)
        return True


class DeviceProtocol(WebSocketsSansIOProtocol):
    """Uvicorn's websockets-sansio protocol with a lean inbox and writable flag."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = Inbox()  # type: ignore[assignment]
        self.writable = Flag()  # type: ignore[assignment]
        self.writable.set()
