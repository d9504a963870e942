"""docs/asyncapi.yaml, loaded, and validators of the messages it describes."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

DOC = Path(__file__).parents[2] / "docs" / "asyncapi.yaml"
DOC_URI = "urn:hoststand:asyncapi"
# What the server sends, by `type`, and the message of the document that describes it.
SENT = {
    "connection_established": "connectionEstablished",
    "guest_updated": "guestUpdated",
    "table_updated": "tableUpdated",
    "data_change": "dataChange",
    "user_action": "userActionRelayed",
    "pong": "pong",
    "resync_required": "resyncRequired",
    "error": "error",
}


def load_document() -> dict[str, Any]:
    """The AsyncAPI document, parsed."""
    parsed: dict[str, Any] = yaml.safe_load(DOC.read_text(encoding="utf-8"))
    return parsed


def payload_validator(document: dict[str, Any], message: str) -> Draft7Validator:
    """A validator of one message's payload schema, with the document's $refs resolved."""
    registry: Registry[Any] = Registry().with_resource(
        DOC_URI, Resource.from_contents(document, default_specification=DRAFT7)
    )
    ref = document["components"]["messages"][message]["payload"]["$ref"]
    return Draft7Validator({"$ref": DOC_URI + ref}, registry=registry)


def problems(validator: Draft7Validator, instance: Any) -> list[str]:
    """Every validation error, readable."""
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(instance)]


@cache
def _sent_validators() -> dict[str, Draft7Validator]:
    document = load_document()
    return {kind: payload_validator(document, name) for kind, name in SENT.items()}


def undocumented(message: Any) -> list[str]:
    """How a message the server sent differs from what the document says it sends."""
    if not isinstance(message, dict) or message.get("type") not in SENT:
        return [f"not a message type the server sends: {message!r}"]
    return problems(_sent_validators()[message["type"]], message)
