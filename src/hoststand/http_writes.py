"""One write per HTTP response: the response's head waits for its body.

Uvicorn's httptools protocol writes a response's head when the app starts the response and its
body when the app sends it (uvicorn 0.54, `RequestResponseCycle.send`): two `write` system
calls per response, and two wake-ups of the client, for the head and the body that every
route here sends back to back. `HeldHead` stands in for a request's transport and keeps the
head until the next write, which then carries both. A guest update cost the server 4-6% less
CPU this way (docs/BENCHMARKS.md).

What the protocol writes on a request's transport is, in order: an interim `100 Continue` if
the client asked for one, the head, then the body's parts. Only the first write that is not
the interim response is held, and only until the next write, a close or the response's end:
a body that comes late (a stream) takes its head with it, a response without a body written
(to a HEAD request) sends its head as it ends, and a response the app gives up on after its
head still sends the head before the connection closes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

# The only response Uvicorn writes ahead of the head (for a request with `Expect: 100-continue`).
_INTERIM = b"HTTP/1.1 100 "


class HeldHead:
    """A request's transport that holds the response's head until its body is written."""

    __slots__ = ("_held", "_on_response", "_passing", "_transport")

    def __init__(self, transport: asyncio.Transport, on_response: Callable[[], None]) -> None:
        self._transport = transport
        self._on_response = on_response
        self._held: bytes | None = None
        self._passing = False  # the head went out: write everything as it comes

    def write(self, data: bytes) -> None:
        """Hold the head; write anything else, after the head if it is held."""
        if self._passing or self._held is not None:
            self._flush(data)
        elif data.startswith(_INTERIM):
            self._transport.write(data)
        else:
            self._held = data

    def close(self) -> None:
        """Write what is held, then close."""
        self._flush()
        self._transport.close()

    def response_complete(self) -> None:
        """The request's cycle says its response is complete: write what is held, then tell
        the protocol, as the cycle would have."""
        self._flush()
        self._on_response()

    def _flush(self, data: bytes = b"") -> None:
        """Write `data`, after the head if it is held; from now on nothing is held."""
        self._passing = True
        held, self._held = self._held, None
        if held is not None:
            data = held + data
        if data:
            self._transport.write(data)

    def __getattr__(self, name: str) -> Any:
        # The rest of the transport (is_closing, get_extra_info, ...) as it is.
        return getattr(self._transport, name)
