"""/api/v1/restaurants: create, list, read, change and delete, with every refusal."""

from __future__ import annotations

import uuid

from tests.api.checks import assert_wire_timestamps, expect_error, failing_fields
from tests.conftest import Api, Restaurant

UNKNOWN = "11111111-2222-4333-8444-555555555555"
# ["2025-01-01T00:00:00", UNKNOWN]: a well-formed cursor but for a time without a zone
NAIVE_CURSOR = "WyIyMDI1LTAxLTAxVDAwOjAwOjAwIiwiMTExMTExMTEtMjIyMi00MzMzLTg0NDQtNTU1NTU1NTU1NTU1Il0"


async def test_a_restaurant_is_created_with_defaults_and_an_etag(api: Api) -> None:
    response = await api.request("POST", "restaurants", json={"name": "  Chez Test  "})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["name"] == "Chez Test"
    assert body["timezone"] == "UTC"
    assert body["version"] == 1
    assert body["turn_times"][0] == {"max_party_size": 2, "minutes": 75}
    assert uuid.UUID(body["id"])
    assert response.headers["etag"] == '"1"'
    assert_wire_timestamps(body, at_least=2)
    fetched = await api.ok("GET", f"restaurants/{body['id']}")
    assert fetched == body


async def test_a_restaurant_keeps_its_time_zone_turn_times_and_chosen_id(api: Api) -> None:
    chosen = str(uuid.uuid4())
    body = await api.ok(
        "POST",
        "restaurants",
        201,
        json={
            "id": chosen,
            "name": "Le Marais",
            "timezone": "Europe/Paris",
            "turn_times": [{"max_party_size": 4, "minutes": 60}],
        },
    )
    assert body["id"] == chosen
    assert body["timezone"] == "Europe/Paris"
    assert body["turn_times"] == [{"max_party_size": 4, "minutes": 60}]


async def test_creating_a_restaurant_with_a_taken_id_is_a_conflict(api: Api) -> None:
    chosen = str(uuid.uuid4())
    await api.ok("POST", "restaurants", 201, json={"id": chosen, "name": "First"})
    response = await api.request("POST", "restaurants", json={"id": chosen, "name": "Second"})
    expect_error(response, 409, "already_exists")
    assert (await api.ok("GET", f"restaurants/{chosen}"))["name"] == "First"


async def test_invalid_restaurant_fields_are_named(api: Api) -> None:
    cases = [
        ({}, {"name"}),
        ({"name": ""}, {"name"}),
        ({"name": "x" * 201}, {"name"}),
        ({"name": "A", "timezone": "Mars/Olympus"}, {"timezone"}),
        ({"name": "A", "timezone": "localtime"}, {"timezone"}),
        ({"name": "A", "stars": 3}, {"stars"}),
        ({"name": "A", "id": "not-a-uuid"}, {"id"}),
        (
            {"name": "A", "turn_times": [{"max_party_size": 2, "minutes": 1}]},
            {"turn_times.0.minutes"},
        ),
        ({"name": 42, "timezone": 7}, {"name", "timezone"}),
        ({"name": "Nul\u0000Bistro"}, {"name"}),  # PostgreSQL cannot store NUL: a 500 before
    ]
    for body, fields in cases:
        response = await api.request("POST", "restaurants", json=body)
        assert failing_fields(response) == fields, body


async def test_a_body_that_is_not_json_or_not_an_object_is_refused(api: Api) -> None:
    response = await api.request(
        "POST",
        "restaurants",
        content=b'{"name": "Unclosed',
        headers={"Content-Type": "application/json"},
    )
    error = expect_error(response, 422, "invalid_json")
    assert error["details"]
    response = await api.request(
        "POST",
        "restaurants",
        content='{"name": "Café"}'.encode("latin-1"),  # a client that sends Latin-1
        headers={"Content-Type": "application/json"},
    )
    error = expect_error(response, 422, "invalid_json")
    assert error["details"] == [{"field": "body", "message": "not UTF-8 text"}]
    response = await api.request("POST", "restaurants", json=["a", "list"])
    assert failing_fields(response) == {"body"}
    response = await api.request("POST", "restaurants")
    assert failing_fields(response) == {"body"}


