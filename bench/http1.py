"""A minimal HTTP/1.1 keep-alive client for the load generator.

The load generator shares the machine with the server it measures. httpx costs about 0.8 ms
of CPU per request here, three times what the server spends answering /healthz: at 1,000
writes/s the generator alone would take most of a core from the server. This client writes a
request and reads a Content-Length response over connections it keeps open, at about 0.05 ms.
It knows exactly what it needs for hoststand's JSON API, and no more.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping

STATUS_LINE_PREFIX = b"HTTP/1.1 "
# Uvicorn closes a connection idle for 5 s (timeout_keep_alive): one idle longer than this is
# not reused, so that a request never goes out on a connection the server is closing.
MAX_IDLE_SECONDS = 2.0

_Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class ConnectionPool:
    """Keep-alive connections to one server; a request takes an idle one or opens another."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._idle: list[tuple[float, _Connection]] = []  # (idle since, connection)
        self._all: list[asyncio.StreamWriter] = []

    async def request(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes = b""
    ) -> tuple[int, bytes]:
        """Send one request and return (status, body); a broken connection is dropped."""
        reader, writer = self._take_idle() or await self._open()
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        head += [f"{name}: {value}" for name, value in headers.items()]
        if body:
            head += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
        writer.write("\r\n".join(head).encode() + b"\r\n\r\n" + body)
        try:
            status, content, keep_alive = await _read_response(reader)
        except BaseException:
            writer.close()
            raise
        if keep_alive:
            self._idle.append((time.monotonic(), (reader, writer)))
        else:
            writer.close()
        return status, content

    def _take_idle(self) -> _Connection | None:
        while self._idle:
            since, (reader, writer) = self._idle.pop()
            if time.monotonic() - since < MAX_IDLE_SECONDS and not reader.at_eof():
                return reader, writer
            writer.close()
        return None

    async def _open(self) -> _Connection:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        self._all.append(writer)
        return reader, writer

    async def close(self) -> None:
        """Close every connection."""
        for writer in self._all:
            writer.close()
        self._all.clear()
        self._idle.clear()


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """(status, body, whether the connection stays open) of one response."""
    head = await reader.readuntil(b"\r\n\r\n")
    if not head.startswith(STATUS_LINE_PREFIX):
        raise ConnectionError(f"not an HTTP/1.1 response: {head[:40]!r}")
    status = int(head[len(STATUS_LINE_PREFIX) : len(STATUS_LINE_PREFIX) + 3])
    length, keep_alive = 0, True
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection":
            keep_alive = value.strip().lower() != b"close"
        elif name == b"transfer-encoding":
            raise ConnectionError("chunked responses are not supported by this client")
    return status, await reader.readexactly(length), keep_alive
