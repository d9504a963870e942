"""Assertions about what the REST API puts on the wire: error bodies and timestamps."""

from __future__ import annotations

import re
from typing import Any

import httpx

WIRE_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
TIMESTAMP_KEYS = frozenset({"reserved_for", "timestamp"})
TIMESTAMP_SUFFIXES = ("_at", "_until")


def expect_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """Assert the status and the error envelope with `code`; return the envelope's inside."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "details"}, error
    assert error["code"] == code, error
    assert isinstance(error["message"], str)
    assert error["message"]
    return error  # type: ignore[no-any-return]


def failing_fields(response: httpx.Response) -> set[str]:
    """The fields a 422 validation_error names in its details."""
    error = expect_error(response, 422, "validation_error")
    assert isinstance(error["details"], list), error
    for detail in error["details"]:
        assert set(detail) == {"field", "message"}, detail
        assert detail["message"], detail
        assert not detail["message"].startswith("Value error"), detail
    return {d["field"] for d in error["details"]}


def timestamps_in(value: Any) -> list[str]:
    """Every timestamp in a JSON document: keys ending in _at or _until, reserved_for, timestamp."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            is_time = key.endswith(TIMESTAMP_SUFFIXES) or key in TIMESTAMP_KEYS
            if is_time and isinstance(item, str):
                found.append(item)
            else:
                found.extend(timestamps_in(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(timestamps_in(item))
    return found


def assert_wire_timestamps(document: Any, *, at_least: int = 1) -> None:
    """Every timestamp in `document` is exactly YYYY-MM-DDTHH:MM:SSZ (UTC, whole seconds)."""
    stamps = timestamps_in(document)
    assert len(stamps) >= at_least, document
    bad = [s for s in stamps if not WIRE_TIMESTAMP.match(s)]
    assert not bad, bad
