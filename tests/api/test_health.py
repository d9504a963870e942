"""Open routes (/healthz, /readyz, /docs) and the error body of requests no route answers."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from tests.api.checks import expect_error
from tests.conftest import POSTGRES_URL, Api, Backend, Restaurant, _create_schema, service_missing
from tests.servers import ThreadServer, free_port

UNKNOWN = "11111111-2222-4333-8444-555555555555"


async def test_healthz_answers_without_a_token(api: Api) -> None:
    response = await api.as_token(None).request("GET", "/healthz")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"status": "ok"}


async def test_readyz_reports_a_reachable_migrated_database(api: Api) -> None:
    response = await api.as_token(None).request("GET", "/readyz")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["schema"] == "ok"


@pytest.fixture
def empty_database(backend: Backend, tmp_path: Path) -> Iterator[dict[str, str | None]]:
    """Settings of a database (a file, or a PostgreSQL schema) that was never migrated."""
    if backend.name == "sqlite":
        yield {"database_url": f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"}
        return
    schema = f"hs_empty_{secrets.token_hex(4)}"
    asyncio.run(_create_schema(backend.url, schema))
    try:
        yield {"database_schema": schema}
    finally:
        asyncio.run(_create_schema(backend.url, schema, drop=True))


def test_readyz_refuses_traffic_until_the_database_is_migrated(
    start_server: Callable[..., ThreadServer], empty_database: dict[str, str | None]
) -> None:
    server = start_server(**empty_database)
    assert httpx.get(f"{server.base_url}/healthz").status_code == 200
    response = httpx.get(f"{server.base_url}/readyz")
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert "hoststand migrate" in body["checks"]["schema"]


def _broken_database_url(case: str, tmp_path: Path, password: str) -> str:
    """The URL of a database that cannot serve, with `password` in it where it can be."""
    if case == "sqlite-no-directory":
        return f"sqlite+aiosqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}"
    if case == "sqlite-not-a-database":
        (tmp_path / "garbage.db").write_bytes(b"not a database " * 512)
        return f"sqlite+aiosqlite:///{tmp_path / 'garbage.db'}"
    if not POSTGRES_URL:
        service_missing("PostgreSQL tests need HOSTSTAND_TEST_POSTGRES_URL")
    url = sa.make_url(str(POSTGRES_URL)).set(password=password)
    if case == "postgres-refused":
        url = url.set(host="127.0.0.1", port=free_port())
    else:
        url = url.set(database=f"hs_missing_{secrets.token_hex(4)}")
    return url.render_as_string(hide_password=False)


@pytest.mark.parametrize(
    ("case", "said"),
    [
        (
            "sqlite-no-directory",
            "unreachable: cannot open the SQLite file: does its directory exist, and may "
            "hoststand write there?",
        ),
        ("sqlite-not-a-database", "failing: the file is not a SQLite database"),
        ("postgres-refused", "unreachable: connection refused"),
        (
            "postgres-no-database",
            "unreachable: the database named in HOSTSTAND_DATABASE_URL does not exist",
        ),
    ],
)
def test_readyz_says_in_words_what_is_wrong_with_the_database_and_never_where_it_is(
    tmp_path: Path, case: str, said: str
) -> None:
    password = f"pw-{secrets.token_hex(8)}"
    url = _broken_database_url(case, tmp_path, password)
    server = ThreadServer(Backend(case, url).settings()).start()
    try:
        response = httpx.get(f"{server.base_url}/readyz")
    finally:
        server.stop()
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == said
    parsed = sa.make_url(url)
    for secret in (password, url, str(parsed.database), f":{parsed.port}"):
        assert secret not in response.text


async def test_an_unknown_path_gets_the_error_body(api: Api) -> None:
    for path in ("api/v1/nothing-here", "api/v2/restaurants", "restaurants"):
        expect_error(await api.request("GET", f"/{path}"), 404, "not_found")


async def test_head_answers_wherever_get_does_with_its_headers_and_no_body(
    restaurant: Restaurant,
) -> None:
    client, open_client = restaurant.client("viewer"), restaurant.api.as_token(None)
    for api, path in [
        (open_client, "/healthz"),
        (open_client, "/readyz"),
        (open_client, "/"),
        (client, restaurant.path),
        (client, f"{restaurant.path}/snapshot"),
    ]:
        got, head = await api.request("GET", path), await api.request("HEAD", path)
        assert got.status_code == head.status_code == 200, (path, head.status_code)
        assert head.content == b""
        for name in ("content-type", "content-length", "etag"):
            assert head.headers.get(name) == got.headers.get(name), (path, name)
    expect_error(await open_client.request("GET", restaurant.path), 401, "unauthorized")
    refused = await open_client.request("HEAD", restaurant.path)
    assert (refused.status_code, refused.content) == (401, b"")


async def test_an_unsupported_method_gets_the_error_body(api: Api) -> None:
    expect_error(await api.request("PUT", "restaurants"), 405, "method_not_allowed")
    expect_error(await api.request("DELETE", "/healthz"), 405, "method_not_allowed")


async def test_an_unsupported_method_is_told_every_method_of_the_path(
    restaurant: Restaurant,
) -> None:
    table = await restaurant.table()
    for method, path, allowed in [
        ("PUT", "restaurants", {"GET", "HEAD", "POST"}),
        ("OPTIONS", restaurant.path, {"GET", "HEAD", "PATCH", "DELETE"}),
        ("POST", f"{restaurant.path}/guests/{UNKNOWN}", {"GET", "HEAD", "PATCH", "DELETE"}),
        # Only POST: a GET is not the web page's to answer with a 404.
        ("GET", f"{restaurant.path}/tables/{table['id']}/assign", {"POST"}),
        ("DELETE", "/healthz", {"GET", "HEAD"}),
    ]:
        response = await restaurant.api.request(method, path)
        expect_error(response, 405, "method_not_allowed")
        assert set(response.headers["Allow"].split(", ")) == allowed, (method, path)
    head = await restaurant.api.request("HEAD", f"{restaurant.path}/tables/{table['id']}/assign")
    assert (head.status_code, head.headers["Allow"], head.content) == (405, "POST", b"")


async def test_the_openapi_page_lists_every_route(api: Api) -> None:
    page = await api.as_token(None).request("GET", "/docs")
    assert page.status_code == 200
    assert "swagger" in page.text.lower()
    schema = (await api.as_token(None).request("GET", "/openapi.json")).json()
    base = "/api/v1/restaurants"
    expected = {
        base: {"get", "post"},
        f"{base}/{{restaurant_id}}": {"get", "patch", "delete"},
        f"{base}/{{restaurant_id}}/tables": {"get", "post"},
        f"{base}/{{restaurant_id}}/tables/{{table_id}}": {"get", "patch", "delete"},
        f"{base}/{{restaurant_id}}/tables/{{table_id}}/assign": {"post"},
        f"{base}/{{restaurant_id}}/tables/{{table_id}}/release": {"post"},
        f"{base}/{{restaurant_id}}/guests": {"get", "post"},
        f"{base}/{{restaurant_id}}/guests/{{guest_id}}": {"get", "patch", "delete"},
    }
    for path, methods in expected.items():
        assert set(schema["paths"][path]) >= methods, path
