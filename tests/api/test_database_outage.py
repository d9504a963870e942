"""A database that cannot serve gets 503 database_unavailable, in words, and not a 500."""

from __future__ import annotations

import logging
import secrets
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from hoststand.store import failures, migrate
from tests.api.checks import expect_error
from tests.api.test_health import _broken_database_url
from tests.conftest import ADMIN_TOKEN, POSTGRES_URL, Backend, postgres_role, service_missing
from tests.servers import ThreadServer

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def _requests(server: ThreadServer) -> list[httpx.Response]:
    """A read and a write as the admin, and a read with a host's token the server never saw."""
    base = f"{server.base_url}/api/v1/restaurants"
    host = {"Authorization": f"Bearer hs_{secrets.token_urlsafe(32)}"}
    return [
        httpx.get(base, headers=ADMIN),
        httpx.post(base, headers=ADMIN, json={"name": "Chez Panne"}),
        httpx.get(f"{base}/00000000-0000-4000-8000-000000000001", headers=host),
    ]


def _listed(backend: Backend) -> httpx.Response:
    """The admin's list of restaurants from a server on `backend`, stopped afterwards."""
    server = ThreadServer(backend.settings()).start()
    try:
        return httpx.get(f"{server.base_url}/api/v1/restaurants", headers=ADMIN)
    finally:
        server.stop()


def _tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.exc_info and r.levelno >= logging.INFO]


@pytest.mark.parametrize(
    ("case", "said"),
    [
        (
            "sqlite-no-directory",
            "unreachable: cannot open the SQLite file: does its directory exist, and may "
            "hoststand write there?",
        ),
        ("postgres-refused", "unreachable: connection refused"),
        (
            "postgres-no-database",
            "unreachable: the database named in HOSTSTAND_DATABASE_URL does not exist",
        ),
    ],
)
def test_a_request_the_database_cannot_serve_is_told_to_try_again(
    tmp_path: Path, case: str, said: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    password = f"pw-{secrets.token_hex(8)}"
    url = _broken_database_url(case, tmp_path, password)
    server = ThreadServer(Backend(case, url).settings()).start()
    try:
        responses = _requests(server)
    finally:
        server.stop()
    for response in responses:
        error = expect_error(response, 503, "database_unavailable")
        assert "try again" in error["message"]
        assert response.headers["Retry-After"] == "2"
        assert password not in response.text
    warned = [r.getMessage() for r in caplog.records if r.name == "hoststand.api.errors"]
    assert warned == [f"request failed: database {said}"] * len(responses)
    assert _tracebacks(caplog) == []
    assert password not in caplog.text


def test_a_file_that_is_no_database_is_still_a_500(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Trying again cannot help: it is an operator's to fix, and the traceback is logged.
    url = _broken_database_url("sqlite-not-a-database", tmp_path, "")
    response = _listed(Backend("garbage", url))
    expect_error(response, 500, "internal_error")
    assert "Retry-After" not in response.headers
    assert _tracebacks(caplog) == ["unhandled error"]


def test_requests_are_served_again_once_the_database_is_back(tmp_path: Path) -> None:
    path = tmp_path / "not-yet" / "hoststand.db"
    url = f"sqlite+aiosqlite:///{path}"
    server = ThreadServer(Backend("sqlite", url).settings()).start()
    try:
        base = f"{server.base_url}/api/v1/restaurants"
        expect_error(httpx.get(base, headers=ADMIN), 503, "database_unavailable")
        path.parent.mkdir()
        migrate.upgrade(url)
        created = httpx.post(base, headers=ADMIN, json={"name": "Le Retour"})
        assert created.status_code == 201, created.text
        listed = httpx.get(base, headers=ADMIN)
    finally:
        server.stop()
    assert listed.status_code == 200, listed.text
    assert [r["name"] for r in listed.json()["items"]] == ["Le Retour"]


@pytest.fixture
async def full_role() -> AsyncIterator[str]:
    """The URL of a PostgreSQL role that may open no connection: the server has none left."""
    if not POSTGRES_URL:
        service_missing("PostgreSQL tests need HOSTSTAND_TEST_POSTGRES_URL")
    limit = "ALTER ROLE {role} CONNECTION LIMIT 0"
    async with postgres_role(str(POSTGRES_URL), "hs_full", limit) as url:
        yield url


def test_a_database_out_of_connections_is_told_as_such(
    full_role: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    response = _listed(Backend("postgres", full_role))
    expect_error(response, 503, "database_unavailable")
    said = "request failed: database unreachable: the server has no connection left"
    assert said + " (max_connections)" in caplog.messages
    assert _tracebacks(caplog) == []


def test_a_file_locked_by_another_process_and_a_full_pool_pass_by_themselves(
    tmp_path: Path,
) -> None:
    path = tmp_path / "locked.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(sqlite3.OperationalError) as locked:
            sqlite3.connect(path, timeout=0, isolation_level=None).execute("BEGIN IMMEDIATE")
    finally:
        holder.close()
    assert failures.unavailable(OperationalError("BEGIN IMMEDIATE", None, locked.value))

    engine = sa.create_engine(f"sqlite:///{path}", pool_size=1, max_overflow=0, pool_timeout=0)
    try:
        with engine.connect(), pytest.raises(sa.exc.TimeoutError) as full:
            engine.connect()
    finally:
        engine.dispose()
    assert failures.unavailable(full.value)
    assert not failures.unavailable(ZeroDivisionError("a bug"))
