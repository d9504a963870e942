"""The bare baseline: a raw ASGI app on Uvicorn that relays each text frame to its room.

Rooms come from the `room` query parameter; a frame goes to every other socket of the room,
as is, with no parsing: the least a broadcast server can do on Uvicorn.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from urllib.parse import parse_qs

Send = Any
rooms: dict[str, set[Send]] = defaultdict(set)


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """ASGI entry point: HTTP answers 200 (health), WebSocket relays."""
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})
        return
    if scope["type"] != "websocket":
        return
    room = parse_qs(scope["query_string"].decode()).get("room", ["default"])[0]
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    members = rooms[room]
    members.add(send)
    try:
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                break
            text = message.get("text")
            if text is None:
                continue
            for other in list(members):
                if other is not send:
                    await other({"type": "websocket.send", "text": text})
    finally:
        members.discard(send)
