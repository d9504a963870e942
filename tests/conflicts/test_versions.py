"""Optimistic concurrency: an edit made on a stale copy is refused, never silently applied."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.conflicts.conftest import CONCURRENCY, Crowd
from tests.conftest import Api, Restaurant


def etag(entity: dict[str, Any]) -> str:
    """The ETag the API gives an entity of this version."""
    return f'"{entity["version"]}"'


def assert_tagged(response: httpx.Response, entity: dict[str, Any]) -> None:
    """The response's ETag names the entity's version."""
    assert isinstance(entity["version"], int)
    assert response.headers["ETag"] == etag(entity)


async def test_two_devices_editing_one_guest_lose_nothing(restaurant: Restaurant) -> None:
    guest = await restaurant.guest("Lindqvist", party_size=2)
    path = f"{restaurant.path}/guests/{guest['id']}"
    first, second = restaurant.client("host"), restaurant.client("owner")
    edits = {"notes": "window seat", "party_size": 5}
    stale = {"If-Match": etag(guest)}

    notes, size = await asyncio.gather(
        first.request("PATCH", path, json={"notes": edits["notes"]}, headers=stale),
        second.request("PATCH", path, json={"party_size": edits["party_size"]}, headers=stale),
    )

    assert sorted([notes.status_code, size.status_code]) == [200, 412]
    won, lost = (notes, size) if notes.status_code == 200 else (size, notes)
    error = lost.json()["error"]
    assert error["code"] == "version_conflict"
    assert error["details"] == won.json(), "412 carries the guest as it is now"
    # The loser re-applies its own edit on the current version: both edits survive.
    mine = {"party_size": 5} if lost is size else {"notes": "window seat"}
    retried = await first.ok("PATCH", path, json=mine, headers={"If-Match": etag(error["details"])})
    assert (retried["notes"], retried["party_size"]) == ("window seat", 5)
    assert retried["version"] == guest["version"] + 2
    for client in (first, second):
        await client.close()


async def test_fifty_concurrent_edits_of_one_guest_each_build_on_the_one_before(
    restaurant: Restaurant, crowd: Crowd
) -> None:
    """Each edit reads the guest once the edit before it committed: no version is given twice."""
    guest = await restaurant.guest("Okafor")
    path = f"{restaurant.path}/guests/{guest['id']}"
    edits = [(path, {"notes": f"edit {i}"}) for i in range(CONCURRENCY)]

    responses = await crowd.fire("PATCH", edits, restaurant.tokens["host"])

    assert [r.status_code for r in responses] == [200] * CONCURRENCY
    versions = sorted(r.json()["version"] for r in responses)
    first = guest["version"] + 1
    assert versions == list(range(first, first + CONCURRENCY))


async def test_fifty_concurrent_edits_with_one_if_match_apply_once(
    restaurant: Restaurant, crowd: Crowd
) -> None:
    guest = await restaurant.guest("Nakamura")
    path = f"{restaurant.path}/guests/{guest['id']}"
    edits = [(path, {"notes": f"edit {i}"}) for i in range(CONCURRENCY)]

    responses = await crowd.gather(
        [
            (
                "PATCH",
                p,
                body,
                {"Authorization": f"Bearer {restaurant.tokens['host']}", "If-Match": etag(guest)},
            )
            for p, body in edits
        ]
    )

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [412] * (CONCURRENCY - 1), statuses
    [won] = [r.json() for r in responses if r.status_code == 200]
    current = await restaurant.api.ok("GET", path)
    assert (current["version"], current["notes"]) == (guest["version"] + 1, won["notes"])


async def stale_then_current(
    host: Api, method: str, path: str, entity: dict[str, Any], **kwargs: Any
) -> httpx.Response:
    """Send with an outdated If-Match (412, nothing changes), then with the current one."""
    stale = await host.request(
        method, path, headers={"If-Match": f'"{entity["version"] - 1}"'}, **kwargs
    )
    assert stale.status_code == 412, stale.text
    assert stale.json()["error"]["code"] == "version_conflict"
    assert stale.json()["error"]["details"]["version"] == entity["version"]
    return await host.request(method, path, headers={"If-Match": etag(entity)}, **kwargs)


async def bumped(restaurant: Restaurant, kind: str, entity: dict[str, Any]) -> dict[str, Any]:
    """The entity after one edit, so that version - 1 is a real, stale version."""
    body = {"notes": "regular"} if kind == "guests" else {"section": "patio"}
    path = f"{restaurant.path}/{kind}/{entity['id']}"
    return await restaurant.api.ok("PATCH", path, json=body)  # type: ignore[no-any-return]


async def test_if_match_guards_patch_and_delete_of_guests(restaurant: Restaurant) -> None:
    host = restaurant.client("host")
    guest = await bumped(restaurant, "guests", await restaurant.guest("Adeyemi"))
    path = f"{restaurant.path}/guests/{guest['id']}"

    patched = await stale_then_current(host, "PATCH", path, guest, json={"party_size": 3})
    assert patched.status_code == 200
    assert patched.json()["party_size"] == 3
    assert_tagged(patched, patched.json())

    deleted = await stale_then_current(host, "DELETE", path, patched.json())
    assert deleted.status_code == 204
    assert (await host.request("GET", path)).status_code == 404
    await host.close()


async def test_if_match_guards_patch_and_delete_of_tables(restaurant: Restaurant) -> None:
    owner = restaurant.client("owner")
    table = await bumped(restaurant, "tables", await restaurant.table("9"))
    path = f"{restaurant.path}/tables/{table['id']}"

    patched = await stale_then_current(owner, "PATCH", path, table, json={"capacity": 6})
    assert patched.status_code == 200
    assert patched.json()["capacity"] == 6
    assert_tagged(patched, patched.json())

    deleted = await stale_then_current(owner, "DELETE", path, patched.json())
    assert deleted.status_code == 204
    assert (await owner.request("GET", path)).status_code == 404
    await owner.close()


async def test_if_match_guards_assign_and_release(restaurant: Restaurant) -> None:
    """Seating checks the table's version: its ETag is what assign and release return."""
    host = restaurant.client("host")
    table = await bumped(restaurant, "tables", await restaurant.table("10"))
    guest = await restaurant.guest("Novak")
    path = f"{restaurant.path}/tables/{table['id']}"

    seated = await stale_then_current(
        host, "POST", f"{path}/assign", table, json={"guest_id": guest["id"]}
    )
    assert seated.status_code == 200, seated.text
    assert_tagged(seated, seated.json()["table"])

    released = await stale_then_current(host, "POST", f"{path}/release", seated.json()["table"])
    assert released.status_code == 200, released.text
    assert released.json()["table"]["status"] == "dirty"
    assert_tagged(released, released.json()["table"])
    await host.close()


