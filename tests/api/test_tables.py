"""/api/v1/restaurants/{id}/tables: the floor's tables, their layout and their status."""

from __future__ import annotations

from typing import Any

from tests.api.checks import assert_wire_timestamps, expect_error, failing_fields
from tests.conftest import Api, Restaurant

UNKNOWN = "11111111-2222-4333-8444-555555555555"


async def test_a_table_is_created_with_defaults_and_an_etag(restaurant: Restaurant) -> None:
    owner = restaurant.client("owner")
    response = await owner.request(
        "POST", f"{restaurant.path}/tables", json={"label": " 12 ", "capacity": 4}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["label"] == "12"
    assert body["restaurant_id"] == restaurant.id
    assert body["capacity"] == 4
    assert body["min_capacity"] == 1
    assert body["section"] is None
    assert body["x"] is None
    assert body["y"] is None
    assert body["status"] == "available"
    assert body["current_guest_id"] is None
    assert body["version"] == 1
    assert response.headers["etag"] == '"1"'
    assert_wire_timestamps(body, at_least=2)
    assert (await owner.ok("GET", f"{restaurant.path}/tables/{body['id']}")) == body


async def test_a_table_keeps_its_layout_and_starting_status(restaurant: Restaurant) -> None:
    body = await restaurant.table(
        "Patio 3", capacity=6, min_capacity=2, section="Patio", x=3.5, y=-1, status="out_of_service"
    )
    assert (body["capacity"], body["min_capacity"]) == (6, 2)
    assert (body["section"], body["x"], body["y"]) == ("Patio", 3.5, -1.0)
    assert body["status"] == "out_of_service"


async def test_invalid_tables_are_refused_with_the_failing_fields(restaurant: Restaurant) -> None:
    cases: list[tuple[dict[str, Any], set[str]]] = [
        ({}, {"label", "capacity"}),
        ({"label": "", "capacity": 2}, {"label"}),
        ({"label": "x" * 51, "capacity": 2}, {"label"}),
        ({"label": "A", "capacity": 0}, {"capacity"}),
        ({"label": "A", "capacity": "four"}, {"capacity"}),
        ({"label": "A", "capacity": 2, "min_capacity": 3}, {"min_capacity"}),
        ({"label": "A", "capacity": 2, "status": "occupied"}, {"status"}),
        ({"label": "A", "capacity": 2, "status": "broken"}, {"status"}),
        ({"label": "A", "capacity": 2, "seats": 2}, {"seats"}),
        ({"label": "A", "capacity": 2, "x": "left"}, {"x"}),
        ({"label": "A\u0000", "capacity": 2}, {"label"}),
        ({"label": "A", "capacity": 2, "section": "\u0000"}, {"section"}),
    ]
    for body, fields in cases:
        response = await restaurant.api.request("POST", f"{restaurant.path}/tables", json=body)
        assert failing_fields(response) == fields, body
    assert (await restaurant.api.ok("GET", f"{restaurant.path}/tables"))["items"] == []


async def test_a_duplicate_label_is_refused_within_a_restaurant_only(
    api: Api, restaurant: Restaurant
) -> None:
    await restaurant.table("12")
    response = await api.request(
        "POST", f"{restaurant.path}/tables", json={"label": "12 ", "capacity": 2}
    )
    error = expect_error(response, 409, "duplicate_label")
    assert "12" in error["message"]
    other = await api.restaurant("Next door")
    assert (await other.table("12"))["label"] == "12"


async def test_tables_are_listed_in_creation_order_and_paged_with_a_cursor(
    restaurant: Restaurant,
) -> None:
    created = [(await restaurant.table(f"P{n}"))["id"] for n in range(5)]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor is not None:
            params["cursor"] = cursor
        page = await restaurant.client("viewer").ok(
            "GET", f"{restaurant.path}/tables", params=params
        )
        pages += 1
        assert len(page["items"]) <= 2
        seen.extend(t["id"] for t in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert isinstance(cursor, str)
    assert seen == created
    assert pages == 3
    everything = await restaurant.api.ok("GET", f"{restaurant.path}/tables")
    assert [t["id"] for t in everything["items"]] == created
    assert everything["next_cursor"] is None
    assert_wire_timestamps(everything, at_least=10)


async def test_a_list_that_ends_at_a_page_end_has_no_cursor_to_an_empty_page(
    restaurant: Restaurant,
) -> None:
    created = [(await restaurant.table(f"E{n}"))["id"] for n in range(4)]
    path = f"{restaurant.path}/tables"
    first = await restaurant.api.ok("GET", path, params={"limit": 2})
    assert [t["id"] for t in first["items"]] == created[:2]
    second = await restaurant.api.ok(
        "GET", path, params={"limit": 2, "cursor": first["next_cursor"]}
    )
    assert [t["id"] for t in second["items"]] == created[2:]
    assert second["next_cursor"] is None
    whole = await restaurant.api.ok("GET", path, params={"limit": 4})
    assert [t["id"] for t in whole["items"]] == created
    assert whole["next_cursor"] is None


async def test_tables_are_filtered_by_status(restaurant: Restaurant) -> None:
    free = await restaurant.table("Free")
    dirty = await restaurant.table("Dirty", status="dirty")
    broken = await restaurant.table("Broken", status="out_of_service")
    path = f"{restaurant.path}/tables"
    for status, expected in [
        ("available", [free]),
        ("dirty", [dirty]),
        ("out_of_service", [broken]),
        ("occupied", []),
    ]:
        page = await restaurant.api.ok("GET", path, params={"status": status})
        assert [t["id"] for t in page["items"]] == [t["id"] for t in expected], status
    response = await restaurant.api.request("GET", path, params={"status": "sparkling"})
    assert failing_fields(response) == {"status"}


async def test_bad_table_list_parameters_are_refused(restaurant: Restaurant) -> None:
    path = f"{restaurant.path}/tables"
    for params, field in [
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"cursor": "%%%"}, "cursor"),
        ({"cursor": "bm90IGEgY3Vyc29y"}, "cursor"),  # "not a cursor"
    ]:
        response = await restaurant.api.request("GET", path, params=params)
        assert failing_fields(response) == {field}, params


