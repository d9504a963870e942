"""Fixtures of the conflict tests: many requests at once, against one server or two processes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Backend, Restaurant
from tests.servers import ADMIN_TOKEN, ProcessServer

CONCURRENCY = 50


@dataclass(frozen=True)
class Crowd:
    """Clients of one or more servers of the same database, used to fire requests at once."""

    clients: list[httpx.AsyncClient]

    async def fire(
        self, method: str, paths_and_bodies: list[tuple[str, dict[str, Any] | None]], token: str
    ) -> list[httpx.Response]:
        """Send every request at the same time, round-robin over the servers; all responses."""
        headers = {"Authorization": f"Bearer {token}"}

        def send(i: int, path: str, body: dict[str, Any] | None) -> Awaitable[httpx.Response]:
            client = self.clients[i % len(self.clients)]
            return client.request(method, f"/api/v1/{path}", json=body, headers=headers)

        return list(
            await asyncio.gather(*(send(i, p, b) for i, (p, b) in enumerate(paths_and_bodies)))
        )

    async def gather(
        self, requests: list[tuple[str, str, dict[str, Any] | None, dict[str, str]]]
    ) -> list[httpx.Response]:
        """Send (method, path, body, headers) requests at the same time, round-robin."""
        return list(
            await asyncio.gather(
                *(
                    self.clients[i % len(self.clients)].request(
                        method, f"/api/v1/{path}", json=body, headers=headers
                    )
                    for i, (method, path, body, headers) in enumerate(requests)
                )
            )
        )


def crowd_client(base_url: str) -> httpx.AsyncClient:
    """A client with a connection for each concurrent request, so none queues client-side."""
    limits = httpx.Limits(max_connections=CONCURRENCY + 10, max_keepalive_connections=CONCURRENCY)
    return httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60.0)


@pytest.fixture(scope="module")
def two_processes(
    backend: Backend, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[ProcessServer]]:
    """Two `hoststand serve` processes on the test database: the shape of a scaled-out deploy."""
    logs = tmp_path_factory.mktemp("serve-logs")
    env = {
        "HOSTSTAND_DATABASE_URL": backend.url,
        "HOSTSTAND_ADMIN_TOKEN": ADMIN_TOKEN,
        "HOSTSTAND_AUTH_FAILURE_LIMIT": "1000",
        "HOSTSTAND_LOG_LEVEL": "warning",
    }
    if backend.schema:
        env["HOSTSTAND_DATABASE_SCHEMA"] = backend.schema
    servers: list[ProcessServer] = []
    try:
        for i in range(2):
            servers.append(ProcessServer(env, log_path=Path(logs) / f"serve-{i}.log").start())
        yield servers
    finally:
        for srv in servers:
            srv.stop()


@pytest.fixture(params=["one server", "two processes"])
async def crowd(request: pytest.FixtureRequest, restaurant: Restaurant) -> AsyncIterator[Crowd]:
    """Clients of the shared server, or of two `hoststand serve` processes on the same database."""
    if request.param == "one server":
        urls = [restaurant.api.base_url]
    else:
        urls = [srv.base_url for srv in request.getfixturevalue("two_processes")]
    clients = [crowd_client(url) for url in urls]
    try:
        yield Crowd(clients)
    finally:
        for client in clients:
            await client.aclose()


async def all_events(restaurant: Restaurant) -> list[dict[str, Any]]:
    """Every event of the restaurant's log, read through GET .../events."""
    events: list[dict[str, Any]] = []
    after = 0
    while True:
        page = await restaurant.api.ok("GET", f"{restaurant.path}/events?after={after}&limit=1000")
        events.extend(page["events"])
        if page["next_after"] >= page["seq"]:
            return events
        after = page["next_after"]
