"""HOSTSTAND_LOG_FORMAT: `hoststand serve` logs one JSON object or one text line per record."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import orjson

from tests.commands import sqlite_url
from tests.servers import ProcessServer

TEXT_LINE = re.compile(
    r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3} (DEBUG|INFO|WARNING|ERROR|CRITICAL) +[\w.]+: "
)


def _serve_and_read_log(tmp_path: Path, log_format: str) -> list[str]:
    log_path = tmp_path / "serve.log"
    server = ProcessServer(
        env={
            "HOSTSTAND_DATABASE_URL": sqlite_url(tmp_path / "logs.db"),
            "HOSTSTAND_LOG_FORMAT": log_format,
            "HOSTSTAND_LOG_LEVEL": "info",
        },
        log_path=log_path,
    )
    try:
        server.start(migrate=True)
        assert httpx.get(f"{server.base_url}/readyz", timeout=5).status_code == 200
    finally:
        server.stop()
    lines = log_path.read_text().splitlines()
    assert lines, "the server logged nothing"
    return lines


def test_json_logs_are_one_object_per_line(tmp_path: Path) -> None:
    lines = _serve_and_read_log(tmp_path, "json")
    records = [orjson.loads(line) for line in lines]
    for record in records:
        assert set(record) >= {"time", "level", "logger", "message"}, record
    messages = " ".join(r["message"] for r in records)
    assert "Uvicorn running on" in messages
    assert "GET /readyz" in messages
    assert any(r["logger"].startswith("alembic") for r in records)  # migrations at start


def test_text_logs_are_one_readable_line_per_record(tmp_path: Path) -> None:
    lines = _serve_and_read_log(tmp_path, "text")
    for line in lines:
        assert TEXT_LINE.match(line), line
        assert not line.startswith("{")
    assert any("Uvicorn running on" in line for line in lines)
