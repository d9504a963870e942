"""Retries with an Idempotency-Key apply once and answer as the first time did."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.conflicts.conftest import Crowd, all_events
from tests.conftest import Api, Restaurant

RETRIES = 10


def keyed(key: str) -> dict[str, str]:
    """The header of a keyed request."""
    return {"Idempotency-Key": key}


async def guest_events(restaurant: Restaurant, action: str) -> list[dict[str, Any]]:
    """The restaurant's guest_updated events of one action."""
    return [
        e
        for e in await all_events(restaurant)
        if e["type"] == "guest_updated" and e["action"] == action
    ]


async def guests_named(restaurant: Restaurant, name: str) -> list[dict[str, Any]]:
    """The restaurant's guests with this name."""
    page = await restaurant.api.ok("GET", f"{restaurant.path}/guests")
    return [g for g in page["items"] if g["name"] == name]


def assert_same_answer(first: httpx.Response, retry: httpx.Response) -> None:
    """Status, body bytes and ETag identical; only the retry says it was replayed."""
    assert (retry.status_code, retry.content) == (first.status_code, first.content)
    assert retry.headers["ETag"] == first.headers["ETag"]
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers


async def test_a_retried_post_creates_one_guest_and_answers_the_same(
    restaurant: Restaurant,
) -> None:
    host = restaurant.client("host")
    path = f"{restaurant.path}/guests"
    body = {"name": "Retry", "party_size": 3, "tags": ["vip"]}
    first = await host.request("POST", path, json=body, headers=keyed("walk-in-1"))
    assert first.status_code == 201, first.text

    retries = [
        await host.request("POST", path, json=body, headers=keyed("walk-in-1")) for _ in range(3)
    ]
    # The same JSON, serialised otherwise, is the same request.
    respaced = b'{ "tags": ["vip"], "party_size": 3,  "name": "Retry" }'
    headers = {**keyed("walk-in-1"), "Content-Type": "application/json"}
    retries.append(await host.request("POST", path, content=respaced, headers=headers))

    for retry in retries:
        assert_same_answer(first, retry)
    assert [g["id"] for g in await guests_named(restaurant, "Retry")] == [first.json()["id"]]
    assert [e["guest_id"] for e in await guest_events(restaurant, "created")] == [
        first.json()["id"]
    ]
    await host.close()


async def test_ten_concurrent_duplicates_run_once_the_others_wait_and_replay(
    restaurant: Restaurant, crowd: Crowd
) -> None:
    """A duplicate arriving while the first runs waits for the restaurant's lock, then replays."""
    body = {"name": "Flaky Wifi", "party_size": 2}
    path = f"{restaurant.path}/guests"
    headers = {"Authorization": f"Bearer {restaurant.tokens['host']}", **keyed("tap-42")}

    responses = await crowd.gather([("POST", path, body, headers)] * RETRIES)

    assert {r.status_code for r in responses} == {201}
    assert len({r.content for r in responses}) == 1, "every duplicate gets the first body"
    replayed = [r for r in responses if r.headers.get("Idempotent-Replayed") == "true"]
    assert len(replayed) == RETRIES - 1
    [guest] = await guests_named(restaurant, "Flaky Wifi")
    assert guest["id"] == responses[0].json()["id"]
    assert len(await guest_events(restaurant, "created")) == 1


async def test_ten_concurrent_duplicates_of_a_patch_apply_once_the_others_replay(
    restaurant: Restaurant, crowd: Crowd
) -> None:
    """A keyed PATCH's duplicates wait for the restaurant's lock, then find its response."""
    guest = await restaurant.guest("Double Tap")
    path = f"{restaurant.path}/guests/{guest['id']}"
    headers = {
        "Authorization": f"Bearer {restaurant.tokens['host']}",
        "If-Match": f'"{guest["version"]}"',
        **keyed("notify-7"),
    }

    responses = await crowd.gather([("PATCH", path, {"status": "notified"}, headers)] * RETRIES)

    assert {r.status_code for r in responses} == {200}, [r.text for r in responses]
    assert len({r.content for r in responses}) == 1, "every duplicate gets the first body"
    replayed = [r for r in responses if r.headers.get("Idempotent-Replayed") == "true"]
    assert len(replayed) == RETRIES - 1
    assert (await restaurant.api.ok("GET", path))["version"] == guest["version"] + 1
    changed = [
        e for e in await guest_events(restaurant, "status_changed") if e["guest_id"] == guest["id"]
    ]
    assert len(changed) == 1


async def test_the_same_key_with_another_request_is_refused(restaurant: Restaurant) -> None:
    host = restaurant.client("owner")
    guests = f"{restaurant.path}/guests"
    await host.ok("POST", guests, 201, json={"name": "Once", "party_size": 2}, headers=keyed("k1"))
    before = await all_events(restaurant)

    other_body = await host.request(
        "POST", guests, json={"name": "Twice", "party_size": 2}, headers=keyed("k1")
    )
    other_path = await host.request(
        "POST", f"{restaurant.path}/tables", json={"label": "K", "capacity": 2}, headers=keyed("k1")
    )

    for refused in (other_body, other_path):
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["code"] == "idempotency_key_reused"
    assert await guests_named(restaurant, "Twice") == []
    assert await all_events(restaurant) == before
    await host.close()


