"""One device's connection: written to synchronously, with a bounded outbox for when it lags."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import secrets
import sys
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING

from starlette.types import Message
from starlette.websockets import WebSocket, WebSocketState

from hoststand.domain.access import Permission, Principal
from hoststand.realtime.closecodes import CloseCode
from hoststand.realtime.wire import DirectSocket

if TYPE_CHECKING:
    from hoststand.realtime.hub import Room

log = logging.getLogger(__name__)


class TokenBucket:
    """Allows `rate` per second on average, `burst` at once."""

    __slots__ = ("burst", "rate", "stamp", "tokens")

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.tokens = float(burst)
        self.stamp = time.monotonic()

    def take(self) -> bool:
        """True if one more is allowed now."""
        now = time.monotonic()
        tokens = self.tokens + (now - self.stamp) * self.rate
        if tokens > self.burst:
            tokens = self.burst
        self.stamp = now
        if tokens < 1:
            self.tokens = tokens
            return False
        self.tokens = tokens - 1
        return True


class Ticks:
    """Counts event-loop iterations in which something was delivered.

    A device may be handed at most `queue_limit` messages before the loop comes round again (and
    its socket had a chance to take them), as when a writer task drained each device's queue once
    per iteration: a burst bigger than that closes it with 4409, written synchronously or not.
    """

    __slots__ = ("_bound_advance", "_call_soon", "_context", "_loop", "_next", "counted")

    def __init__(self) -> None:
        self._next = 0
        # The number of this iteration once it is counted, None until `current` is called in it:
        # the reader for the delivery path, which then needs no call after the first.
        self.counted: int | None = None
        # What `current` schedules, made once: this runs in every iteration that delivers
        # (each relay's, under a fan-out load), and a call_soon that copies the caller's
        # context and binds the method anew cost three times what these leave.
        self._bound_advance = self._advance
        self._context = contextvars.Context()  # _advance reads no context variable
        self._loop: asyncio.AbstractEventLoop | None = None
        self._call_soon: Callable[..., object] | None = None

    def current(self) -> int:
        """The number of this iteration; counted from now on, until the loop comes round."""
        if self.counted is None:
            self.counted = self._next
            loop = asyncio.get_running_loop()
            if loop is not self._loop or self._call_soon is None:
                self._loop, self._call_soon = loop, loop.call_soon
            self._call_soon(self._bound_advance, context=self._context)
        return self.counted

    def _advance(self) -> None:
        self._next += 1
        self.counted = None


# What the scope keeps once the device is handshaken: what says which connection it is.
_SCOPE_KEPT = ("type", "scheme", "server", "client", "root_path", "path", "app")


def _forget_handshake(websocket: WebSocket, direct: DirectSocket | None) -> None:
    """Drop what only the handshake needed, which an idle device would otherwise keep.

    The upgrade's headers and query were read by the handshake (the token, the restaurant) and
    by nothing after it, nor are the scope's other entries (ASGI versions, extensions, state).
    The scope is emptied in place, as Uvicorn's protocol and the ASGI call chain hold it too.
    The direct socket drops its part, and settles how it frames (see DirectSocket.handshaken).
    """
    scope = websocket.scope
    kept = {key: scope[key] for key in _SCOPE_KEPT if key in scope}
    scope.clear()
    scope.update(kept)
    if direct is not None:
        direct.handshaken()


class Connection:
    """A handshaken device of one restaurant.

    The hub calls `deliver_all` for a room's devices, synchronously; it never waits. Once live, a
    message goes straight onto the socket when nothing is queued before it and the socket takes
    it (see wire.py); otherwise it waits in the outbox, drained by a writer task that exists only
    while there is a backlog. A device holding more than `queue_limit` messages is closed with
    4409 instead of slowing anyone else down.
    """

    __slots__ = (
        "_close_reason",
        "_direct",
        "_live",
        "_on_overflow",
        "_outbox",
        "_tick",
        "_ticks",
        "_writer",
        "_written",
        "close_code",
        "device_id",
        "id",
        "may_relay",
        "overflowed",
        "principal",
        "queue_limit",
        "receive",
        "restaurant_id",
        "restaurant_text",
        "room",
        "user_actions",
        "websocket",
    )

    def __init__(
        self,
        websocket: WebSocket,
        *,
        restaurant_id: uuid.UUID,
        principal: Principal,
        queue_limit: int,
        user_action_limit: TokenBucket,
        ticks: Ticks,
        direct: DirectSocket | None = None,
        device_id: str | None = None,
        on_overflow: Callable[[], None] = lambda: None,
    ) -> None:
        self.id = secrets.token_hex(8)
        self.websocket = websocket
        # The socket's own ASGI receive when it has one: one suspended coroutine fewer per idle
        # device and per message than Starlette's wrapper, which tracks state nothing here reads.
        self.receive: Callable[[], Awaitable[Message]] = (
            direct.receive if direct is not None else websocket.receive
        )
        self.restaurant_id = restaurant_id
        # The id as the server writes it, for every relayed message (str(UUID) costs ~1 us);
        # interned, so that a restaurant's devices share one string.
        self.restaurant_text = sys.intern(str(restaurant_id))
        # The hub's room of the restaurant while this device is in it (Hub.join to Hub.leave): a
        # relay finds it without hashing the restaurant's UUID (a Python call) in the hub's map.
        self.room: Room | None = None
        self.principal = principal
        self.may_relay = principal.may(Permission.USER_ACTION)  # a token's role never changes
        self.device_id = device_id
        self.queue_limit = queue_limit
        self.user_actions = user_action_limit
        self.close_code: int | None = None
        self.overflowed = False
        self._close_reason = ""
        self._on_overflow = on_overflow
        self._ticks = ticks
        self._direct = direct
        # Until go_live() (after the greeting and any replay), live messages wait in the outbox.
        self._live = False
        self._outbox: deque[str] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._tick = -1
        self._written = 0  # messages written straight to the socket in iteration `_tick`
        _forget_handshake(websocket, direct)

    @property
    def token_id(self) -> uuid.UUID | None:
        """The token this device authenticated with (None for admin and open mode)."""
        return self.principal.token_id

    @property
    def queued(self) -> int:
        """Messages waiting in the outbox."""
        return len(self._outbox) if self._outbox else 0

    def deliver(self, text: str | bytes, frame: bytes | None = None) -> None:
        """Send or queue a message; close with 4409 if the device holds too many.

        `text` is the message, or its UTF-8 (a relay's, as serialised: decoded only if it
        must wait in the outbox); `frame` is it as a WebSocket frame (wire.text_frame), built
        once for every device.
        """
        Connection.deliver_all((self,), text, frame)

    @staticmethod
    def deliver_all(
        connections: Iterable[Connection],
        text: str | bytes,
        frame: bytes | None = None,
        *,
        skip: str | None = None,
    ) -> int:
        """`deliver` to each of `connections` but the one whose id is `skip`; how many it was.

        Closed connections are counted, as they were handed the message. This is the one
        definition of a delivery, written as the hub's fan-out loop so that a room's devices
        take one Python call rather than one each (a call per device was about a tenth of the
        instructions of a delivery).
        """
        sent = 0
        for conn in connections:
            if conn.id == skip:
                continue
            sent += 1
            if conn.close_code is not None:
                continue
            tick = conn._ticks.counted
            if tick is None:
                tick = conn._ticks.current()
            if tick != conn._tick:
                conn._tick, conn._written = tick, 0
            outbox = conn._outbox
            if (len(outbox) if outbox else 0) + conn._written >= conn.queue_limit:
                conn._overflow()
                continue
            direct = conn._direct
            live = conn._live and conn._writer is None
            if live and direct is not None and direct.write(text, frame):
                conn._written += 1
                continue
            if outbox is None:
                outbox = conn._outbox = deque()
            outbox.append(text if isinstance(text, str) else text.decode())
            if live:
                conn._start_writer()
        return sent

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
        if self._outbox:
            self._outbox.clear()
        if self._writer is None:
            self._start_writer()

    def go_live(self) -> None:
        """Deliver live messages from now on, after those that queued during the join."""
        self._live = True
        if self._outbox and self._writer is None:
            self._start_writer()

    def _start_writer(self) -> None:
        self._writer = asyncio.create_task(self._write_backlog(), name=f"ws-writer-{self.id}")

    async def _write_backlog(self) -> None:
        """Drain the outbox through the ASGI send (it waits while the socket is paused)."""
        send = self.websocket.send_text
        outbox = self._outbox
        try:
            while outbox:
                await send(outbox.popleft())
            if self.close_code is not None:
                await self._send_close()
        except Exception as exc:  # the peer went away mid-write; the reader loop will notice
            log.debug("writer of %s stopped: %r", self.id, exc)
            self.close_code = self.close_code or CloseCode.NORMAL
        finally:
            # No await since the outbox was last seen empty: what comes next may go direct.
            self._writer = None

    async def _send_close(self) -> None:
        if self.websocket.application_state == WebSocketState.CONNECTED:
            await self.websocket.close(self.close_code or CloseCode.NORMAL, self._close_reason)

    async def send_now(self, text: str) -> None:
        """Send directly, before going live (handshake answer and replay)."""
        await self.websocket.send_text(text)

    async def wait_closed(self, timeout: float) -> None:
        """Wait for the close frame to be written, up to `timeout` seconds."""
        writer = self._writer
        if writer is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(writer), timeout)
        except TimeoutError:
            writer.cancel()

    def stop_writer(self) -> None:
        """Cancel the writer (the socket is gone)."""
        if self._writer is not None and not self._writer.done():
            self._writer.cancel()
