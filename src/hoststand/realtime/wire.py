"""Putting messages on a device's socket without a task or a coroutine per message.

The ASGI way to send costs a coroutine, a message dict, and (behind a writer task) a task wake-up
per device and message; at fan-out that is most of the server's CPU. Under uvicorn's
`websockets-sansio` implementation, which `hoststand serve` uses, the ASGI `send` is a bound method
of the connection's protocol object, whose send completes without suspending while its transport
is writable. `DirectSocket` does the same work synchronously: a frame built once per message for
every device (no extension negotiated), or framed per device by the protocol's own websockets state
machine when permessage-deflate is on (compression contexts are per connection). Anything else
(another ASGI server, a paused transport) takes the ordinary ASGI path behind a writer task.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.exceptions import InvalidState

from hoststand.realtime.protocol import Flag

# The header of every text frame under 1 KiB, built once (about 45 KB): pongs, errors,
# relayed user_actions and most events; a 16-bit length from 126 bytes on. Longer frames
# build theirs below.
_HEADERS = [bytes((0x81, size)) for size in range(126)] + [
    b"\x81\x7e" + size.to_bytes(2, "big") for size in range(126, 1024)
]


def text_frame(text: str | bytes) -> bytes:
    """A final, unmasked text frame carrying `text` (or its UTF-8), built once per message.

    RFC 6455 5.2: FIN and the text opcode, then the length in 7 bits, or 126 and 16 bits, or
    127 and 64 bits; a server's frames are not masked. websockets' `Frame.serialize` builds the
    same bytes through a Frame object, its checks and `struct`, at several times the cost.
    """
    data = text.encode() if isinstance(text, str) else text
    size = len(data)
    if size < 1024:
        return _HEADERS[size] + data
    if size < 0x10000:
        return b"\x81\x7e" + size.to_bytes(2, "big") + data
    return b"\x81\x7f" + size.to_bytes(8, "big") + data


# The protocol's attributes DirectSocket uses; an uvicorn that renamed them gets the ASGI path.
_USED = (
    "transport",
    "conn",
    "writable",
    "close_sent",
    "disconnected",
    "handshake_complete",
    "receive",
)


class DirectSocket:
    """Writes to uvicorn's websockets-sansio protocol of one connection, synchronously."""

    __slots__ = ("_flag", "_plain", "_protocol", "_transport")

    def __init__(self, protocol: Any) -> None:
        self._protocol = protocol
        # hoststand's own protocol's writable flag, read without a call for every message
        # (protocol.DeviceProtocol); None for another protocol's, asked through is_set().
        writable = getattr(protocol, "writable", None)
        self._flag: Flag | None = writable if type(writable) is Flag else None
        # What `write` reads for every message kept here, settled once, rather than read
        # through the protocol and websockets' connection object each time (each one more
        # object, and a cache miss, per delivery): the transport, the protocol's for good, and
        # once the upgrade is done, whether no extension was negotiated (`handshaken`).
        self._transport = protocol.transport
        self._plain = False

    @classmethod
    def behind(cls, send: Any) -> DirectSocket | None:
        """The direct socket behind an ASGI `send`, if it is uvicorn's websockets-sansio one."""
        protocol = getattr(send, "__self__", None)
        if not isinstance(protocol, WebSocketsSansIOProtocol):
            return None
        return cls(protocol) if all(hasattr(protocol, a) for a in _USED) else None

    def handle_texts(self, handler: Callable[[str | bytes], None] | None) -> None:
        """Have `handler` take each text message as it arrives, when nothing is queued before it
        (protocol.DeviceProtocol); None puts them back on the ASGI `receive`. A protocol other
        than hoststand's own keeps queueing them."""
        if hasattr(self._protocol, "on_text"):
            self._protocol.on_text = handler

    @property
    def receive(self) -> Any:
        """The protocol's own ASGI `receive`, without Starlette's state tracking around it."""
        return self._protocol.receive

    def handshaken(self) -> None:
        """The socket is accepted: settle what the upgrade decided, drop what only it needed.

        Settled: whether an extension was negotiated. Without one, `write` puts the frame
        built once for every device on the transport; until this runs, or with one (deflate),
        websockets frames each message for this device (the same bytes, at several times the
        cost).

        Dropped: Uvicorn holds the upgrade request and the response with their headers for as
        long as the connection lives, though it reads them only until the handshake is complete.
        So does websockets' parser: the request is a local of its generator, which runs until
        the connection ends, so its headers are emptied in place (about 3 KB per idle device).
        """
        protocol = self._protocol
        if protocol.handshake_complete:
            request = getattr(protocol, "request", None)
            if request is not None:
                request.headers.clear()
            protocol.request = protocol.response = None
            self._plain = not protocol.conn.extensions

    def write(self, text: str | bytes, frame: bytes | None = None) -> bool:
        """Send now; False when the transport is paused (the caller queues the message).

        A socket that is closing or gone takes the message and drops it, as an ASGI send to it
        would fail: the reader loop sees the end and the hub forgets the device.
        """
        protocol = self._protocol
        if protocol.close_sent or protocol.disconnected:
            return True
        flag = self._flag
        if not (flag.value if flag is not None else protocol.writable.is_set()):
            return False
        transport = self._transport
        if transport.is_closing():
            return True
        if self._plain:
            transport.write(frame if frame is not None else text_frame(text))
            return True
        conn = protocol.conn  # framed per device by websockets: deflated, or before the upgrade
        try:
            conn.send_text(text.encode() if isinstance(text, str) else text)
        except InvalidState:
            return True
        transport.write(b"".join(conn.data_to_send()))
        return True
