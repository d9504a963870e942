"""Fan-out between the writers and the hubs: a small broker interface and its backends."""

from __future__ import annotations

from hoststand.bus.base import Broker, MessageHandler
from hoststand.bus.envelope import Envelope

__all__ = ["Broker", "Envelope", "MessageHandler", "create_broker"]


def create_broker(url: str) -> Broker:
    """The backend for `url`'s scheme: memory:// (in-process) or redis://, rediss://."""
    scheme = url.split("://", 1)[0].lower()
    if scheme == "memory":
        from hoststand.bus.memory import MemoryBroker

        return MemoryBroker()
    if scheme in {"redis", "rediss", "unix"}:
        from hoststand.bus.redis import RedisBroker

        return RedisBroker(url)
    raise ValueError(
        f"HOSTSTAND_BROKER_URL: unsupported scheme {scheme!r} (use memory:// or redis://)"
    )
