"""The in-process broker: for one instance, the default."""

from __future__ import annotations

import asyncio
import uuid

from hoststand.bus.base import MessageHandler


class MemoryBroker:
    """Delivers published payloads to this process's own hub, on the next loop iteration."""

    def __init__(self) -> None:
        self._handler: MessageHandler | None = None
        self._subscribed: set[uuid.UUID] = set()

    async def start(self, on_message: MessageHandler) -> None:
        """Remember who to deliver to."""
        self._handler = on_message

    async def close(self) -> None:
        """Stop delivering."""
        self._handler = None
        self._subscribed.clear()

    async def publish(self, restaurant_id: uuid.UUID, payload: bytes) -> None:
        """Hand the payload to the hub if it listens for this restaurant."""
        if self._handler is not None and restaurant_id in self._subscribed:
            # Like a real broker, never deliver inside the publisher's own call stack.
            asyncio.get_running_loop().call_soon(self._handler, payload)

    async def subscribe(self, restaurant_id: uuid.UUID) -> None:
        """Start delivering this restaurant's payloads."""
        self._subscribed.add(restaurant_id)

    async def unsubscribe(self, restaurant_id: uuid.UUID) -> None:
        """Stop delivering this restaurant's payloads."""
        self._subscribed.discard(restaurant_id)

    @property
    def healthy(self) -> bool:
        """The in-process broker cannot be unreachable."""
        return True
