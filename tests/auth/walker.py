"""What each kind of route must answer to strangers; the route walk applies it to every route.

The rules, per endpoint found in the route table:
- an open path (health, metrics, docs, the web page) answers 2xx without a token;
- the /realtime socket closes a handshake without a token, or with a bad one, with 4401;
- every /api/v1 route answers 401 without a token and with a bad one; another restaurant's
  owner gets exactly what an unknown id gets (404); a viewer gets 403 on every write;
- anything else fails: a new route must be put in one of these classes on purpose.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from tests.auth.refusals import assert_error, assert_unauthorized, bad_token
from tests.auth.routes import Endpoint
from tests.auth.sockets import handshake_close_code
from tests.auth.tenants import Tenant
from tests.conftest import Api

API_PREFIX = "/api/v1/"
# Open on purpose, and only these.
OPEN_PATHS = frozenset(
    {"/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
)
# Open mounts, each with a file it serves: the page's own, and the assets of /docs and /redoc.
OPEN_MOUNTS = {"": "/", "/docs/assets": "/docs/assets/swagger-ui.css"}
SOCKET_PATHS = frozenset({"/realtime"})
# /api/v1 routes that name no restaurant, and what another restaurant's owner gets there.
UNSCOPED_STATUS = {
    ("GET", "/api/v1/restaurants"): 200,  # lists only its own restaurant (checked)
    ("POST", "/api/v1/restaurants"): 403,  # only the operator's admin token creates restaurants
    ("GET", "/api/v1/me"): 200,  # says only who the caller is
}
# Reads a viewer may not make; every other read is open to every role of the restaurant.
VIEWER_MAY_NOT_READ = frozenset({("GET", "/api/v1/restaurants/{restaurant_id}/tokens")})
UNKNOWN_SOCKET_RESTAURANT = "00000000-0000-4000-8000-00000000dead"


@dataclass(frozen=True)
class Example:
    """A valid request body, and the path-parameter names of the ids it refers to."""

    body: dict[str, Any]
    refers_to: tuple[str, ...] = ()


def example(schema: str, ids: dict[str, str]) -> Example:
    """A valid body of the request model `schema` (valid, so refusals are about access)."""
    examples = {
        "RestaurantCreate": Example({"name": "Probe"}),
        "RestaurantUpdate": Example({"name": "Probe"}),
        "TableCreate": Example({"label": "probe", "capacity": 2}),
        "TableUpdate": Example({"label": "probe"}),
        "GuestCreate": Example({"name": "Probe", "party_size": 2}),
        "GuestUpdate": Example({"notes": "probe"}),
        "Assign": Example({"guest_id": ids["guest_id"]}, ("guest_id",)),
        "Move": Example({"to_table_id": ids["table_id"]}, ("table_id",)),
        "Reseat": Example({"guest_id": ids["guest_id"]}, ("guest_id",)),
        "TokenCreate": Example({"name": "probe", "role": "viewer"}),
    }
    assert schema in examples, f"the route walk needs a valid example body of {schema}"
    return examples[schema]


def body_schema(openapi: dict[str, Any], endpoint: Endpoint) -> str | None:
    """The name of the endpoint's request body model, from the OpenAPI page."""
    operation = openapi["paths"][endpoint.path][endpoint.method.lower()]
    body = operation.get("requestBody")
    if body is None:
        return None
    return str(body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1])


def normalised(response: httpx.Response, ids: dict[str, str]) -> tuple[int, str]:
    """Status and body with the ids put back as their names, to compare two refusals."""
    text = response.text
    for name, value in ids.items():
        text = text.replace(value, "{" + name + "}")
    return response.status_code, text


@dataclass
class Walk:
    """The server and the two restaurants every /api/v1 route is tried against."""

    api: Api
    tenant: Tenant
    stranger: Tenant
    openapi: dict[str, Any]

    async def send(self, client: Api, endpoint: Endpoint, ids: dict[str, str]) -> httpx.Response:
        """The endpoint's request with these ids in the path and the body."""
        schema = body_schema(self.openapi, endpoint)
        body = None if schema is None else example(schema, ids).body
        return await client.request(endpoint.method, endpoint.url(ids), json=body)

    def references(self, endpoint: Endpoint) -> tuple[str, ...]:
        """The ids other than the restaurant's that the request names, in path or body."""
        schema = body_schema(self.openapi, endpoint)
        in_body = () if schema is None else example(schema, self.tenant.ids).refers_to
        in_path = tuple(p for p in endpoint.params if p != "restaurant_id")
        return in_path + in_body


