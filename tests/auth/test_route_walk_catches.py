"""The route walk fails routes that forget authentication, tenancy or roles.

Each test adds such a route to a running server and runs the walk's check on it.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from fastapi import FastAPI

from hoststand.api.deps import CallerDep
from hoststand.domain.access import Permission
from tests.auth.routes import Endpoint, endpoints
from tests.auth.tenants import make_tenant
from tests.auth.walker import Walk, check_endpoint
from tests.conftest import Api, Backend
from tests.servers import ThreadServer


def served_app(srv: ThreadServer) -> FastAPI:
    """The FastAPI application a running server serves (under uvicorn's wrappers)."""
    assert srv._server is not None
    app: Any = srv._server.config.loaded_app
    while not isinstance(app, FastAPI):
        app = app.app
    return app


@pytest.fixture(scope="module")
def private_server(sqlite_backend: Backend) -> Iterator[ThreadServer]:
    """A server of its own: these tests add bad routes to it."""
    srv = ThreadServer(sqlite_backend.settings()).start()
    yield srv
    srv.stop()


@pytest.fixture
async def admin(private_server: ThreadServer) -> AsyncIterator[Api]:
    """An admin client of the private server."""
    client = Api(private_server.base_url)
    yield client
    await client.close()


async def walk_new_route(srv: ThreadServer, admin: Api, path: str) -> None:
    """Run the walk's check on the route just added at `path`."""
    new = [e for e in endpoints(served_app(srv)) if e.path == path]
    assert len(new) == 1, new
    walk = Walk(
        admin,
        tenant=await make_tenant(admin, "Tenant"),
        stranger=await make_tenant(admin, "Stranger"),
        openapi=await admin.ok("GET", "/openapi.json"),
    )
    await check_endpoint(walk, srv.base_url, new[0])


def unique(path: str) -> str:
    """A path no other test added."""
    return f"{path}-{uuid.uuid4().hex[:8]}"


def add_route(srv: ThreadServer, path: str, endpoint: Any, method: str) -> None:
    """Add a route to the running app, ahead of the web page mounted at "/" (it takes all)."""
    app = served_app(srv)
    app.add_api_route(path, endpoint, methods=[method])
    app.router.routes.insert(0, app.router.routes.pop())


async def test_a_route_without_authentication_fails_the_walk(
    private_server: ThreadServer, admin: Api
) -> None:
    path = unique("/api/v1/restaurants/{restaurant_id}/leak")

    async def leak(restaurant_id: uuid.UUID) -> dict[str, str]:
        return {"restaurant_id": str(restaurant_id)}

    add_route(private_server, path, leak, "GET")
    with pytest.raises(AssertionError, match="answered 200"):
        await walk_new_route(private_server, admin, path)


async def test_a_route_that_ignores_the_restaurant_fails_the_walk(
    private_server: ThreadServer, admin: Api
) -> None:
    path = unique("/api/v1/restaurants/{restaurant_id}/careless")

    async def careless(restaurant_id: uuid.UUID, caller: CallerDep) -> dict[str, str]:
        return {"restaurant_id": str(restaurant_id), "caller": caller.principal.name}

    add_route(private_server, path, careless, "GET")
    with pytest.raises(AssertionError, match="answered 200"):
        await walk_new_route(private_server, admin, path)


async def test_a_write_open_to_viewers_fails_the_walk(
    private_server: ThreadServer, admin: Api
) -> None:
    path = unique("/api/v1/restaurants/{restaurant_id}/notes")

    async def note(restaurant_id: uuid.UUID, caller: CallerDep) -> dict[str, str]:
        caller.principal.require(restaurant_id, Permission.READ)
        return {"restaurant_id": str(restaurant_id)}

    add_route(private_server, path, note, "POST")
    with pytest.raises(AssertionError, match="answered 200, not 403"):
        await walk_new_route(private_server, admin, path)


async def test_a_route_outside_the_api_fails_the_walk(
    private_server: ThreadServer, admin: Api
) -> None:
    path = unique("/debug/state")

    async def state() -> dict[str, str]:
        return {"state": "everything"}

    add_route(private_server, path, state, "GET")
    with pytest.raises(AssertionError, match="neither under"):
        await walk_new_route(private_server, admin, path)


def test_the_walk_expands_included_routers() -> None:
    app = FastAPI()
    from fastapi import APIRouter

    inner = APIRouter(prefix="/inner")
    inner.add_api_route("/x", lambda: None, methods=["GET", "POST"])
    outer = APIRouter(prefix="/api/v1")
    outer.include_router(inner)
    app.include_router(outer)
    found = {e for e in endpoints(app) if e.kind == "http"}
    assert Endpoint("http", "GET", "/api/v1/inner/x") in found
    assert Endpoint("http", "POST", "/api/v1/inner/x") in found
