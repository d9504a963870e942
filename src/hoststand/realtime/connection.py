"""One device's connection: a bounded outbox drained by its own writer task."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
import uuid
from collections import deque
from collections.abc import Callable

from starlette.websockets import WebSocket, WebSocketState

from hoststand.domain.access import Principal
from hoststand.realtime.closecodes import CloseCode

log = logging.getLogger(__name__)


class TokenBucket:
    """Allows `rate` per second on average, `burst` at once."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.tokens = float(burst)
        self.stamp = time.monotonic()

    def take(self) -> bool:
        """True if one more is allowed now."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class Connection:
    """A handshaken device of one restaurant.

    The hub calls `deliver` synchronously from its fan-out loop; it never waits. A device whose
    outbox is full is closed with 4409 instead of slowing anyone else down.
    """

    def __init__(
        self,
        websocket: WebSocket,
        *,
        restaurant_id: uuid.UUID,
        principal: Principal,
        queue_limit: int,
        user_action_limit: TokenBucket,
        device_id: str | None = None,
        on_overflow: Callable[[], None] = lambda: None,
    ) -> None:
        self.id = secrets.token_hex(8)
        self.websocket = websocket
        self.restaurant_id = restaurant_id
        self.principal = principal
        self.device_id = device_id
        self.queue_limit = queue_limit
        self.user_actions = user_action_limit
        # Until the writer starts (after the greeting and any replay), live messages wait here.
        self.outbox: deque[str] = deque()
        self.close_code: int | None = None
        self._close_reason = ""
        self.overflowed = False
        self._on_overflow = on_overflow
        self._wakeup: asyncio.Future[None] | None = None
        self._writer: asyncio.Task[None] | None = None

    @property
    def token_id(self) -> uuid.UUID | None:
        """The token this device authenticated with (None for admin and open mode)."""
        return self.principal.token_id

    def deliver(self, text: str) -> None:
        """Queue a message; close the connection with 4409 if its queue is full."""
        if self.close_code is not None:
            return
        if len(self.outbox) >= self.queue_limit:
            self._overflow()
            return
        self.outbox.append(text)
        waiter = self._wakeup
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _overflow(self) -> None:
        self.overflowed = True
        self._on_overflow()
        self.close(CloseCode.TOO_SLOW, "too slow: reconnect and resume with last_seq")

    def close(self, code: int, reason: str = "") -> None:
        """Close with `code` after the message being written; drop what is still queued."""
        if self.close_code is not None:
            return
        self.close_code = code
        self._close_reason = reason
        self.outbox.clear()
        waiter = self._wakeup
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        if self._writer is None:
            self.start_writer()

    def start_writer(self) -> None:
        """Start draining the outbox to the socket."""
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_loop(), name=f"ws-writer-{self.id}")

    async def _write_loop(self) -> None:
        send = self.websocket.send_text
        outbox = self.outbox
        loop = asyncio.get_running_loop()
        try:
            while True:
                while outbox:
                    await send(outbox.popleft())
                if self.close_code is not None:
                    break
                self._wakeup = loop.create_future()
                await self._wakeup
                self._wakeup = None
            await self._send_close()
        except Exception as exc:  # the peer went away mid-write; the reader loop will notice
            log.debug("writer of %s stopped: %r", self.id, exc)
            self.close_code = self.close_code or CloseCode.NORMAL

    async def _send_close(self) -> None:
        if self.websocket.application_state == WebSocketState.CONNECTED:
            await self.websocket.close(self.close_code or CloseCode.NORMAL, self._close_reason)

    async def send_now(self, text: str) -> None:
        """Send directly, before the writer starts (handshake answer and replay)."""
        await self.websocket.send_text(text)

    async def wait_closed(self, timeout: float) -> None:
        """Wait for the writer to finish, up to `timeout` seconds."""
        if self._writer is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(self._writer), timeout)
        except TimeoutError:
            self._writer.cancel()

    def stop_writer(self) -> None:
        """Cancel the writer (the socket is gone)."""
        if self._writer is not None and not self._writer.done():
            self._writer.cancel()
