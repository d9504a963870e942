"""Each HTTP response goes out in one write: its head waits for its body (hoststand.http_writes)."""

from __future__ import annotations

import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from tests.conftest import Backend
from tests.servers import ADMIN_TOKEN, ThreadServer

READ_TIMEOUT = 5.0


def _writes_of(thread: threading.Thread) -> int:
    """The write system calls `thread` has made so far (a socket send included)."""
    io = Path(f"/proc/self/task/{thread.native_id}/io").read_text()
    return int(next(line.split()[1] for line in io.splitlines() if line.startswith("syscw:")))


@pytest.fixture
def quiet_server(sqlite_backend: Backend) -> Iterator[ThreadServer]:
    """A server whose event loop writes nothing of its own while a test counts its writes.

    SQLite: the log poll reads without writing (and its sweep, on SQLite's thread, is an hour
    away).
    """
    srv = ThreadServer(
        sqlite_backend.settings(log_poll_interval_seconds=3600, log_sweep_interval_seconds=3600)
    ).start()
    yield srv
    srv.stop()


class Client:
    """One keep-alive HTTP/1.1 connection, read by hand: nothing buffers behind the test."""

    def __init__(self, server: ThreadServer) -> None:
        host, port = server.base_url.removeprefix("http://").split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=READ_TIMEOUT)
        self._data = b""

    def send(self, request: bytes) -> None:
        self.sock.sendall(request)

    def _receive(self) -> None:
        chunk = self.sock.recv(65536)
        assert chunk, "the server closed the connection"
        self._data += chunk

    def read_until(self, end: bytes) -> bytes:
        while end not in self._data:
            self._receive()
        found, _, self._data = self._data.partition(end)
        return found + end

    def response(self, *, head_only: bool = False) -> tuple[bytes, bytes]:
        """The next response's status line and its body (none to a HEAD request)."""
        head = self.read_until(b"\r\n\r\n")
        status = head.split(b"\r\n", 1)[0]
        length = next(
            int(line.split(b":")[1])
            for line in head.lower().split(b"\r\n")
            if line.startswith(b"content-length:")
        )
        if head_only:
            return status, b""
        while len(self._data) < length:
            self._receive()
        body, self._data = self._data[:length], self._data[length:]
        return status, body

    def close(self) -> None:
        self.sock.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts writes in Linux's /proc")
def test_a_response_goes_out_in_one_write(quiet_server: ThreadServer) -> None:
    client = Client(quiet_server)
    try:
        client.send(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
        assert client.response()[0] == b"HTTP/1.1 200 OK"  # the connection is set up
        before = _writes_of(quiet_server.thread)
        for _ in range(20):
            client.send(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
            status, body = client.response()
            assert (status, orjson.loads(body)) == (b"HTTP/1.1 200 OK", {"status": "ok"})
        # Uvicorn alone writes the head and the body apart: 40.
        assert _writes_of(quiet_server.thread) - before == 20
    finally:
        client.close()


def test_a_response_to_head_sends_its_head_without_a_body(quiet_server: ThreadServer) -> None:
    client = Client(quiet_server)
    try:
        for _ in range(2):  # on one connection: the head went out as the response ended
            client.send(b"HEAD /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
            assert client.response(head_only=True)[0] == b"HTTP/1.1 200 OK"
        client.send(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
        status, body = client.response()
        assert (status, orjson.loads(body)) == (b"HTTP/1.1 200 OK", {"status": "ok"})
    finally:
        client.close()


def test_a_100_continue_goes_out_before_the_body_is_sent(quiet_server: ThreadServer) -> None:
    body = orjson.dumps({"name": "Expecting"})
    client = Client(quiet_server)
    try:
        client.send(
            b"POST /api/v1/restaurants HTTP/1.1\r\nHost: test\r\n"
            + f"Authorization: Bearer {ADMIN_TOKEN}\r\n".encode()
            + b"Content-Type: application/json\r\nExpect: 100-continue\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
        )
        # A client waits for this before it sends the body: it is not held for the head.
        assert client.read_until(b"\r\n\r\n") == b"HTTP/1.1 100 Continue\r\n\r\n"
        client.send(body)
        status, answer = client.response()
        assert status == b"HTTP/1.1 201 Created"
        assert orjson.loads(answer)["name"] == "Expecting"
    finally:
        client.close()
