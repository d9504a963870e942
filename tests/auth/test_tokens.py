"""Token endpoints: a secret shown once and stored only as a hash, revocation at once."""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import sqlalchemy as sa
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from hoststand.realtime.client import open_feed
from hoststand.store.database import Database
from hoststand.store.schema import api_tokens, metadata
from tests.auth.refusals import assert_error, assert_unauthorized
from tests.auth.tenants import Tenant
from tests.conftest import Api, Backend
from tests.servers import ThreadServer

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


@pytest.fixture
async def database(backend: Backend) -> AsyncIterator[Database]:
    """The test database itself, to look at what is stored."""
    db = Database(backend.url, schema=backend.schema, pool_size=1)
    yield db
    await db.close()


async def stored_text(db: Database) -> str:
    """Every row of every table, as text: where a secret must not be."""
    parts = []
    async with db.read() as conn:
        for table in metadata.sorted_tables:
            parts.extend(repr(tuple(row)) for row in await conn.execute(sa.select(table)))
    return "\n".join(parts)


async def issue(owner: Api, path: str, **headers: str) -> tuple[dict[str, Any], dict[str, str]]:
    """Create a host token; its body and response headers."""
    response = await owner.request(
        "POST", f"{path}/tokens", json={"name": "Host iPad 1", "role": "host"}, headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json(), dict(response.headers)


async def test_a_new_token_is_shown_once_and_stored_only_as_its_hash(
    tenant: Tenant, database: Database
) -> None:
    owner, path = tenant.client("owner"), tenant.restaurant.path
    body, headers = await issue(owner, path)
    secret = body["token"]
    assert secret.startswith("hs_")
    assert len(secret) >= 40
    assert headers["cache-control"] == "no-store"
    assert body["name"] == "Host iPad 1"
    assert body["role"] == "host"
    assert body["restaurant_id"] == tenant.id
    assert TIMESTAMP.match(body["created_at"])
    assert body["last_used_at"] is None
    assert body["revoked_at"] is None

    listed = await owner.request("GET", f"{path}/tokens")
    assert secret not in listed.text
    mine = [t for t in listed.json()["items"] if t["id"] == body["id"]]
    assert mine == [{k: v for k, v in body.items() if k != "token"}]
    assert all("token" not in item for item in listed.json()["items"])

    async with database.read() as conn:
        query = sa.select(api_tokens).where(api_tokens.c.id == uuid.UUID(body["id"]))
        row = (await conn.execute(query)).one()
    assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    everything = await stored_text(database)
    assert secret not in everything
    assert secret[3:20] not in everything


async def test_a_retried_creation_returns_the_same_token_without_its_secret(
    tenant: Tenant, database: Database
) -> None:
    owner, path = tenant.client("owner"), tenant.restaurant.path
    first, _ = await issue(owner, path, **{"Idempotency-Key": "create-ipad-1"})
    again, headers = await issue(owner, path, **{"Idempotency-Key": "create-ipad-1"})
    assert headers["idempotent-replayed"] == "true"
    assert again["id"] == first["id"]
    assert again["token"] is None
    assert first["token"] not in await stored_text(database)


async def test_a_token_acts_with_its_role_in_its_restaurant(tenant: Tenant) -> None:
    body, _ = await issue(tenant.client("owner"), tenant.restaurant.path)
    host = tenant.restaurant.api.as_token(body["token"])
    await host.ok(
        "POST", f"{tenant.restaurant.path}/guests", 201, json={"name": "A", "party_size": 2}
    )
    denied = await host.request("GET", f"{tenant.restaurant.path}/tokens")
    assert_error(denied, 403, "forbidden")


async def close_code(ws: ClientConnection) -> int | None:
    """Read until the server closes the socket; its close code."""
    try:
        while True:
            await asyncio.wait_for(ws.recv(), 10)
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else None


@pytest.fixture
async def long_cache_server(start_server: Callable[..., ThreadServer]) -> ThreadServer:
    """A server that trusts a checked token for a minute: only forget() can stop it."""
    return start_server(token_cache_seconds=60.0)


async def test_a_revoked_token_is_refused_at_once_despite_the_cache(
    long_cache_server: ThreadServer,
) -> None:
    admin = Api(long_cache_server.base_url)
    try:
        restaurant = await admin.restaurant("Cache Corner")
        body, _ = await issue(restaurant.client("owner"), restaurant.path)
        device = admin.as_token(body["token"])
        for _ in range(2):  # the second answer comes from the cache
            await device.ok("GET", f"{restaurant.path}/snapshot")
        await restaurant.client("owner").ok("DELETE", f"{restaurant.path}/tokens/{body['id']}", 204)
        assert_unauthorized(await device.request("GET", f"{restaurant.path}/snapshot"))
        listed = await restaurant.client("owner").ok("GET", f"{restaurant.path}/tokens")
        revoked = next(t for t in listed["items"] if t["id"] == body["id"])
        assert TIMESTAMP.match(revoked["revoked_at"])
        await device.close()
    finally:
        await admin.close()


async def test_a_token_revoked_on_another_instance_is_forgotten_by_a_hub_that_sees_it(
    start_server: Callable[..., ThreadServer],
) -> None:
    first = start_server(token_cache_seconds=60.0)
    second = start_server(token_cache_seconds=60.0)
    admin = Api(first.base_url)
    try:
        restaurant = await admin.restaurant("Two Doors")
        body, _ = await issue(restaurant.client("owner"), restaurant.path)
        device = admin.as_token(body["token"])
        await device.ok("GET", f"{restaurant.path}/snapshot")  # cached on the first instance
        ws, hello = await open_feed(first.base_url, restaurant.id, body["token"])
        assert hello["type"] == "connection_established"
        elsewhere = Api(second.base_url).as_token(restaurant.tokens["owner"])
        await elsewhere.ok("DELETE", f"{restaurant.path}/tokens/{body['id']}", 204)
        assert await close_code(ws) == 4401  # the first instance's hub saw the revocation
        assert_unauthorized(await device.request("GET", f"{restaurant.path}/snapshot"))
        await device.close()
        await elsewhere.close()
    finally:
        await admin.close()


async def test_revoking_twice_is_harmless_and_an_unknown_token_is_not_found(
    tenant: Tenant,
) -> None:
    owner, path = tenant.client("owner"), tenant.restaurant.path
    spare = tenant.ids["token_id"]
    await owner.ok("DELETE", f"{path}/tokens/{spare}", 204)
    seq = await tenant.seq()
    await owner.ok("DELETE", f"{path}/tokens/{spare}", 204)
    assert await tenant.seq() == seq, "a second revocation is not a second event"
    missing = "00000000-0000-4000-8000-000000000404"
    assert_error(await owner.request("DELETE", f"{path}/tokens/{missing}"), 404, "not_found")


async def test_the_tokens_of_an_unknown_restaurant_are_not_found_not_an_empty_list(
    api: Api,
) -> None:
    missing = "00000000-0000-4000-8000-000000000404"
    assert_error(await api.request("GET", f"restaurants/{missing}/tokens"), 404, "not_found")
    fresh = await api.ok("POST", "restaurants", 201, json={"name": "No Tokens Yet"})
    assert await api.ok("GET", f"restaurants/{fresh['id']}/tokens") == {"items": []}


async def test_last_used_at_is_recorded(tenant: Tenant) -> None:
    owner, path = tenant.client("owner"), tenant.restaurant.path
    body, _ = await issue(owner, path)
    await tenant.restaurant.api.as_token(body["token"]).ok("GET", f"{path}/snapshot")
    deadline = time.monotonic() + 5
    while True:
        listed = await owner.ok("GET", f"{path}/tokens")
        used = next(t for t in listed["items"] if t["id"] == body["id"])["last_used_at"]
        if used is not None or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.05)
    assert used is not None, "last_used_at was not recorded within 5 s"
    assert TIMESTAMP.match(used)


@pytest.mark.parametrize(
    "bad",
    [
        {"name": "x", "role": "admin"},
        {"name": "", "role": "host"},
        {"name": "x" * 101, "role": "host"},
        {"name": "x", "role": "host", "restaurant_id": "elsewhere"},
    ],
)
async def test_a_bad_token_request_is_a_validation_error(
    tenant: Tenant, bad: dict[str, Any]
) -> None:
    response = await tenant.client("owner").request(
        "POST", f"{tenant.restaurant.path}/tokens", json=bad
    )
    assert_error(response, 422, "validation_error")
