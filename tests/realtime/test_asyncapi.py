"""docs/asyncapi.yaml is valid AsyncAPI 3.0, and describes what a real server sends."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator

from hoststand.realtime.closecodes import CloseCode
from tests.conftest import Restaurant
from tests.realtime.asyncapi_doc import SENT, load_document, payload_validator, problems
from tests.realtime.conftest import Connect, RawConnect, every_kind_of_message

SPEC = Path(__file__).parent / "data" / "asyncapi-3.0.0.schema.json"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    """The AsyncAPI document, parsed."""
    return load_document()


def test_the_document_is_valid_asyncapi_3(document: dict[str, Any]) -> None:
    assert document["asyncapi"] == "3.0.0"
    spec = Draft7Validator(json.loads(SPEC.read_text(encoding="utf-8")))
    assert problems(spec, document) == []


def test_the_document_describes_every_message_of_the_protocol(document: dict[str, Any]) -> None:
    messages = document["components"]["messages"]
    names = {m["name"] for m in messages.values()}
    assert names == set(SENT) | {"restaurant_connect", "ping"}
    channel = document["channels"]["realtime"]
    assert channel["address"] == "/realtime"
    assert set(channel["messages"]) == set(messages)
    codes = set(document["info"]["x-close-codes"])
    assert codes == {str(code.value) for code in CloseCode if code is not CloseCode.NORMAL}


def test_every_example_matches_its_payload_schema(document: dict[str, Any]) -> None:
    for name, message in document["components"]["messages"].items():
        validator = payload_validator(document, name)
        assert message["examples"], name
        for example in message["examples"]:
            assert problems(validator, example["payload"]) == [], (name, example)


def test_the_schemas_are_strict_about_timestamps_and_actions(document: dict[str, Any]) -> None:
    pong = payload_validator(document, "pong")
    assert problems(pong, {"type": "pong", "timestamp": "2025-09-01T10:00:00Z"}) == []
    assert problems(pong, {"type": "pong", "timestamp": "2025-09-01T10:00:00.5Z"}) != []
    table = payload_validator(document, "tableUpdated")
    example = dict(document["components"]["messages"]["tableUpdated"]["examples"][0]["payload"])
    assert problems(table, {**example, "action": "teleported"}) != []


async def test_what_a_real_server_sends_matches_the_document(
    document: dict[str, Any], restaurant: Restaurant, connect: Connect, connect_raw: RawConnect
) -> None:
    sent = await every_kind_of_message(restaurant, connect, connect_raw)
    kinds = {(m["type"], m.get("action")) for m in sent}
    assert {m["type"] for m in sent} == set(SENT), kinds
    assert len(kinds) >= 14, kinds
    for message in sent:
        validator = payload_validator(document, SENT[message["type"]])
        assert problems(validator, message) == [], message
