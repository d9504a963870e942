"""The benchmarks' servers: a server that logs a line per request keeps serving."""

from __future__ import annotations

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
