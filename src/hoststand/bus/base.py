"""The broker interface: the smallest set of verbs the hubs and the writers need."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Protocol

MessageHandler = Callable[[bytes], None]


class Broker(Protocol):
    """Carries published envelopes to every instance subscribed to a restaurant."""

    async def start(self, on_message: MessageHandler) -> None:
        """Connect; from now on `on_message` gets every payload of a subscribed restaurant."""

    async def close(self) -> None:
        """Disconnect and stop delivering."""

    async def publish(self, restaurant_id: uuid.UUID, payload: bytes) -> None:
        """Send `payload` to every instance subscribed to the restaurant (best effort)."""

    async def subscribe(self, restaurant_id: uuid.UUID) -> None:
        """Start receiving the restaurant's payloads."""

    async def unsubscribe(self, restaurant_id: uuid.UUID) -> None:
        """Stop receiving the restaurant's payloads."""

    @property
    def healthy(self) -> bool:
        """False while the broker is unreachable (delivery then falls back to the event log)."""
