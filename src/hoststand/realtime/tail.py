"""`hoststand tail`: one readable line per message of a restaurant's feed."""

from __future__ import annotations

import sys
import uuid
from typing import Any

import orjson

from hoststand.realtime.client import Follower, GapError, Refused


def describe(message: dict[str, Any]) -> str:
    """A one-line, human summary of a feed message."""
    kind = message.get("type", "?")
    stamp = message.get("timestamp", "")
    seq = message.get("seq")
    head = f"{stamp}  #{seq:<6}" if seq is not None else f"{stamp}  {'':7}"
    data = message.get("data") or {}
    actor = (message.get("actor") or {}).get("name")
    by = f"  by {actor}" if actor else ""
    if kind == "guest_updated":
        who = (
            f"{data.get('name', '?')} ({data.get('party_size', '?')})"
            if data
            else message.get("guest_id")
        )
        status = data.get("status", "deleted") if data else "deleted"
        return f"{head} guest  {message['action']:<15} {who}  -> {status}{by}"
    if kind == "table_updated":
        label = data.get("label", message.get("table_id")) if data else message.get("table_id")
        status = data.get("status", "deleted") if data else "deleted"
        return f"{head} table  {message['action']:<15} {label}  -> {status}{by}"
    if kind == "data_change":
        return f"{head} data   {message.get('scope')}/{message.get('action')}{by}"
    if kind == "user_action":
        return f"{head} user   {message.get('action')}  from {message.get('sender')}"
    return (
        f"{head} {kind}  {orjson.dumps({k: v for k, v in message.items() if k != 'type'}).decode()}"
    )


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
