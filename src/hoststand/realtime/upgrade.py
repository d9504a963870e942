"""The HTTP protocol `serve` runs: it hands a socket over to the devices' WebSocket protocol,
bytes and all, and writes each response in one piece (hoststand.http_writes).

Uvicorn's httptools protocol, on an upgrade request, gives the WebSocket protocol a copy of the
request it rebuilds from the parsed headers, and nothing of what came after the request in the
same read (uvicorn 0.54, `HttpToolsProtocol.handle_websocket_upgrade`). A device that sends its
first frame (its restaurant_connect) right behind the request, without waiting for the 101,
loses it when both share a TCP segment: it then waits for an answer that never comes, until the
handshake's deadline closes it. RFC 6455 asks clients to wait; some do not, and the bytes are
the device's all the same. `UpgradingProtocol` passes them on.
"""

from __future__ import annotations

import asyncio
import sys
from typing import cast

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from hoststand.http_writes import HeldHead

SERVED_BY = "hoststand.realtime.upgrade:UpgradingProtocol"  # for uvicorn.Config(http=...)


class UpgradingProtocol(HttpToolsProtocol):
    """Uvicorn's httptools protocol, except that what follows an upgrade request is kept, and
    that a response's head and body go out in one write."""

    _reading = b""  # the data being parsed, during data_received

    def data_received(self, data: bytes) -> None:
        """Uvicorn's, keeping `data` at hand while it is parsed, for an upgrade to pass on.

        Every HTTP read comes here: the base class is named rather than found with super(),
        which costs several times more on Python 3.11.
        """
        self._reading = data
        HttpToolsProtocol.data_received(self, data)
        self._reading = b""

    def on_headers_complete(self) -> None:
        """Uvicorn's; the request's cycle, if it made one, writes through a HeldHead."""
        cycle = self.cycle
        HttpToolsProtocol.on_headers_complete(self)
        new = self.cycle
        if new is not cycle and new is not None:  # not for an upgrade
            held = HeldHead(self.transport, new.on_response)
            new.transport = held  # type: ignore[assignment]
            new.on_response = held.response_complete

    def handle_websocket_upgrade(self) -> None:
        """Upgrade as Uvicorn does, then give the WebSocket protocol the rest of the read.

        Uvicorn calls this while it handles httptools' HttpParserUpgrade, whose one argument
        is where the request ends in the data being parsed: what follows is the device's
        first WebSocket bytes, handed on once the WebSocket protocol has the request.
        """
        super().handle_websocket_upgrade()
        upgrade = sys.exc_info()[1]
        if not isinstance(upgrade, httptools.HttpParserUpgrade):  # pragma: no cover
            return  # a Uvicorn that upgrades elsewhere: nothing here to pass on
        rest = self._reading[upgrade.args[0] :]
        if rest and not self.transport.is_closing():  # not refused at once (a 403, say)
            cast(asyncio.Protocol, self.transport.get_protocol()).data_received(rest)
