"""Every JSON example of the seed protocol, replayed against a real server.

The client examples (restaurant_connect, ping, user_action) are sent as they are, with only the
restaurant's id put in; what the server sends back must carry each field of the matching
server example, with the same JSON type, and timestamps in exactly the seed's format.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from websockets.asyncio.client import connect

from hoststand.realtime.client import ws_url
from tests.conftest import Api
from tests.realtime.conftest import WIRE_TIMESTAMP, Device
from tests.realtime.seed_examples import SEED, SHARED_SEED, Example, examples
from tests.servers import ThreadServer

SEED_EXAMPLES = examples()
SERVER_EXAMPLES = [e for e in SEED_EXAMPLES if e.sent_by_server]


@dataclass(frozen=True)
class Conversation:
    """The restaurant of the replay, and what the server sent, by type."""

    restaurant_id: str
    messages: dict[str, dict[str, Any]]


def _example(kind: str) -> dict[str, Any]:
    return next(dict(e.message) for e in SEED_EXAMPLES if e.type == kind)


def _json_type(value: Any) -> str:
    if isinstance(value, bool):  # before int: JSON tells true from 1
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if value is None:
        return "null"
    return {str: "string", dict: "object", list: "array"}[type(value)]


def test_the_seed_holds_every_message_we_replay() -> None:
    assert [e.type for e in SEED_EXAMPLES] == [
        "restaurant_connect",
        "connection_established",
        "guest_updated",
        "table_updated",
        "data_change",
        "user_action",
        "ping",
        "pong",
    ]
    assert all(WIRE_TIMESTAMP.match(e.message["timestamp"]) for e in SERVER_EXAMPLES)


def test_the_copy_of_the_seed_is_current() -> None:
    if not SHARED_SEED.exists():
        pytest.skip("the shared seed is not on this machine; the copy in tests/ is the contract")
    assert SEED.read_bytes() == SHARED_SEED.read_bytes(), "copy the seed again (data/README.md)"


async def _seed_device(base_url: str, restaurant_id: str, token: str) -> Device:
    """A device that opens the socket as the seed says and sends its restaurant_connect."""
    ws = await connect(
        ws_url(base_url, restaurant_id, None, "header"),
        additional_headers={"Authorization": f"Bearer {token}"},
    )
    device = Device(ws, {})
    await device.send({**_example("restaurant_connect"), "restaurant_id": restaurant_id})
    device.hello = await device.recv()
    return device


@pytest.fixture(scope="module")
async def conversation(server: ThreadServer) -> AsyncIterator[Conversation]:
    """What the server sent, by type, in a session that replays every client example."""
    api = Api(server.base_url)
    restaurant = await api.restaurant("Seed Bistro")
    rid, host = restaurant.id, restaurant.tokens["host"]
    first = await _seed_device(server.base_url, rid, host)
    second = await _seed_device(server.base_url, rid, host)
    ours: dict[str, dict[str, Any]] = {"connection_established": first.hello}
    try:
        await first.send(_example("ping"))
        ours["pong"] = await first.recv()
        table = await restaurant.table("7", capacity=4)
        guest = await restaurant.guest("Rossi", party_size=2)
        await restaurant.client("host").ok(
            "POST", f"{restaurant.path}/tables/{table['id']}/assign", json={"guest_id": guest["id"]}
        )
        await restaurant.client("owner").ok("PATCH", restaurant.path, json={"name": "Seed Café"})
        last = first.hello["seq"] + 5  # two creations, an assignment (two events), a PATCH
        for event in await first.events_until(last):
            ours.setdefault(f"{event['type']}/{event['action']}", event)
        await second.events_until(last)
        await first.send({**_example("user_action"), "restaurant_id": rid})
        ours["user_action"] = await second.recv()
        ours["guest_updated"] = ours["guest_updated/status_changed"]
        ours["table_updated"] = ours["table_updated/assigned"]
        ours["data_change"] = ours["data_change/updated"]
        yield Conversation(rid, ours)
    finally:
        await first.close()
        await second.close()
        await api.close()


@pytest.mark.parametrize("example", SERVER_EXAMPLES, ids=lambda e: e.type)
async def test_our_message_carries_every_field_of_the_seed_example(
    conversation: Conversation, example: Example
) -> None:
    ours = conversation.messages[example.type]
    for name, value in example.message.items():
        assert name in ours, f"{example.type} lacks the seed's field {name!r}: {ours}"
        assert _json_type(ours[name]) == _json_type(value), (example.type, name, ours[name])
    assert ours["type"] == example.type
    assert WIRE_TIMESTAMP.match(ours["timestamp"]), ours["timestamp"]
    if "restaurant_id" in example.message:
        assert ours["restaurant_id"] == conversation.restaurant_id
    if "action" in example.message:
        assert ours["action"] == example.message["action"]


async def test_a_relayed_user_action_keeps_the_values_of_the_seed_example(
    conversation: Conversation,
) -> None:
    relayed, sent = conversation.messages["user_action"], _example("user_action")
    assert {k: relayed[k] for k in ("action", "guest_id", "timestamp")} == {
        k: sent[k] for k in ("action", "guest_id", "timestamp")
    }


async def test_our_additions_are_the_documented_ones(
    conversation: Conversation,
) -> None:
    ours = conversation.messages
    hello = ours["connection_established"]
    assert isinstance(hello["seq"], int)
    assert hello["resumed"] is False
    for kind in ("guest_updated", "table_updated", "data_change"):
        event = ours[kind]
        assert isinstance(event["seq"], int)
        assert isinstance(event["event_id"], str)
        assert isinstance(event["data"], dict)
    assert ours["data_change"]["scope"] == "restaurant"
    assert ours["data_change"]["data"]["name"] == "Seed Café"
    assert ours["guest_updated"]["data"]["status"] == "seated"
    assert ours["table_updated"]["data"]["status"] == "occupied"
