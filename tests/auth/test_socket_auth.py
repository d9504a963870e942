"""/realtime through a real server: the token each way, the close codes, revocation closes."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable

import orjson
import pytest

from hoststand.realtime.client import TokenVia
from tests.auth.processes import backend_env
from tests.auth.refusals import bad_token
from tests.auth.sockets import (
    closed_within,
    first_message,
    handshake_close_code,
    open_socket,
    still_open,
)
from tests.auth.tenants import Tenant, make_tenant
from tests.conftest import ADMIN_TOKEN, Api, Backend
from tests.servers import ThreadServer

VIAS: list[TokenVia] = ["header", "query", "message"]
REVOCATION_DEADLINE = 1.0  # the promise: revoked sockets close within one second


@pytest.mark.parametrize("via", VIAS)
async def test_the_token_may_come_each_way(tenant: Tenant, via: TokenVia) -> None:
    ws = await open_socket(
        tenant.restaurant.api.base_url, tenant.id, tenant.restaurant.tokens["host"], via
    )
    async with ws:
        hello = await first_message(ws)
    assert hello["type"] == "connection_established"
    assert hello["restaurant_id"] == tenant.id


async def test_no_token_is_closed_with_4401(tenant: Tenant) -> None:
    assert await handshake_close_code(tenant.restaurant.api.base_url, tenant.id, None) == 4401


@pytest.mark.parametrize("via", VIAS)
async def test_an_invalid_token_is_closed_with_4401(tenant: Tenant, via: TokenVia) -> None:
    code = await handshake_close_code(tenant.restaurant.api.base_url, tenant.id, bad_token(), via)
    assert code == 4401


async def test_a_revoked_token_is_closed_with_4401(tenant: Tenant) -> None:
    owner, path = tenant.client("owner"), tenant.restaurant.path
    issued = await owner.ok("POST", f"{path}/tokens", 201, json={"name": "old", "role": "host"})
    await owner.ok("DELETE", f"{path}/tokens/{issued['id']}", 204)
    base = tenant.restaurant.api.base_url
    assert await handshake_close_code(base, tenant.id, issued["token"]) == 4401


@pytest.mark.parametrize("via", VIAS)
async def test_another_restaurants_token_is_closed_with_4403(
    tenant: Tenant, stranger: Tenant, via: TokenVia
) -> None:
    token = stranger.restaurant.tokens["owner"]
    code = await handshake_close_code(tenant.restaurant.api.base_url, tenant.id, token, via)
    assert code == 4403


@pytest.mark.parametrize("unknown", ["5b0c3a52-1d2e-4f6a-9b7c-0d1e2f3a4b5c", "restaurant_123"])
async def test_an_unknown_restaurant_is_4404_only_for_the_admin(
    tenant: Tenant, unknown: str
) -> None:
    base = tenant.restaurant.api.base_url
    assert await handshake_close_code(base, unknown, ADMIN_TOKEN) == 4404
    # A restaurant's token may not learn whether another id exists: 4403, as for a real one.
    assert await handshake_close_code(base, unknown, tenant.restaurant.tokens["owner"]) == 4403


async def test_the_admin_token_follows_any_restaurant(tenant: Tenant) -> None:
    ws = await open_socket(tenant.restaurant.api.base_url, tenant.id, ADMIN_TOKEN)
    async with ws:
        assert (await first_message(ws))["type"] == "connection_established"


async def test_a_viewer_follows_but_may_not_send_user_actions(tenant: Tenant) -> None:
    ws = await open_socket(
        tenant.restaurant.api.base_url, tenant.id, tenant.restaurant.tokens["viewer"]
    )
    async with ws:
        assert (await first_message(ws))["type"] == "connection_established"
        action = {"type": "user_action", "action": "guest_created", "restaurant_id": tenant.id}
        await ws.send(orjson.dumps(action).decode())
        answer = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
    assert answer["type"] == "error"
    assert answer["code"] == "forbidden"


async def test_revoking_a_token_closes_its_sockets_within_a_second(tenant: Tenant) -> None:
    owner, path, base = (
        tenant.client("owner"),
        tenant.restaurant.path,
        tenant.restaurant.api.base_url,
    )
    issued = await owner.ok("POST", f"{path}/tokens", 201, json={"name": "iPad 1", "role": "host"})
    doomed = [await open_socket(base, tenant.id, issued["token"], via) for via in VIAS]
    bystander = await open_socket(base, tenant.id, tenant.restaurant.tokens["host"])
    for ws in [*doomed, bystander]:
        assert (await first_message(ws))["type"] == "connection_established"
    await owner.ok("DELETE", f"{path}/tokens/{issued['id']}", 204)
    codes = await asyncio.gather(*(closed_within(ws, REVOCATION_DEADLINE) for ws in doomed))
    assert codes == [4401, 4401, 4401]
    async with bystander:
        assert await still_open(bystander)


@pytest.fixture
def quick_poll_server(start_server: Callable[..., ThreadServer]) -> ThreadServer:
    """A server polling the log every 0.2 s.

    A revocation made by another process reaches this server only through the log poll, so a
    socket closes one poll interval (plus a query and a close frame) after the commit. At the
    default 1 s interval that can exceed the one-second promise; 0.2 s leaves 0.8 s of margin
    on a busy two-core machine.
    """
    return start_server(log_poll_interval_seconds=0.2)


async def test_the_cli_revoking_a_token_closes_its_sockets_within_a_second(
    quick_poll_server: ThreadServer, backend: Backend
) -> None:
    admin = Api(quick_poll_server.base_url)
    try:
        tenant = await make_tenant(admin, "CLI Corner")
        owner, path = tenant.client("owner"), tenant.restaurant.path
        issued = await owner.ok(
            "POST", f"{path}/tokens", 201, json={"name": "iPad 1", "role": "host"}
        )
        ws = await open_socket(quick_poll_server.base_url, tenant.id, issued["token"])
        assert (await first_message(ws))["type"] == "connection_established"
        revoke = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "hoststand.cli",
            "token",
            "revoke",
            issued["id"],
            env=backend_env(backend),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        assert revoke.stdout is not None
        line = await asyncio.wait_for(revoke.stdout.readline(), 60)
        # Printed right after the commit: the one second starts here.
        assert line.decode().startswith(f"revoked {issued['id']}"), line
        async with ws:
            assert await closed_within(ws, REVOCATION_DEADLINE) == 4401
        assert await asyncio.wait_for(revoke.wait(), 60) == 0
    finally:
        await admin.close()
