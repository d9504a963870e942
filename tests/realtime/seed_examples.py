"""The JSON examples of the seed protocol document, parsed out of its ```json blocks."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SEED = Path(__file__).parent / "data" / "seed_protocol.txt"
SHARED_SEED = Path("/work/shared/seeds/000_b451b8b387a8c63f.txt")
_BLOCK = re.compile(r"```json\n(.*?)```", re.DOTALL)
# What the app sends; every other example is something the server sends.
CLIENT_SENDS = frozenset({"restaurant_connect", "ping"})


@dataclass(frozen=True)
class Example:
    """One message of the seed, with the comment that introduced it."""

    comment: str
    message: dict[str, Any]

    @property
    def type(self) -> str:
        """Its `type` field."""
        return str(self.message["type"])

    @property
    def sent_by_server(self) -> bool:
        """True for what the server sends (a relayed user_action included)."""
        return self.type not in CLIENT_SENDS


def examples(path: Path = SEED) -> list[Example]:
    """Every JSON object of every ```json block, in document order.

    A block holds several objects, each after a `// comment` line; JSON has no comments,
    so comment lines are set aside and the objects decoded one after the other.
    """
    decoder = json.JSONDecoder()
    found: list[Example] = []
    for block in _BLOCK.findall(path.read_text(encoding="utf-8")):
        text, comments = "", [(0, "")]
        for line in block.splitlines(keepends=True):
            if line.strip().startswith("//"):
                comments.append((len(text), line.strip().removeprefix("//").strip()))
                text += "\n"  # keeps line numbers right in decoding errors
            else:
                text += line
        position = 0
        while (position := _skip_space(text, position)) < len(text):
            comment = [c for at, c in comments if at <= position][-1]
            message, position = decoder.raw_decode(text, position)
            found.append(Example(comment, message))
    return found


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position].isspace():
        position += 1
    return position