@pytest.mark.parametrize("header", ["banana", '"3', '"-1"', "W/", '"1", "2"'])
async def test_a_malformed_if_match_is_refused_and_changes_nothing(
    restaurant: Restaurant, header: str
) -> None:
    guest = await restaurant.guest("Kowalski")
    path = f"{restaurant.path}/guests/{guest['id']}"

    refused = await restaurant.api.request(
        "PATCH", path, json={"notes": "x"}, headers={"If-Match": header}
    )

    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"] == "validation_error"
    assert (await restaurant.api.ok("GET", path))["version"] == guest["version"]


@pytest.mark.parametrize("header", [None, "*", 'W/"1"', "1"])
async def test_without_a_stale_if_match_the_write_applies(
    restaurant: Restaurant, header: str | None
) -> None:
    """No If-Match (older clients), `*`, a weak or an unquoted current version: all apply."""
    guest = await restaurant.guest("Haddad")
    headers = {} if header is None else {"If-Match": header}

    changed = await restaurant.api.ok(
        "PATCH", f"{restaurant.path}/guests/{guest['id']}", json={"notes": "x"}, headers=headers
    )

    assert (changed["notes"], changed["version"]) == ("x", 2)


async def test_every_guest_and_table_response_carries_version_and_etag(
    restaurant: Restaurant,
) -> None:
    api = restaurant.api
    responses = [
        await api.request("POST", f"{restaurant.path}/tables", json={"label": "E", "capacity": 2}),
        await api.request("POST", f"{restaurant.path}/guests", json={"name": "E", "party_size": 2}),
    ]
    table, guest = (r.json() for r in responses)
    responses += [
        await api.request("GET", f"{restaurant.path}/tables/{table['id']}"),
        await api.request("GET", f"{restaurant.path}/guests/{guest['id']}"),
        await api.request("PATCH", f"{restaurant.path}/tables/{table['id']}", json={"x": 1.0}),
        await api.request("PATCH", f"{restaurant.path}/guests/{guest['id']}", json={"notes": "n"}),
    ]
    for response in responses:
        assert response.status_code in (200, 201), response.text
        assert_tagged(response, response.json())
    listed = await api.ok("GET", f"{restaurant.path}/guests")
    assert all(isinstance(g["version"], int) for g in listed["items"])
