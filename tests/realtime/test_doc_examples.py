"""The examples of docs/PROTOCOL.md and docs/asyncapi.yaml are what a real server sends and
takes, field for field: the same names in the same order, the same nesting, the same JSON
types, and timestamps and ids in the same format."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Restaurant
from tests.realtime.asyncapi_doc import SENT, load_document
from tests.realtime.conftest import (
    EVENT_TYPES,
    WIRE_TIMESTAMP,
    Connect,
    Device,
    RawConnect,
    every_kind_of_message,
)
from tests.realtime.seed_examples import examples

PROTOCOL = Path(__file__).parents[2] / "docs" / "PROTOCOL.md"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
CLIENT_SENDS = ("restaurant_connect", "ping", "user_action")


def _is_relay(message: dict[str, Any]) -> bool:
    return message["type"] == "user_action" and "sender" in message


def _sent_by_server(message: dict[str, Any]) -> bool:
    return message.get("type") in SENT and (message["type"] != "user_action" or _is_relay(message))


def protocol_examples() -> list[dict[str, Any]]:
    """Every message example of PROTOCOL.md (those of the REST API have no `type`)."""
    return [e.message for e in examples(PROTOCOL) if isinstance(e.message.get("type"), str)]


def asyncapi_examples() -> list[tuple[str, dict[str, Any]]]:
    """Every example payload of asyncapi.yaml, with its message's name."""
    messages = load_document()["components"]["messages"]
    return [(name, e["payload"]) for name, m in messages.items() for e in m["examples"]]


def shape_differences(example: Any, ours: Any, where: str = "") -> list[str]:
    """Where `ours` differs from `example` in fields, their order, nesting, or JSON types.

    A null on either side matches anything (a nullable field, set in one and not the other).
    """
    if example is None or ours is None:
        return []
    if isinstance(example, dict) and isinstance(ours, dict):
        if list(example) != list(ours):
            return [
                f"{where or 'message'}: fields {list(example)} but the server sends {list(ours)}"
            ]
        return [d for k in example for d in shape_differences(example[k], ours[k], f"{where}.{k}")]
    if isinstance(example, list) and isinstance(ours, list):
        if not example or not ours:
            return []
        return shape_differences(example[0], ours[0], f"{where}[0]")
    if _json_type(example) != _json_type(ours):
        return [f"{where}: {_json_type(example)} in the example, {_json_type(ours)} sent"]
    if isinstance(example, str):
        for kind, pattern in (("timestamp", WIRE_TIMESTAMP), ("UUID", UUID)):
            if pattern.match(example) and not pattern.match(ours):
                return [f"{where}: a {kind} in the example, {ours!r} sent"]
    return []


def _json_type(value: Any) -> str:
    if isinstance(value, bool):  # before int: JSON tells true from 1
        return "boolean"
    return {int: "number", float: "number", str: "string", dict: "object", list: "array"}.get(
        type(value), "null"
    )


def _variant(message: dict[str, Any]) -> tuple[str, Any]:
    """Its type, and for an event its action (a user_action's is the client's own word)."""
    return message["type"], message.get("action") if message["type"] in EVENT_TYPES else None


@pytest.fixture(scope="module")
def documented() -> list[tuple[str, dict[str, Any]]]:
    """Every server message example of both documents, named by where it comes from."""
    found = [(f"PROTOCOL.md {m['type']}/{m.get('action')}", m) for m in protocol_examples()]
    found += [(f"asyncapi.yaml {name}", m) for name, m in asyncapi_examples()]
    return [(where, m) for where, m in found if _sent_by_server(m)]


def test_protocol_md_has_an_example_of_every_message_and_event_action() -> None:
    shown = {_variant(m) for m in protocol_examples()}
    assert {kind for kind, _ in shown} == set(SENT) | set(CLIENT_SENDS), shown
    for variant in [
        ("table_updated", "assigned"),
        ("guest_updated", "status_changed"),
        ("guest_updated", "deleted"),
        ("data_change", "updated"),
        ("data_change", "token_created"),
    ]:
        assert variant in shown, variant


async def test_every_example_has_the_fields_of_what_a_real_server_sends(
    documented: list[tuple[str, dict[str, Any]]],
    restaurant: Restaurant,
    connect: Connect,
    connect_raw: RawConnect,
) -> None:
    sent = await every_kind_of_message(restaurant, connect, connect_raw)
    for where, example in documented:
        ours = [m for m in sent if _variant(m) == _variant(example)]
        assert ours, f"{where}: the server sent no {_variant(example)} in this session"
        differences = [shape_differences(example, m) for m in ours]
        assert [] in differences, f"{where}: {min(differences, key=len)}"


async def test_the_client_examples_are_taken_as_documented(
    restaurant: Restaurant, connect: Connect, connect_raw: RawConnect
) -> None:
    """Each client example of PROTOCOL.md, with the restaurant's id put in, gets the answer
    its section describes."""
    client = {m["type"]: m for m in protocol_examples() if not _sent_by_server(m)}
    assert set(client) == set(CLIENT_SENDS)
    placeholder = client["restaurant_connect"]["restaurant_id"]

    def ours(message: dict[str, Any]) -> dict[str, Any]:
        return {k: restaurant.id if v == placeholder else v for k, v in message.items()}

    device: Device = await connect_raw(
        restaurant.api.base_url, restaurant.id, restaurant.tokens["host"]
    )
    await device.send(ours(client["restaurant_connect"]))
    hello = await device.recv()
    assert (hello["type"], hello["restaurant_id"]) == ("connection_established", restaurant.id)
    # Its last_seq, 41, is ahead of this new restaurant: the documented resync follows.
    assert hello["resumed"] is False
    assert (await device.recv())["type"] == "resync_required"
    await device.send(client["ping"])
    assert (await device.recv())["type"] == "pong"
    other = await connect(restaurant)
    await device.send(ours(client["user_action"]))
    relayed = await other.recv()
    expected = ours(client["user_action"])
    assert {k: relayed[k] for k in expected} == expected
    await device.assert_quiet()
