"""Owner, host and viewer inside their own restaurant: who may do what."""

from __future__ import annotations

import uuid

from tests.auth.refusals import assert_error
from tests.auth.tenants import Tenant
from tests.conftest import Api


async def test_a_host_may_not_manage_tokens(tenant: Tenant) -> None:
    host, path = tenant.client("host"), tenant.restaurant.path
    new = {"name": "iPad 2", "role": "host"}
    refused = assert_error(await host.request("POST", f"{path}/tokens", json=new), 403, "forbidden")
    assert refused["error"]["message"] == (
        "a host token may not see or manage tokens (an owner token may)"
    )
    assert refused["error"]["details"] == {"role": "host", "permission": "manage_tokens"}
    assert_error(await host.request("GET", f"{path}/tokens"), 403, "forbidden")
    spare = tenant.ids["token_id"]
    assert_error(await host.request("DELETE", f"{path}/tokens/{spare}"), 403, "forbidden")


async def test_a_host_may_not_change_the_floor_layout_nor_the_restaurant(tenant: Tenant) -> None:
    host, path = tenant.client("host"), tenant.restaurant.path
    table = f"{path}/tables/{tenant.ids['table_id']}"
    before = await tenant.seq()
    for layout in (
        {"label": "12"},
        {"capacity": 6},
        {"min_capacity": 2},
        {"section": "Patio"},
        {"x": 3, "y": 4},
        {"status": "dirty", "label": "12"},  # a status change does not carry a layout change
    ):
        response = await host.request("PATCH", table, json=layout)
        assert_error(response, 403, "forbidden")
    refused = assert_error(await host.request("DELETE", table), 403, "forbidden")
    assert "may not add, change or remove tables" in refused["error"]["message"]
    new_table = {"label": "99", "capacity": 2}
    assert_error(await host.request("POST", f"{path}/tables", json=new_table), 403, "forbidden")
    rename = {"name": "Host's Place"}
    assert_error(await host.request("PATCH", path, json=rename), 403, "forbidden")
    assert_error(await host.request("DELETE", path), 403, "forbidden")
    assert await tenant.seq() == before


async def test_a_host_runs_the_floor_and_the_waitlist(tenant: Tenant) -> None:
    host, path = tenant.client("host"), tenant.restaurant.path
    table = f"{path}/tables/{tenant.ids['table_id']}"
    closed = await host.ok("PATCH", table, json={"status": "out_of_service"})
    assert closed["status"] == "out_of_service"
    await host.ok("PATCH", table, json={"status": "available"})
    guest = await host.ok("POST", f"{path}/guests", 201, json={"name": "Okafor", "party_size": 3})
    guest_path = f"{path}/guests/{guest['id']}"
    await host.ok("PATCH", guest_path, json={"notes": "high chair", "status": "notified"})
    seated = await host.ok("POST", f"{table}/assign", json={"guest_id": guest["id"]})
    assert seated["guest"]["status"] == "seated"
    released = await host.ok("POST", f"{table}/release")
    assert released["table"]["status"] == "dirty"
    mistake = await host.ok("POST", f"{path}/guests", 201, json={"name": "Oops", "party_size": 1})
    await host.ok("DELETE", f"{path}/guests/{mistake['id']}", 204)


async def test_the_owner_may_do_what_the_host_may_not(tenant: Tenant) -> None:
    owner, path = tenant.client("owner"), tenant.restaurant.path
    table = f"{path}/tables/{tenant.ids['table_id']}"
    moved = await owner.ok("PATCH", table, json={"label": "12", "capacity": 6, "section": "Bar"})
    assert (moved["label"], moved["capacity"]) == ("12", 6)
    issued = await owner.ok("POST", f"{path}/tokens", 201, json={"name": "iPad 2", "role": "host"})
    listed = await owner.ok("GET", f"{path}/tokens")
    assert issued["id"] in {t["id"] for t in listed["items"]}
    await owner.ok("DELETE", f"{path}/tokens/{issued['id']}", 204)
    await owner.ok("DELETE", table, 204)
    renamed = await owner.ok("PATCH", path, json={"name": "Owner's Place"})
    assert renamed["name"] == "Owner's Place"


async def test_only_the_admin_token_creates_restaurants(tenant: Tenant) -> None:
    for role in ("owner", "host", "viewer"):
        response = await tenant.client(role).request("POST", "restaurants", json={"name": "Mine"})
        assert_error(response, 403, "forbidden")
    created = await tenant.restaurant.api.ok("POST", "restaurants", 201, json={"name": "Admin's"})
    assert created["name"] == "Admin's"


async def test_a_token_lists_only_its_own_restaurant(tenant: Tenant, stranger: Tenant) -> None:
    for role in ("owner", "host", "viewer"):
        listed = await tenant.client(role).ok("GET", "restaurants")
        assert [r["id"] for r in listed["items"]] == [tenant.id]


async def test_each_token_learns_its_own_role_and_restaurant(tenant: Tenant, api: Api) -> None:
    for role in ("owner", "host", "viewer"):
        me = await tenant.client(role).ok("GET", "me")
        assert me["role"] == role
        assert me["restaurant_id"] == tenant.id
        assert me["name"] == f"{role} device"
        assert uuid.UUID(me["token_id"])
        assert set(me) == {"token_id", "name", "role", "restaurant_id"}  # never a secret
    admin = await api.ok("GET", "me")
    assert admin == {"token_id": None, "name": "admin", "role": "admin", "restaurant_id": None}
