"""The devices' socket protocol: Uvicorn's websockets-sansio, holding less per idle connection.

Uvicorn gives each connection an `asyncio.Queue` for what it receives and an `asyncio.Event`
for whether it may write. Each holds empty deques it never uses here (the queue's putters and
its join() event, the event's waiters while nobody waits): about 3 KB per idle device, an
eighth of what one costs. `DeviceProtocol` gives it a one-reader inbox and a lean flag instead,
with the same behaviour for the protocol, which is all that uses them. It also keeps Uvicorn's
attributes in slots rather than an instance dict, and its `receive` waits on the inbox without
a coroutine of its own (see there).

Once a device is live, its text messages can also skip the inbox: `on_text` handles each one
inside `data_received` (see `send_receive_event_to_app`). And once the upgrade is done, this
protocol finds where each frame ends itself, so that a whole, final, masked text frame (nearly
everything a device sends) is unmasked and handed on without websockets' generator-based
parser, and so is the pong that answers a keepalive ping; every other frame (pings, a close,
fragments, bytes) goes to websockets whole, so its parser always starts on a frame of its own,
and anything unusual (a frame over the size limit, unmasked, with reserved bits) hands it the
rest of the stream for good (see `_split_frames`). The keepalive pings themselves are written as
prebuilt frames (see `send_keepalive_ping`).

A connection that breaks the protocol (too big, not UTF-8, a broken frame) is failed as
websockets' own server fails it, without a traceback in the log and with a half-close that lets
the device read its close code (see `handle_parser_exception`).
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import struct
from collections import deque
from collections.abc import Callable
from typing import Any

from uvicorn._types import ASGIReceiveEvent
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Frame
from websockets.protocol import State

from hoststand.realtime.closecodes import CloseCode

try:  # websockets' C function, as websockets itself uses it; its pure Python one without it
    from websockets.speedups import apply_mask
except ImportError:  # pragma: no cover
    from websockets.utils import apply_mask

log = logging.getLogger(__name__)
SERVED_BY = "hoststand.realtime.protocol:DeviceProtocol"  # for uvicorn.Config(ws=...)
# A server's keepalive ping: FIN and the ping opcode, unmasked, a 4-byte payload (RFC 6455 5.5.2).
PING_HEADER = b"\x89\x04"


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
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def arrival(self) -> asyncio.Future[None]:
        """A future done once an item is put: what the reader awaits while the inbox is empty."""
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            raise RuntimeError("the inbox is already being awaited by another reader")
        waiter = self._waiter = asyncio.get_running_loop().create_future()
        return waiter

    def get_nowait(self) -> Any:
        """The oldest item; IndexError when there is none."""
        if not self._items:
            raise IndexError("the inbox is empty")
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
    """An `asyncio.Event` whose waiters exist only while someone waits.

    `value` is what `is_set()` returns, to read without a call (wire.DirectSocket, for every
    message it writes); only the methods change it.
    """

    __slots__ = ("_waiters", "value")

    def __init__(self) -> None:
        self.value = False
        self._waiters: list[asyncio.Future[None]] | None = None

    def is_set(self) -> bool:
        """True when set."""
        return self.value

    def set(self) -> None:
        """Set it and wake every waiter."""
        if self.value:
            return
        self.value = True
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        """Unset it."""
        self.value = False

    async def wait(self) -> bool:
        """Return once it is set."""
        if self.value:
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

    # Every attribute Uvicorn's protocol sets (uvicorn 0.54), as slots: in the instance dict,
    # over 30 keys and so too many for CPython to share them between instances, they cost
    # about 1.6 KB per connection; as slots, 8 bytes each. One a later Uvicorn adds goes to
    # the instance dict, as before.
    __slots__ = (
        "_early",
        "_edge",
        "_limit",
        "_partial",
        "_split",
        "app",
        "app_state",
        "asgi_version",
        "client",
        "close_sent",
        "close_timeout",
        "close_timer",
        "config",
        "conn",
        "connections",
        "curr_msg_data_type",
        "default_headers",
        "disconnected",
        "frames",
        "handshake_complete",
        "handshake_initiated",
        "initial_response",
        "last_ping_rtt",
        "logger",
        "loop",
        "on_text",
        "pending_ping_payload",
        "ping_interval",
        "ping_sent_at",
        "ping_timeout",
        "ping_timer",
        "pong_timer",
        "queue",
        "read_paused",
        "request",
        "response",
        "root_path",
        "scheme",
        "scope",
        "server",
        "tasks",
        "transport",
        "writable",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = Inbox()  # type: ignore[assignment]
        self.writable = Flag()  # type: ignore[assignment]
        self.writable.set()
        self.on_text: Callable[[str | bytes], None] | None = None
        # Whether this protocol splits the frames (_split_frames): None until the upgrade is
        # done; `_edge` is the end of what came before, to find where the request ends.
        self._split: bool | None = None
        self._edge: bytes | None = b""
        self._limit: float = math.inf  # set with _split (see _decide_split)
        self._partial: bytes | None = None  # the start of a frame whose rest has not come yet
        self._early: bytes | None = None  # what came after the request, before the 101 went out

    def send_receive_event_to_app(self) -> None:
        """Hand a complete message to `on_text` at once, if set and nothing is queued before it.

        Uvicorn queues every message for the app's `receive` and pauses reading until the app
        takes it: per message a dict, a future, a task wake-up and two epoll_ctl calls (pause,
        resume), which at fan-out cost more than the message's own handling. Anything else
        (bytes, a message behind queued ones, a closing socket) takes Uvicorn's way, in order.
        """
        if self.curr_msg_data_type != "text" or self.close_sent:
            super().send_receive_event_to_app()
            return
        frames = self.frames
        data = frames[0] if len(frames) == 1 else b"".join(frames)
        try:
            text = data.decode()
        except UnicodeDecodeError:
            self.frames = []
            self._refuse_text_not_utf8()
            return
        handler = self.on_text
        if handler is None or not self.queue.empty():
            super().send_receive_event_to_app()
            return
        self.frames = []
        handler(text)

    def _take_text(self, payload: bytes) -> None:
        """Take a whole text message the splitter unmasked, without keeping it as frames first.

        As `send_receive_event_to_app` takes one; through it when it must queue. An ASCII
        message is valid UTF-8 as it is, so the handler gets its bytes, which the JSON parser
        reads as it reads the text, and the decode is saved (1% of a relay's instructions); any
        other is decoded here, so that one that is not UTF-8 still fails with 1007.
        """
        handler = self.on_text
        # The inbox's items read without its empty(): this runs for every message.
        if handler is None or self.close_sent or self.queue._items:  # type: ignore[attr-defined]
            self.curr_msg_data_type = "text"
            self.frames = [payload]
            self.send_receive_event_to_app()
            return
        if payload.isascii():  # UTF-8 as it is (nearly every message): parsed from its bytes
            handler(payload)
            return
        try:
            text = payload.decode()
        except UnicodeDecodeError:
            self._refuse_text_not_utf8()
            return
        handler(text)

    def _refuse_text_not_utf8(self) -> None:
        """Fail the connection with 1007, as RFC 6455 requires, and as Uvicorn does.

        Uvicorn also logs it as an exception with its traceback: a client's bad bytes are no
        error of the server's, and any client could fill its log with them.
        """
        log.debug("closing %s with 1007: a text message that is not UTF-8", self.client)
        self.conn.fail(CloseCode.INVALID_TEXT, "a text message must be UTF-8")
        self.handle_parser_exception()

    def data_received(self, data: bytes) -> None:
        """Uvicorn's, except that once the connection has failed what arrives is dropped, and
        that once the upgrade is done this protocol splits the frames itself."""
        if self.conn.parser_exc is not None:
            self.conn.receive_data(data)  # websockets discards it, up to the device's EOF
            return
        if self._split:
            self._split_frames(data)
            return
        if self._split is None:
            if self._held_for_the_answer(data):
                return
            self._decide_split(data)
            if self._split:
                self._split_frames(data)
                return
        super().data_received(data)

    def _held_for_the_answer(self, data: bytes) -> bool:
        """Keep what comes after the request until the 101 is out (see `start_keepalive`).

        A device should wait for the server's answer before it sends a frame; one that does
        not (even in the request's own segment: see `realtime.upgrade`) must not be answered
        before it: websockets would write the pong to an early ping ahead of the 101, which
        the device then cannot read. Held, those bytes reach websockets' parser only once it
        is past the answer, at the start of a frame. Reading pauses meanwhile, so that a
        device cannot pile up more than one read here.
        """
        if self.handshake_complete or self._edge is not None:
            return False  # the answer is out, or the request is still coming
        self._early = data if self._early is None else self._early + data
        self.transport.pause_reading()
        return True

    def start_keepalive(self) -> None:
        """Uvicorn's, which it calls once it has written the 101: then what came early is taken."""
        super().start_keepalive()
        early, self._early = self._early, None
        if early is not None:
            self.transport.resume_reading()
            self.data_received(early)

    def _decide_split(self, data: bytes) -> None:
        """Split frames from now on only if websockets' parser is at the start of a frame.

        It is when it has been given the upgrade request and nothing after it: a device sends
        its first frame once it has the server's answer, which is sent once the app accepts
        (then `handshake_complete`); what a device sent before that was held until then
        (`_held_for_the_answer`).
        """
        if self.handshake_complete:
            if self._edge is None:  # the request, and nothing after it, went to websockets
                conn = self.conn
                self._split = not conn.extensions and not conn.reader.buffer
                # The biggest frame the splitter unmasks itself: websockets' limits, as its
                # parser applies them; fixed for the connection, so read once, not per read.
                limit = conn.max_message_size
                if conn.max_fragment_size is not None:
                    limit = min(conn.max_fragment_size, limit or conn.max_fragment_size)
                self._limit = math.inf if limit is None else limit
            else:
                self._split = False
            self._edge = None
            return
        assert self._edge is not None  # what follows the request is held (_held_for_the_answer)
        seen = self._edge + data
        end = seen.find(b"\r\n\r\n")  # the first blank line ends the request's head
        if end < 0:
            self._edge = seen[-3:]
        elif end + 4 == len(seen):
            self._edge = None
        else:
            self._split = False
            self._edge = None

    def _split_frames(self, data: bytes) -> None:
        """Take the frames in `data` (after what `_partial` holds), as websockets would.

        A whole, final, masked text frame without reserved bits, outside a fragmented message,
        is unmasked here and handled as Uvicorn handles a text frame, and so is a pong as
        Uvicorn handles one (websockets' own handling of a pong is to do nothing). Any other
        whole frame goes to websockets as it came, which answers pings, checks and assembles
        fragments, and closes. A frame over the size limit, unmasked or with reserved bits
        hands websockets the rest of the stream from its first byte: it fails the connection
        as it would have (1009, 1002), and so does a frame it refuses (then, or once closing,
        websockets takes the rest as well).
        """
        if self._partial is not None:
            data = self._partial + data
            self._partial = None
        conn = self.conn
        limit = self._limit
        end = len(data)
        at = 0
        while end - at >= 2:
            head1 = data[at]
            head2 = data[at + 1]
            length = head2 & 0x7F
            start = at + 6  # after the 2-byte header and the 4-byte mask
            if length == 126:
                start += 2
                if end < start:
                    break
                length = data[at + 2] << 8 | data[at + 3]
            elif length == 127:
                start += 8
                if end < start:
                    break
                length = int.from_bytes(data[at + 2 : at + 10], "big")
            if not head2 & 0x80 or head1 & 0x70 or length > limit:
                self._split = False
                super().data_received(data[at:])
                return
            stop = start + length
            if stop > end:
                break
            if head1 == 0x81 and conn.current_size is None:  # FIN, TEXT, no fragment open
                self._take_text(apply_mask(data[start:stop], data[start - 4 : start]))
            elif head1 == 0x8A and length < 126:  # FIN, PONG, a control frame's length
                self._take_pong(apply_mask(data[start:stop], data[start - 4 : start]))
            else:
                super().data_received(data[at:stop])
                if conn.parser_exc is not None or conn.state is not State.OPEN:
                    self._split = False
                    if stop < end:
                        self.data_received(data[stop:])
                    return
            at = stop
        if at < end:
            self._partial = data[at:]

    def send_keepalive_ping(self) -> None:
        """Uvicorn's keepalive ping, written as its frame: the same payload, timers and checks.

        Uvicorn has websockets build each one (a Frame object, its checks, `struct`) and
        collects it with `data_to_send`: with a device pinged every 20 s, 250 pings a second at
        5,000 devices. websockets keeps no state of the pings it sends, and allows one while
        the connection is open or closing, which it is from the 101 on (Uvicorn never gives it
        the EOF that would make it closed); a ping is never compressed.
        """
        self.ping_timer = None
        transport = self.transport
        if self.close_sent or transport.is_closing():
            return
        # Random, as Uvicorn's: a pong answering an earlier ping does not settle this one.
        payload = self.pending_ping_payload = struct.pack("!I", random.getrandbits(32))
        self.ping_sent_at = self.loop.time()
        transport.write(PING_HEADER + payload)
        if self.ping_timeout is not None:
            self.pong_timer = self.loop.call_later(self.ping_timeout, self.keepalive_timeout)
        else:  # pragma: no cover (hoststand always sets a timeout)
            self.schedule_ping()

    def handle_pong(self, event: Frame) -> None:
        """A pong websockets parsed (when this protocol does not split the frames)."""
        self._take_pong(bytes(event.data))

    def _take_pong(self, payload: bytes) -> None:
        """Settle the ping in flight if `payload` is its, as Uvicorn's `handle_pong` does.

        An unsolicited pong, or one answering an earlier ping, is ignored: the deadline stands.
        """
        if payload != self.pending_ping_payload:
            return
        self.last_ping_rtt = self.loop.time() - self.ping_sent_at
        self.pending_ping_payload = None
        # The next ping is chained here, once the pong is in (Uvicorn's way with a timeout).
        pong_timer = self.pong_timer
        if pong_timer is not None:
            pong_timer.cancel()
            self.pong_timer = None
            self.schedule_ping()

    def handle_parser_exception(self) -> None:
        """Fail the connection with its close frame then a half-close, as websockets' does.

        That is for a message over the limit (1009), a broken frame (1002) and a text that is
        not UTF-8 (1007). Uvicorn closes the socket at once, while the device may still be
        sending the rest of its frame: that data then draws a reset, and a device that has not
        yet read the close frame loses it, and the code with it. The socket is closed on the
        device's EOF (see `eof_received`) or after the close timeout, as after any close the
        app sends.
        """
        close = self.conn.close_sent
        assert close is not None
        self.queue.put_nowait(
            {"type": "websocket.disconnect", "code": close.code, "reason": close.reason}
        )
        self.close_sent = True
        transport = self.transport
        for data in self.conn.data_to_send():
            if data:
                transport.write(data)
            elif transport.can_write_eof():
                transport.write_eof()
            else:  # TLS cannot half-close
                transport.close()
        if self.read_paused:
            self.read_paused = False
            transport.resume_reading()
        if self.close_timer is None:
            self.close_timer = self.loop.call_later(self.close_timeout, transport.close)

    async def receive(self) -> ASGIReceiveEvent:
        """Uvicorn's `receive`, awaiting the inbox's future itself.

        An idle device's ASGI app is suspended in here for as long as it stays connected; a
        coroutine of the inbox's beneath it would be one more frame per device.
        """
        inbox: Inbox = self.queue  # type: ignore[assignment]
        while inbox.empty():
            await inbox.arrival()
        message: ASGIReceiveEvent = inbox.get_nowait()
        if self.read_paused and inbox.empty():
            self.read_paused = False
            self.transport.resume_reading()
        return message