async def check_endpoint(walk: Walk | None, base_url: str, endpoint: Endpoint) -> None:
    """Apply the rule of the endpoint's class; fail for an endpoint of no class."""
    if endpoint.kind == "mount":
        assert endpoint.path in OPEN_MOUNTS, f"{endpoint}: a mount nobody declared open"
        await check_open(base_url, OPEN_MOUNTS[endpoint.path])
    elif endpoint.kind == "websocket":
        assert endpoint.path in SOCKET_PATHS, f"{endpoint}: a socket the auth tests do not know"
        await check_socket(base_url)
    elif endpoint.path in OPEN_PATHS:
        await check_open(base_url, endpoint.path)
    else:
        assert endpoint.path.startswith(API_PREFIX), (
            f"{endpoint} is neither under {API_PREFIX} (authenticated) nor declared open"
        )
        assert walk is not None
        await check_api(walk, endpoint)


async def check_open(base_url: str, path: str) -> None:
    """An open route answers without a token."""
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        response = await http.get(path)
    assert 200 <= response.status_code < 300, (path, response.status_code, response.text)


async def check_socket(base_url: str) -> None:
    """A handshake with no token, or a bad one, is closed with 4401."""
    assert await handshake_close_code(base_url, UNKNOWN_SOCKET_RESTAURANT, None) == 4401
    for via in ("header", "query", "message"):
        code = await handshake_close_code(base_url, UNKNOWN_SOCKET_RESTAURANT, bad_token(), via)
        assert code == 4401, via


async def check_api(walk: Walk, endpoint: Endpoint) -> None:
    """No token, a bad token, a stranger and a viewer: each refused as the issue says."""
    ids = walk.tenant.ids
    before = (await walk.tenant.seq(), await walk.stranger.seq())
    anonymous = walk.api.as_token(None)
    assert_unauthorized(await walk.send(anonymous, endpoint, ids))
    assert_unauthorized(await walk.send(walk.api.as_token(bad_token()), endpoint, ids))
    if "restaurant_id" in endpoint.params:
        await check_stranger_sees_nothing(walk, endpoint)
    else:
        await check_unscoped(walk, endpoint)
    await check_viewer(walk, endpoint)
    after = (await walk.tenant.seq(), await walk.stranger.seq())
    assert after == before, f"{endpoint}: a refused request changed something"


async def check_stranger_sees_nothing(walk: Walk, endpoint: Endpoint) -> None:
    """Another restaurant's owner gets what an unknown id gets, for every id it names."""
    stranger = walk.stranger.client("owner")
    ids = walk.tenant.ids
    unknown = {**ids, "restaurant_id": str(uuid.uuid4())}
    foreign = await walk.send(stranger, endpoint, ids)
    assert_error(foreign, 404, "not_found")
    assert normalised(foreign, ids) == normalised(
        await walk.send(stranger, endpoint, unknown), unknown
    ), f"{endpoint}: another restaurant's id is told apart from an unknown one"
    # Its own restaurant, with one id of the tenant's slipped in (path or body).
    for name in walk.references(endpoint):
        own = walk.stranger.ids
        mixed = {**own, name: ids[name]}
        made_up = {**own, name: str(uuid.uuid4())}
        response = await walk.send(stranger, endpoint, mixed)
        assert_error(response, 404, "not_found")
        assert normalised(response, mixed) == normalised(
            await walk.send(stranger, endpoint, made_up), made_up
        ), f"{endpoint}: the tenant's {name} is told apart from an unknown one"


async def check_unscoped(walk: Walk, endpoint: Endpoint) -> None:
    """A route naming no restaurant: declared, and never showing the tenant to a stranger."""
    key = (endpoint.method, endpoint.path)
    assert key in UNSCOPED_STATUS, f"{endpoint} names no restaurant: declare what strangers get"
    response = await walk.send(walk.stranger.client("owner"), endpoint, walk.tenant.ids)
    expected = UNSCOPED_STATUS[key]
    assert response.status_code == expected, (endpoint, response.status_code, response.text)
    if expected >= 400:
        assert_error(response, expected, "forbidden" if expected == 403 else "not_found")
    else:
        assert walk.stranger.id in response.text, f"{endpoint}: the check itself went wrong"
    assert walk.tenant.id not in response.text, f"{endpoint} shows the tenant to a stranger"


async def check_viewer(walk: Walk, endpoint: Endpoint) -> None:
    """A viewer is refused every write with 403; reads answer the owner (so the ids are real)."""
    ids = walk.tenant.ids
    response = await walk.send(walk.tenant.client("viewer"), endpoint, ids)
    if endpoint.is_write or (endpoint.method, endpoint.path) in VIEWER_MAY_NOT_READ:
        assert_error(response, 403, "forbidden")
    else:
        assert response.status_code == 200, (endpoint, response.status_code, response.text)
    if not endpoint.is_write:
        owner = await walk.send(walk.tenant.client("owner"), endpoint, ids)
        assert owner.status_code == 200, (endpoint, owner.status_code, owner.text)