async def test_keys_belong_to_one_restaurant(api: Api) -> None:
    first, second = await api.restaurant("First"), await api.restaurant("Second")
    body = {"name": "Same Key", "party_size": 2}

    created = [
        await r.client("host").ok(
            "POST", f"{r.path}/guests", 201, json=body, headers=keyed("shared")
        )
        for r in (first, second)
    ]

    assert created[0]["id"] != created[1]["id"]
    assert [created[0]["restaurant_id"], created[1]["restaurant_id"]] == [first.id, second.id]


async def test_a_retried_patch_applies_once(restaurant: Restaurant) -> None:
    guest = await restaurant.guest("Patchy")
    path = f"{restaurant.path}/guests/{guest['id']}"
    host = restaurant.client("host")
    headers = {**keyed("arrive-1"), "If-Match": f'"{guest["version"]}"'}

    first = await host.request("PATCH", path, json={"status": "arrived"}, headers=headers)
    # Without the key this retry would be refused with 412: the first one moved the version on.
    retry = await host.request("PATCH", path, json={"status": "arrived"}, headers=headers)

    assert first.status_code == 200, first.text
    assert_same_answer(first, retry)
    assert (await host.ok("GET", path))["version"] == guest["version"] + 1
    changed = [
        e for e in await guest_events(restaurant, "status_changed") if e["guest_id"] == guest["id"]
    ]
    assert len(changed) == 1
    reused = await host.request("PATCH", path, json={"notes": "x"}, headers=keyed("arrive-1"))
    assert reused.json()["error"]["code"] == "idempotency_key_reused"
    await host.close()


async def test_a_retried_assign_replays_instead_of_refusing(restaurant: Restaurant) -> None:
    table = await restaurant.table("R1")
    guest = await restaurant.guest("Seat Once")
    host = restaurant.client("host")
    path = f"{restaurant.path}/tables/{table['id']}/assign"
    body = {"guest_id": guest["id"]}

    first = await host.request("POST", path, json=body, headers=keyed("seat-1"))
    retry = await host.request("POST", path, json=body, headers=keyed("seat-1"))
    unkeyed = await host.request("POST", path, json=body)

    assert first.status_code == 200, first.text
    assert_same_answer(first, retry)
    assert unkeyed.json()["error"]["code"] == "table_not_available"
    assigned = [e for e in await all_events(restaurant) if e["action"] == "assigned"]
    assert len(assigned) == 1
    await host.close()


async def test_a_refused_request_consumes_no_key(restaurant: Restaurant) -> None:
    """A refusal changed nothing, so its retry is judged again on the state as it is then."""
    table = await restaurant.table("R2")
    seated, waiting = await restaurant.guest("First"), await restaurant.guest("Second")
    host = restaurant.client("host")
    base = f"{restaurant.path}/tables/{table['id']}"
    await host.ok("POST", f"{base}/assign", json={"guest_id": seated["id"]})
    body = {"guest_id": waiting["id"]}

    refused = await host.request("POST", f"{base}/assign", json=body, headers=keyed("seat-2"))
    assert refused.json()["error"]["code"] == "table_not_available"
    await host.ok("POST", f"{base}/release")
    await host.ok("PATCH", base, json={"status": "available"})
    retried = await host.request("POST", f"{base}/assign", json=body, headers=keyed("seat-2"))

    assert retried.status_code == 200, retried.text
    assert "Idempotent-Replayed" not in retried.headers
    assert retried.json()["guest"]["id"] == waiting["id"]
    await host.close()


async def test_a_client_generated_id_makes_a_keyless_retry_safe(restaurant: Restaurant) -> None:
    guest_id = str(uuid.uuid4())
    body = {"id": guest_id, "name": "Own Id", "party_size": 2}
    path = f"{restaurant.path}/guests"

    created = await restaurant.api.ok("POST", path, 201, json=body)
    again = await restaurant.api.request("POST", path, json=body)

    assert created["id"] == guest_id
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_exists"
    assert [g["id"] for g in await guests_named(restaurant, "Own Id")] == [guest_id]


async def test_concurrent_retries_of_a_restaurant_create_make_one_restaurant(
    api: Api, crowd: Crowd
) -> None:
    key = f"open-{uuid.uuid4()}"
    headers = {"Authorization": f"Bearer {api.token}", **keyed(key)}
    body = {"name": "Retried Bistro"}

    responses = await crowd.gather([("POST", "restaurants", body, headers)] * RETRIES)

    assert {r.status_code for r in responses} == {201}, [r.text for r in responses]
    assert len({r.content for r in responses}) == 1
    rid = responses[0].json()["id"]
    assert (await api.ok("GET", f"restaurants/{rid}"))["name"] == "Retried Bistro"
