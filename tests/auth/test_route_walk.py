"""Every route of the app, walked from its route table: open on purpose, or refusing strangers.

A route added later lands in this walk by itself. Without authentication it answers something
else than 401 and fails; outside /api/v1 and not declared open, it fails; a route that lets
another restaurant's owner in, or lets a viewer write, fails (test_route_walk_catches.py shows
each of these failing).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.auth.refusals import assert_unauthorized
from tests.auth.routes import Endpoint, application_endpoints
from tests.auth.tenants import make_tenant
from tests.auth.walker import API_PREFIX, Walk, check_endpoint
from tests.conftest import Api
from tests.servers import ThreadServer

ENDPOINTS = application_endpoints()


@pytest.fixture
async def openapi(api: Api) -> dict[str, Any]:
    """The served OpenAPI page, where the walk finds each route's body model."""
    page: dict[str, Any] = await api.ok("GET", "/openapi.json")
    return page


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
async def test_route_is_open_on_purpose_or_refuses_strangers(
    endpoint: Endpoint, server: ThreadServer, api: Api, openapi: dict[str, Any]
) -> None:
    walk = None
    if endpoint.path.startswith(API_PREFIX):
        walk = Walk(
            api,
            tenant=await make_tenant(api, "Tenant Bistro"),
            stranger=await make_tenant(api, "Stranger Grill"),
            openapi=openapi,
        )
    await check_endpoint(walk, server.base_url, endpoint)


async def test_the_walk_sees_every_operation_of_the_api(openapi: dict[str, Any]) -> None:
    walked = {(e.method, e.path) for e in ENDPOINTS}
    documented = {
        (method.upper(), path)
        for path, operations in openapi["paths"].items()
        if path.startswith(API_PREFIX)
        for method in operations
    }
    assert documented, "the OpenAPI page lists no /api/v1 operation"
    assert documented <= walked
    assert {e.kind for e in ENDPOINTS} == {"http", "websocket", "mount"}


async def test_authentication_comes_before_validation(api: Api) -> None:
    """Without a token, even a malformed request learns nothing but 401."""
    anonymous = api.as_token(None)
    for method, path, body in [
        ("POST", "restaurants/not-a-uuid/tables", {"capacity": "many"}),
        ("PATCH", "restaurants/00000000-0000-4000-8000-000000000000", ["not", "an", "object"]),
        ("GET", "restaurants/not-a-uuid/guests?limit=-1", None),
    ]:
        assert_unauthorized(await anonymous.request(method, path, json=body))