async def test_the_admin_pages_through_every_restaurant_with_a_cursor(api: Api) -> None:
    mine = [
        (await api.ok("POST", "restaurants", 201, json={"name": f"Page {n}"}))["id"]
        for n in range(3)
    ]
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2} if cursor is None else {"limit": 2, "cursor": cursor}
        page = await api.ok("GET", "restaurants", params=params)
        assert len(page["items"]) <= 2
        assert_wire_timestamps(page["items"], at_least=0)
        seen.extend(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen))
    positions = [seen.index(rid) for rid in mine]
    assert positions == sorted(positions)
    everything = await api.ok("GET", "restaurants", params={"limit": 500})
    if everything["next_cursor"] is None:
        assert [item["id"] for item in everything["items"]] == seen


async def test_a_restaurant_token_lists_only_its_own_restaurant(restaurant: Restaurant) -> None:
    page = await restaurant.client("viewer").ok("GET", "restaurants")
    assert [item["id"] for item in page["items"]] == [restaurant.id]
    assert page["next_cursor"] is None


async def test_bad_list_parameters_are_refused(api: Api) -> None:
    for params, field in [
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"cursor": "not a cursor"}, "cursor"),
        ({"cursor": "WyIyMDI1LTAxLTAxVDAwOjAwOjAwIiwxXQ"}, "cursor"),  # ["2025-01-01T00:00:00", 1]
        ({"cursor": NAIVE_CURSOR}, "cursor"),
        ({"cursor": "eyJhIjoxfQ"}, "cursor"),  # {"a": 1}
        ({"cursor": "WzEsMl0"}, "cursor"),  # [1, 2]
    ]:
        response = await api.request("GET", "restaurants", params=params)
        assert failing_fields(response) == {field}, params


async def test_unknown_or_malformed_restaurant_ids_are_not_found(api: Api) -> None:
    for rid in (UNKNOWN, "not-a-uuid"):
        for method, body in (("GET", None), ("PATCH", {"name": "X"}), ("DELETE", None)):
            response = await api.request(method, f"restaurants/{rid}", json=body)
            expect_error(response, 404, "not_found")


async def test_a_restaurant_is_renamed_and_moved_to_another_time_zone(
    restaurant: Restaurant,
) -> None:
    owner = restaurant.client("owner")
    response = await owner.request(
        "PATCH",
        restaurant.path,
        json={"name": "Renamed", "timezone": "America/New_York", "turn_times": []},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["name"] == "Renamed"
    assert body["timezone"] == "America/New_York"
    assert body["turn_times"] == restaurant.body["turn_times"]  # empty means the defaults
    assert body["version"] == restaurant.body["version"] + 1
    assert body["created_at"] == restaurant.body["created_at"]
    assert response.headers["etag"] == f'"{body["version"]}"'
    assert_wire_timestamps(body, at_least=2)
    assert (await owner.ok("GET", restaurant.path)) == body


async def test_invalid_restaurant_changes_are_refused_and_change_nothing(
    restaurant: Restaurant,
) -> None:
    owner = restaurant.client("owner")
    for body, fields in [
        ({"timezone": "Nowhere/Special"}, {"timezone"}),
        ({"name": None}, {"name"}),
        ({"timezone": None}, {"timezone"}),
        ({"name": ""}, {"name"}),
        ({"id": str(uuid.uuid4())}, {"id"}),
    ]:
        response = await owner.request("PATCH", restaurant.path, json=body)
        assert failing_fields(response) == fields, body
    assert (await owner.ok("GET", restaurant.path)) == restaurant.body


async def test_a_deleted_restaurant_is_gone_with_everything_it_had(restaurant: Restaurant) -> None:
    table = await restaurant.table("1")
    guest = await restaurant.guest("Gone")
    response = await restaurant.api.request("DELETE", restaurant.path)
    assert response.status_code == 204
    assert response.content == b""
    for path in (
        restaurant.path,
        f"{restaurant.path}/tables/{table['id']}",
        f"{restaurant.path}/guests/{guest['id']}",
    ):
        expect_error(await restaurant.api.request("GET", path), 404, "not_found")
    expect_error(await restaurant.api.request("DELETE", restaurant.path), 404, "not_found")


async def test_a_restaurant_recreated_under_a_deleted_id_can_be_deleted_again(api: Api) -> None:
    chosen = str(uuid.uuid4())
    for _ in range(2):
        await api.ok("POST", "restaurants", 201, json={"id": chosen, "name": "Pop-up"})
        response = await api.request("DELETE", f"restaurants/{chosen}")
        assert response.status_code == 204, response.text
    expect_error(await api.request("GET", f"restaurants/{chosen}"), 404, "not_found")
