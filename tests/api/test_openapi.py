"""The served OpenAPI document says what the server does: what it answers and what it refuses.

Each test here pins a mismatch that tests/api/test_fuzz.py found.
"""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator

from tests.api.checks import expect_error, failing_fields
from tests.conftest import Api, Restaurant

SEATING_ACTIONS = ("assign", "move", "release", "reseat")
UPDATES = {
    "RestaurantUpdate": "",
    "TableUpdate": "/tables/{table_id}",
    "GuestUpdate": "/guests/{guest_id}",
}


@pytest.fixture
async def openapi(api: Api) -> dict[str, Any]:
    """The document as the server serves it."""
    page: dict[str, Any] = await api.as_token(None).ok("GET", "/openapi.json")
    return page


def validator(openapi: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    """A JSON Schema validator of `schema`, whose $refs point into the document."""
    return Draft202012Validator({**schema, "components": openapi["components"]})


def documented(openapi: dict[str, Any], path: str, method: str, status: int) -> dict[str, Any]:
    """The JSON schema of one documented response."""
    response = openapi["paths"][path][method]["responses"][str(status)]
    return response["content"]["application/json"]["schema"]  # type: ignore[no-any-return]


def operation(openapi: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    """One documented operation."""
    return openapi["paths"][path][method]  # type: ignore[no-any-return]


async def test_every_json_success_is_documented_with_its_model(
    openapi: dict[str, Any], api: Api
) -> None:
    # The document once gave every success as {"type": "string"}: FastAPI writes a route's
    # model there only when its response class is a JSONResponse.
    for path, operations in openapi["paths"].items():
        for method, op in operations.items():
            for status, response in op["responses"].items():
                content = response.get("content", {}).get("application/json")
                if status.startswith("2") and content is not None:
                    assert "$ref" in content["schema"], (method, path, status, content)
    created = await api.request("POST", "restaurants", json={"name": "Documented"})
    schema = documented(openapi, "/api/v1/restaurants", "post", 201)
    validator(openapi, schema).validate(created.json())


async def test_a_token_retry_without_its_secret_is_documented(
    openapi: dict[str, Any], restaurant: Restaurant
) -> None:
    path = f"{restaurant.path}/tokens"
    body = {"name": "retried", "role": "host"}
    headers = {"Idempotency-Key": "retried-token"}
    first = await restaurant.api.ok("POST", path, 201, json=body, headers=headers)
    retry = await restaurant.api.ok("POST", path, 201, json=body, headers=headers)
    assert (first["id"], retry["token"]) == (retry["id"], None)
    schema = documented(openapi, "/api/v1/restaurants/{restaurant_id}/tokens", "post", 201)
    for issued in (first, retry):
        validator(openapi, schema).validate(issued)


async def test_a_field_is_documented_as_nullable_exactly_when_null_is_accepted(
    openapi: dict[str, Any], restaurant: Restaurant
) -> None:
    # The update fields that refuse null ("cannot be null") were documented as nullable.
    table = await restaurant.table()
    # A reservation: a walk-in refuses the reservation's fields whatever their value.
    guest = await restaurant.guest(kind="reservation", reserved_for="2030-01-01T19:00:00Z")
    ids = {"table_id": table["id"], "guest_id": guest["id"]}
    seen = 0
    for model, suffix in UPDATES.items():
        schema = openapi["components"]["schemas"][model]
        path = f"{restaurant.path}{suffix.format(**ids)}"
        for field in schema["properties"]:
            may_be_null = validator(openapi, {"$ref": f"#/components/schemas/{model}"}).is_valid(
                {field: None}
            )
            response = await restaurant.api.request("PATCH", path, json={field: None})
            refused = response.status_code == 422 and field in failing_fields(response)
            assert refused != may_be_null, (model, field, response.status_code, response.text)
            seen += not may_be_null
    assert seen >= 10  # name, timezone, label, capacity, min_capacity, status, party_size, tags


async def test_if_match_is_documented_as_the_etags_the_server_takes(
    openapi: dict[str, Any], restaurant: Restaurant
) -> None:
    table = await restaurant.table()
    path = "/api/v1/restaurants/{restaurant_id}/tables/{table_id}"
    header = next(
        p for p in operation(openapi, path, "patch")["parameters"] if p["name"] == "if-match"
    )
    documented_header = validator(openapi, header["schema"])
    for value in ['"1"', 'W/"1"', "1", "*", '"7"', "", "null", '"1", "2"', '"x"', "W/1x"]:
        response = await restaurant.api.request(
            "PATCH",
            f"{restaurant.path}/tables/{table['id']}",
            json={"section": "patio"},
            headers={"If-Match": value},
        )
        refused = response.status_code == 422
        assert refused != documented_header.is_valid(value), (value, response.text)


async def test_the_headers_a_change_reads_itself_are_documented_as_those_fastapi_reads(
    openapi: dict[str, Any],
) -> None:
    # WriterDep reads If-Match and Idempotency-Key itself (api/deps.py), and the app documents
    # them; ExpectedVersion (a DELETE) and IdempotencyDep (a POST) leave them to FastAPI.
    def header(path: str, method: str, name: str) -> dict[str, Any]:
        [found] = [p for p in operation(openapi, path, method)["parameters"] if p["name"] == name]
        return found

    tables = "/api/v1/restaurants/{restaurant_id}/tables"
    by_fastapi = {
        "if-match": header(f"{tables}/{{table_id}}", "delete", "if-match"),
        "idempotency-key": header(tables, "post", "idempotency-key"),
    }
    changes = [
        (f"{tables}/{{table_id}}", "patch"),
        *((f"{tables}/{{table_id}}/{action}", "post") for action in SEATING_ACTIONS),
        ("/api/v1/restaurants/{restaurant_id}/guests/{guest_id}", "patch"),
    ]
    for path, method in changes:
        names = [p["name"] for p in operation(openapi, path, method)["parameters"]]
        assert names[-2:] == ["if-match", "idempotency-key"], (path, names)
        for name, documented_by_fastapi in by_fastapi.items():
            assert header(path, method, name) == documented_by_fastapi, (path, name)


async def test_events_past_the_last_answer_the_documented_410(
    openapi: dict[str, Any], restaurant: Restaurant
) -> None:
    path = "/api/v1/restaurants/{restaurant_id}/events"
    response = await restaurant.api.request("GET", f"{restaurant.path}/events?after=99")
    expect_error(response, 410, "resync_required")
    validator(openapi, documented(openapi, path, "get", 410)).validate(response.json())


async def test_metrics_are_documented_as_prometheus_text(openapi: dict[str, Any], api: Api) -> None:
    response = await api.as_token(None).request("GET", "/metrics")
    assert response.status_code == 200
    media_type = response.headers["content-type"].split(";")[0]
    assert list(operation(openapi, "/metrics", "get")["responses"]["200"]["content"]) == [
        media_type
    ]
