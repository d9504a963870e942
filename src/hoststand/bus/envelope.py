"""What travels on the broker: a wire message and what the hubs need to order it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import orjson


@dataclass(frozen=True, slots=True)
class Envelope:
    """One message for the devices of one restaurant.

    `seq` is None for ephemeral messages (user_action relays), which are not ordered or kept.
    `origin` names the connection that sent an ephemeral message, so it is not echoed back.
    """

    restaurant_id: uuid.UUID
    seq: int | None
    kind: str
    message: str
    committed_at: float = 0.0
    origin: str | None = None

    def encode(self) -> bytes:
        """Bytes for the broker."""
        return orjson.dumps(
            [
                str(self.restaurant_id),
                self.seq,
                self.kind,
                self.message,
                self.committed_at,
                self.origin,
            ]
        )

    @classmethod
    def decode(cls, payload: bytes) -> Envelope:
        """Parse bytes from the broker."""
        rid, seq, kind, message, committed_at, origin = orjson.loads(payload)
        return cls(uuid.UUID(rid), seq, kind, message, committed_at, origin)
