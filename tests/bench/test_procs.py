"""The benchmarks' servers: a server that logs a line per request keeps serving."""

from __future__ import annotations

import contextlib
import socket
import sys
import threading

import httpx
import pytest

from bench import fixtures, procs

# More than a pipe's buffer (64 KiB) of access log lines, at about 80 bytes a line.
PIPE_BUFFER_BYTES = 64 * 1024
REQUESTS = 2 * PIPE_BUFFER_BYTES // 80


def test_a_server_logging_every_request_serves_more_than_a_pipe_buffer_of_them() -> None:
    env = {"HOSTSTAND_DATABASE_URL": fixtures.fresh_sqlite(), "HOSTSTAND_LOG_LEVEL": "info"}
    with procs.serving(procs.hoststand(env)) as server, httpx.Client(timeout=10) as client:
        for _ in range(REQUESTS):
            assert client.get(server.base_url + "/healthz").status_code == 200
        assert "GET /healthz" in server.output_tail()
        # It wrote more than a pipe holds: the test reached the case it is about.
        assert server.output is not None
        assert server.output.seek(0, 2) > PIPE_BUFFER_BYTES


def test_a_server_that_fails_to_start_says_what_it_wrote() -> None:
    env = {"HOSTSTAND_DATABASE_URL": "mysql://nowhere/db"}
    server = procs.hoststand(env)
    try:
        with pytest.raises(RuntimeError, match=r"exited with 2: (?s:.*)HOSTSTAND_DATABASE_URL"):
            server.start()
    finally:
        server.stop()


def test_a_server_whose_port_another_process_took_starts_on_another() -> None:
    # What a test run beside the benchmark may do between free_port and the server's bind: the
    # health check is then answered by the other process, while this one cannot listen.
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        other = threading.Thread(target=_answer_every_request, args=(taken,), daemon=True)
        other.start()
        server = procs.Server(
            "http.server",
            [sys.executable, "-m", "http.server", "{port}", "--bind", "127.0.0.1"],
            port=port,
            health_path="/",
        )
        with procs.serving(server):
            assert server.port != port
            assert httpx.get(server.base_url + "/", timeout=5).status_code == 200


def _answer_every_request(listening: socket.socket) -> None:
    with contextlib.suppress(OSError):  # the listening socket closed at the test's end
        while True:
            conn, _ = listening.accept()
            with conn:
                conn.recv(4096)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
