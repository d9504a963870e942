"""Fixtures: databases (SQLite always, PostgreSQL when configured), real servers, API clients.

Environment:
  HOSTSTAND_TEST_POSTGRES_URL   e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test
  HOSTSTAND_TEST_REDIS_URL      e.g. redis://127.0.0.1:6379/0
  HOSTSTAND_TEST_REQUIRE_SERVICES=1   an unreachable service fails the tests instead of skipping
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from hoststand.config import Settings
from hoststand.store import migrate
from tests.servers import ADMIN_TOKEN, ThreadServer

POSTGRES_URL = os.environ.get("HOSTSTAND_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("HOSTSTAND_TEST_REDIS_URL")
REQUIRE_SERVICES = os.environ.get("HOSTSTAND_TEST_REQUIRE_SERVICES") == "1"
ARTIFACTS = Path(__file__).parent.parent / "test-artifacts"


def service_missing(what: str) -> None:
    """Skip (on a laptop) or fail (in CI) when a service the test needs is not there."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} (HOSTSTAND_TEST_REQUIRE_SERVICES=1)")
    pytest.skip(what)


@dataclass(frozen=True)
class Backend:
    """A migrated database the tests can point servers at."""

    name: str
    url: str
    schema: str | None = None

    def settings(self, **overrides: Any) -> Settings:
        """Server settings on this database, with the test admin token."""
        values: dict[str, Any] = {
            "database_url": self.url,
            "database_schema": self.schema,
            "admin_token": ADMIN_TOKEN,
            "log_poll_interval_seconds": 0.5,
            "auth_failure_limit": 1000,
            # Short, so that tests waiting for rooms to close do not wait long; they still
            # see rooms outlive their last device (tests/realtime/test_room_linger.py).
            "room_linger_seconds": 0.2,
        }
        values.update(overrides)
        return Settings(**values)


def _sqlite_backend(tmp_root: Path) -> Backend:
    url = f"sqlite+aiosqlite:///{tmp_root / 'hoststand-test.db'}"
    migrate.upgrade(url)
    return Backend("sqlite", url)


async def _create_schema(url: str, schema: str, *, drop: bool = False) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            verb = f"DROP SCHEMA IF EXISTS {schema} CASCADE" if drop else f"CREATE SCHEMA {schema}"
            await conn.execute(sa.text(verb))
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def postgres_role(url: str, prefix: str, *options: str) -> AsyncIterator[str]:
    """A login role made for a test (`options`: SQL after its CREATE ROLE, one statement each,
    `{role}` standing for its name); the URL `url` with it as the user. Dropped afterwards."""
    role = f"{prefix}_{secrets.token_hex(4)}"
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(sa.text(f"CREATE ROLE {role} LOGIN"))
            for option in options:
                await conn.execute(sa.text(option.format(role=role)))
        try:
            yield sa.make_url(url).set(username=role).render_as_string(hide_password=False)
        finally:
            async with engine.connect() as conn:
                await conn.execute(sa.text(f"DROP ROLE {role}"))
    finally:
        await engine.dispose()


def _postgres_backend() -> Iterator[Backend]:
    if not POSTGRES_URL:
        service_missing("PostgreSQL tests need HOSTSTAND_TEST_POSTGRES_URL")
    assert POSTGRES_URL is not None
    schema = f"hs_test_{os.getpid()}_{secrets.token_hex(3)}"
    try:
        asyncio.run(_create_schema(POSTGRES_URL, schema))
    except OSError as exc:
        service_missing(f"PostgreSQL at HOSTSTAND_TEST_POSTGRES_URL is unreachable: {exc}")
    try:
        migrate.upgrade(POSTGRES_URL, schema=schema)
        yield Backend("postgres", POSTGRES_URL, schema)
    finally:
        asyncio.run(_create_schema(POSTGRES_URL, schema, drop=True))


@pytest.fixture(scope="session")
def sqlite_backend(tmp_path_factory: pytest.TempPathFactory) -> Backend:
    """A migrated SQLite file for the whole run."""
    return _sqlite_backend(tmp_path_factory.mktemp("sqlite"))


