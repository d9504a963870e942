"""Fixtures for running several instances: Redis (shared or the test's own) and serve processes."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Protocol

import pytest
import redis

from tests.conftest import REDIS_URL, Api, Backend, service_missing
from tests.scaleout.redis_server import RedisServer, redis_server_binary
from tests.servers import ADMIN_TOKEN, ProcessServer


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The shared Redis of the test run (HOSTSTAND_TEST_REDIS_URL); tests use fresh channels."""
    if not REDIS_URL:
        service_missing("Redis tests need HOSTSTAND_TEST_REDIS_URL")
    assert REDIS_URL is not None
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=2.0, socket_connect_timeout=2.0)
    try:
        client.ping()
    except redis.ConnectionError as exc:
        service_missing(f"Redis at HOSTSTAND_TEST_REDIS_URL is unreachable: {exc}")
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture
def own_redis(redis_url: str, tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test only, which it may stop and restart."""
    if redis_server_binary() is None:
        service_missing("tests that stop Redis need the redis-server executable")
    server = RedisServer(log_path=tmp_path / "redis-server.log").start()
    yield server
    server.stop()


class Launch(Protocol):
    """Starts one `hoststand serve` process."""

    def __call__(self, broker_url: str, **settings: str) -> ProcessServer: ...


@pytest.fixture
def launch(postgres_backend: Backend, tmp_path: Path) -> Iterator[Launch]:
    """Start `hoststand serve` processes sharing one PostgreSQL schema; stopped at the end.

    Keyword arguments are settings: `launch(url, fault_kill_after_commit="1")`.
    """
    started: list[ProcessServer] = []
    numbers = itertools.count()  # next() is atomic: tests may start instances from threads

    def start(broker_url: str, **settings: str) -> ProcessServer:
        env = {
            "HOSTSTAND_DATABASE_URL": postgres_backend.url,
            "HOSTSTAND_DATABASE_SCHEMA": postgres_backend.schema or "",
            "HOSTSTAND_BROKER_URL": broker_url,
            "HOSTSTAND_ADMIN_TOKEN": ADMIN_TOKEN,
            "HOSTSTAND_AUTH_FAILURE_LIMIT": "10000",
            "HOSTSTAND_DATABASE_POOL_SIZE": "4",
        }
        env.update({f"HOSTSTAND_{name.upper()}": value for name, value in settings.items()})
        server = ProcessServer(env, log_path=tmp_path / f"instance-{next(numbers)}.log")
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()


class Clients:
    """API clients of several instances, closed at the end of the test."""

    def __init__(self) -> None:
        self._open: list[Api] = []

    def __call__(self, server: ProcessServer, token: str | None = ADMIN_TOKEN) -> Api:
        """A client of `server` with `token` (the admin's by default)."""
        api = Api(server.base_url, token)
        self._open.append(api)
        return api

    async def close(self) -> None:
        """Close every client."""
        for api in self._open:
            await api.close()


@pytest.fixture
async def clients() -> AsyncIterator[Clients]:
    """Make API clients of any instance; they close at the end of the test."""
    made = Clients()
    yield made
    await made.close()
