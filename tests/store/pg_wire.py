"""A proxy in front of PostgreSQL that counts the round trips its clients make.

A client of PostgreSQL's extended protocol waits for the server's answer after each Sync (a
simple Query, too, is answered before the next goes out), so the Syncs and Queries it sends
are its round trips. The proxy answers "no" to a request for TLS itself, so that it can read
the messages, and forwards everything else as it comes.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections.abc import AsyncIterator

# The codes of the untyped requests a client may send before its startup message.
TLS_REQUEST, GSS_REQUEST = 80877103, 80877104
ROUND_TRIP_MESSAGES = (b"S", b"Q")  # Sync, Query


class RoundTripProxy:
    """Forwards loopback connections to a PostgreSQL server; `round_trips` counts theirs."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.round_trips = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def listening_port(self) -> int:
        """The port clients connect to instead of PostgreSQL's."""
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        """Listen on a free loopback port."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)

    async def close(self) -> None:
        """Stop listening and drop every connection."""
        if self._server is not None:
            self._server.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _serve(
        self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        server_out: asyncio.StreamWriter | None = None
        try:
            startup = await self._startup(client_in, client_out)
            server_in, server_out = await asyncio.open_connection(self.host, self.port)
            server_out.write(startup)
            await asyncio.gather(
                self._from_client(client_in, server_out), _pipe(server_in, client_out)
            )
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            client_out.close()
            if server_out is not None:
                server_out.close()
            self._tasks.discard(task)

    async def _startup(
        self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter
    ) -> bytes:
        """The client's startup message, once it has given up asking for TLS or GSS."""
        while True:
            head = await client_in.readexactly(8)
            length, code = struct.unpack("!ii", head)
            if code not in (TLS_REQUEST, GSS_REQUEST):
                return head + await client_in.readexactly(length - 8)
            client_out.write(b"N")

    async def _from_client(
        self, client_in: asyncio.StreamReader, server_out: asyncio.StreamWriter
    ) -> None:
        while True:
            head = await client_in.readexactly(5)
            kind, length = head[:1], struct.unpack("!i", head[1:])[0]
            server_out.write(head + await client_in.readexactly(length - 4))
            if kind in ROUND_TRIP_MESSAGES:
                self.round_trips += 1


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    while data := await source.read(65536):
        sink.write(data)
    sink.close()


@contextlib.asynccontextmanager
async def round_trip_proxy(host: str, port: int) -> AsyncIterator[RoundTripProxy]:
    """A RoundTripProxy to PostgreSQL at host:port, listening until the block ends."""
    proxy = RoundTripProxy(host, port)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.close()