async def test_unknown_table_ids_are_not_found(api: Api, restaurant: Restaurant) -> None:
    other = await api.restaurant("Elsewhere")
    elsewhere = await other.table("E1")
    for tid in (UNKNOWN, "not-a-uuid", elsewhere["id"]):
        base = f"{restaurant.path}/tables/{tid}"
        for method, path, body in [
            ("GET", base, None),
            ("PATCH", base, {"label": "Z"}),
            ("DELETE", base, None),
            ("POST", f"{base}/assign", {"guest_id": UNKNOWN}),
            ("POST", f"{base}/release", None),
        ]:
            response = await api.request(method, path, json=body)
            expect_error(response, 404, "not_found")
    for method, path in [("GET", "tables"), ("POST", "tables")]:
        response = await api.request(
            method, f"restaurants/{UNKNOWN}/{path}", json={"label": "A", "capacity": 2}
        )
        expect_error(response, 404, "not_found")
    assert (await api.ok("GET", f"{other.path}/tables/{elsewhere['id']}")) == elsewhere


async def test_a_table_is_moved_relabelled_and_resized(restaurant: Restaurant) -> None:
    table = await restaurant.table("7", capacity=4)
    path = f"{restaurant.path}/tables/{table['id']}"
    response = await restaurant.client("owner").request(
        "PATCH",
        path,
        json={"label": "7A", "capacity": 6, "min_capacity": 3, "section": "Bar", "x": 1, "y": 2},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["label"], body["capacity"], body["min_capacity"]) == ("7A", 6, 3)
    assert (body["section"], body["x"], body["y"]) == ("Bar", 1.0, 2.0)
    assert body["version"] == 2
    assert response.headers["etag"] == '"2"'
    assert body["created_at"] == table["created_at"]
    assert_wire_timestamps(body, at_least=2)
    cleared = await restaurant.api.ok("PATCH", path, json={"section": None, "x": None, "y": None})
    assert (cleared["section"], cleared["x"], cleared["y"], cleared["label"]) == (
        None,
        None,
        None,
        "7A",
    )
    same_label = await restaurant.api.ok("PATCH", path, json={"label": "7A"})
    assert same_label["version"] == 4