@pytest.fixture(scope="session")
def postgres_backend() -> Iterator[Backend]:
    """A migrated PostgreSQL schema for the whole run, dropped at the end."""
    yield from _postgres_backend()


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> Backend:
    """Each test using this runs once per database."""
    return request.getfixturevalue(f"{request.param}_backend")  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def server(backend: Backend) -> Iterator[ThreadServer]:
    """A real server per database, shared by the tests that need nothing special."""
    srv = ThreadServer(backend.settings()).start()
    yield srv
    srv.stop()


@pytest.fixture
def start_server(backend: Backend) -> Iterator[Callable[..., ThreadServer]]:
    """Start servers with special settings; they stop at the end of the test."""
    started: list[ThreadServer] = []

    def start(**overrides: Any) -> ThreadServer:
        srv = ThreadServer(backend.settings(**overrides)).start()
        started.append(srv)
        return srv

    yield start
    for srv in started:
        srv.stop()


class Api:
    """An HTTP client of one server, with the admin token unless told otherwise."""

    def __init__(self, base_url: str, token: str | None = ADMIN_TOKEN) -> None:
        self.base_url = base_url
        self.token = token
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30.0)

    def as_token(self, token: str | None) -> Api:
        """Another client of the same server, with another token (or none)."""
        return Api(self.base_url, token)

    async def close(self) -> None:
        """Close the connection pool."""
        await self.http.aclose()

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Any request, relative to /api/v1 unless the path starts with '/'."""
        url = path if path.startswith("/") else f"/api/v1/{path}"
        return await self.http.request(method, url, **kwargs)

    async def ok(self, method: str, path: str, status: int = 200, **kwargs: Any) -> Any:
        """A request that must succeed with `status`; its JSON body."""
        response = await self.request(method, path, **kwargs)
        assert response.status_code == status, (method, path, response.status_code, response.text)
        return response.json() if response.content else None

    async def restaurant(self, name: str = "Test Bistro", **fields: Any) -> Restaurant:
        """A new restaurant with an owner, a host and a viewer token."""
        body = await self.ok("POST", "restaurants", 201, json={"name": name, **fields})
        rid = body["id"]
        tokens = {}
        for role in ("owner", "host", "viewer"):
            issued = await self.ok(
                "POST",
                f"restaurants/{rid}/tokens",
                201,
                json={"name": f"{role} device", "role": role},
            )
            tokens[role] = issued["token"]
        return Restaurant(self, rid, body, tokens)


@dataclass
class Restaurant:
    """A restaurant made for one test, and shortcuts to fill it."""

    api: Api
    id: str
    body: dict[str, Any]
    tokens: dict[str, str]

    @property
    def path(self) -> str:
        """Its API path."""
        return f"restaurants/{self.id}"

    def client(self, role: str) -> Api:
        """An API client with this restaurant's token of `role`."""
        return self.api.as_token(self.tokens[role])

    async def table(
        self, label: str | None = None, capacity: int = 4, **fields: Any
    ) -> dict[str, Any]:
        """A new table."""
        label = label or f"T{uuid.uuid4().hex[:6]}"
        body = {"label": label, "capacity": capacity, **fields}
        return await self.api.ok("POST", f"{self.path}/tables", 201, json=body)  # type: ignore[no-any-return]

    async def guest(
        self, name: str = "Guest", party_size: int = 2, **fields: Any
    ) -> dict[str, Any]:
        """A new guest (a walk-in unless kind says otherwise)."""
        body = {"name": name, "party_size": party_size, **fields}
        return await self.api.ok("POST", f"{self.path}/guests", 201, json=body)  # type: ignore[no-any-return]

    async def snapshot(self) -> dict[str, Any]:
        """The current snapshot."""
        return await self.api.ok("GET", f"{self.path}/snapshot")  # type: ignore[no-any-return]


@pytest.fixture
async def api(server: ThreadServer) -> AsyncIterator[Api]:
    """An admin client of the shared server of the current database."""
    client = Api(server.base_url)
    yield client
    await client.close()


@pytest.fixture
async def restaurant(api: Api) -> Restaurant:
    """A fresh restaurant with owner, host and viewer tokens."""
    return await api.restaurant()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where tests save screenshots and logs for people to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
