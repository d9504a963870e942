"""`hoststand tail`: one readable line per message of a restaurant's feed."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable
from typing import Any

import orjson

from hoststand.realtime.client import Follower, GapError, Refused


def describe(message: dict[str, Any]) -> str:
    """A one-line, human summary of a feed message."""
    stamp = message.get("timestamp", "")
    seq = message.get("seq")
    head = f"{stamp}  #{seq:<6}" if seq is not None else f"{stamp}  {'':7}"
    actor = (message.get("actor") or {}).get("name")
    by = f"  by {actor}" if actor else ""
    kind = message.get("type", "?")
    summary = _SUMMARIES.get(kind)
    if summary is None:
        rest = {k: v for k, v in message.items() if k not in {"type", "timestamp", "seq"}}
        return f"{head} {kind}  {orjson.dumps(rest).decode()}"
    return f"{head} {summary(message)}{by}"


def _guest(message: dict[str, Any]) -> str:
    data = message.get("data")
    who = (
        f"{data.get('name', '?')} ({data.get('party_size', '?')})" if data else message["guest_id"]
    )
    status = data.get("status", "?") if data else "deleted"
    return f"guest  {message['action']:<15} {who}  -> {status}"


def _table(message: dict[str, Any]) -> str:
    data = message.get("data")
    label = data.get("label", "?") if data else message["table_id"]
    status = data.get("status", "?") if data else "deleted"
    return f"table  {message['action']:<15} {label}  -> {status}"


def _hello(message: dict[str, Any]) -> str:
    how = "resumed" if message.get("resumed") else "connected"
    return f"hello  {how} to {message.get('restaurant_id')}"


_SUMMARIES: dict[str, Callable[[dict[str, Any]], str]] = {
    "guest_updated": _guest,
    "table_updated": _table,
    "data_change": lambda m: f"data   {m.get('scope')}/{m.get('action')}",
    "user_action": lambda m: f"user   {m.get('action')}  from {m.get('sender')}",
    "connection_established": _hello,
    "resync_required": lambda m: "resync required: fetching a new snapshot",
    "pong": lambda m: "pong",
    "error": lambda m: f"error  {m.get('code')}: {m.get('message')}",
}


async def run_tail(*, url: str, restaurant_id: uuid.UUID, token: str, raw: bool) -> None:
    """Follow the feed until interrupted, printing each message; exit 1 when refused."""

    def on_message(message: dict[str, Any]) -> None:
        line = orjson.dumps(message).decode() if raw else describe(message)
        print(line, flush=True)

    def on_status(status: str) -> None:
        print(f"-- {status}", file=sys.stderr, flush=True)

    follower = Follower(url, restaurant_id, token, on_message=on_message, on_status=on_status)
    try:
        await follower.run()
    except Refused as exc:
        on_status(str(exc))
        raise SystemExit(1) from None
    except GapError as exc:  # the server broke its promise: say so loudly, do not paper over
        on_status(f"protocol violation: {exc}")
        raise SystemExit(2) from None