async def test_invalid_table_changes_are_refused_and_change_nothing(
    restaurant: Restaurant,
) -> None:
    await restaurant.table("Taken")
    table = await restaurant.table("Mine", capacity=4, min_capacity=2)
    path = f"{restaurant.path}/tables/{table['id']}"
    for body, fields in [
        ({"capacity": 1}, {"capacity"}),
        ({"capacity": 3, "min_capacity": 4}, {"capacity", "min_capacity"}),
        ({"label": "Mine\u0000"}, {"label"}),
        ({"label": None}, {"label"}),
        ({"capacity": None}, {"capacity"}),
        ({"capacity": 0}, {"capacity"}),
        ({"min_capacity": 5}, {"min_capacity"}),
        ({"status": None}, {"status"}),
        ({"status": "sparkling"}, {"status"}),
        ({"restaurant_id": UNKNOWN}, {"restaurant_id"}),
    ]:
        response = await restaurant.api.request("PATCH", path, json=body)
        assert failing_fields(response) == fields, body
    response = await restaurant.api.request("PATCH", path, json={"label": "Taken"})
    expect_error(response, 409, "duplicate_label")
    assert (await restaurant.api.ok("GET", path)) == table


async def test_a_host_moves_a_table_through_its_statuses(restaurant: Restaurant) -> None:
    table = await restaurant.table("S1")
    path = f"{restaurant.path}/tables/{table['id']}"
    host = restaurant.client("host")
    for status in ("out_of_service", "dirty", "available", "reserved", "available"):
        body = await host.ok("PATCH", path, json={"status": status})
        assert body["status"] == status
    assert body["version"] == 6


async def test_illegal_table_transitions_name_both_states(restaurant: Restaurant) -> None:
    table = await restaurant.table("S2", status="out_of_service")
    path = f"{restaurant.path}/tables/{table['id']}"
    for target in ("reserved", "occupied"):
        response = await restaurant.api.request("PATCH", path, json={"status": target})
        error = expect_error(response, 409, "invalid_transition")
        assert error["details"] == {"from": "out_of_service", "to": target}
        assert "out_of_service" in error["message"]
        assert target in error["message"]
    assert (await restaurant.api.ok("GET", path)) == table


async def test_an_occupied_table_changes_status_only_through_release(
    restaurant: Restaurant,
) -> None:
    table = await restaurant.table("S3")
    guest = await restaurant.guest("Seated")
    path = f"{restaurant.path}/tables/{table['id']}"
    await restaurant.api.ok("POST", f"{path}/assign", json={"guest_id": guest["id"]})
    for target in ("available", "dirty", "out_of_service"):
        response = await restaurant.api.request("PATCH", path, json={"status": target})
        error = expect_error(response, 409, "invalid_transition")
        assert error["details"] == {"from": "occupied", "to": target}
    relabelled = await restaurant.api.ok("PATCH", path, json={"label": "S3 window"})
    assert relabelled["status"] == "occupied"
    assert relabelled["current_guest_id"] == guest["id"]


async def test_a_table_is_deleted(restaurant: Restaurant) -> None:
    table = await restaurant.table("Gone")
    path = f"{restaurant.path}/tables/{table['id']}"
    response = await restaurant.client("owner").request("DELETE", path)
    assert response.status_code == 204
    assert response.content == b""
    expect_error(await restaurant.api.request("GET", path), 404, "not_found")
    expect_error(await restaurant.api.request("DELETE", path), 404, "not_found")
    assert (await restaurant.table("Gone"))["label"] == "Gone"  # the label is free again


async def test_an_occupied_table_cannot_be_deleted(restaurant: Restaurant) -> None:
    table = await restaurant.table("Busy")
    guest = await restaurant.guest("Diner")
    path = f"{restaurant.path}/tables/{table['id']}"
    await restaurant.api.ok("POST", f"{path}/assign", json={"guest_id": guest["id"]})
    error = expect_error(await restaurant.api.request("DELETE", path), 409, "table_occupied")
    assert error["details"]["id"] == table["id"]
    assert (await restaurant.api.ok("GET", path))["status"] == "occupied"
