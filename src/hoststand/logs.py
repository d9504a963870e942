"""Logging set-up: text or JSON lines, and a filter that keeps secrets out of every record."""

from __future__ import annotations

import logging
import re
import sys
from datetime import UTC, datetime

import orjson

REDACTED = "[redacted]"
KEEP = r"\1" + REDACTED  # keep what the first group matched, redact the rest
# (pattern, replacement) pairs, applied in order to every log message.
_RULES: list[tuple[re.Pattern[str], str]] = [
    # Frames, as the websockets library logs them at debug level, both ways: what a device
    # sends may carry a token (restaurant_connect), and the library cuts long payloads in the
    # middle, so no pattern could tell a token's tail from other text; what either side sends
    # carries guests' names and phone numbers, which logs must not collect. Only the size stays.
    (
        re.compile(r"^([<>] (?:TEXT|BINARY|CONT) ).*?((?: \[\d+ bytes?\])?)$", re.DOTALL),
        KEEP + r"\2",
    ),
    (re.compile(r"hs_[A-Za-z0-9_\-]{8,}"), REDACTED),
    # `token=` query parameters: uvicorn's access log prints query strings.
    (re.compile(r"(?i)(token=)[^&\s\"']+"), KEEP),
    # Authorization headers: the websockets library logs handshake headers at debug level.
    (re.compile(r"(?i)(authorization:\s*)[^\r\n\"']+"), KEEP),
    (re.compile(r"(?i)(bearer\s+)[^\s\"']+"), KEEP),
    (re.compile(r"(?i)(\"token\"\s*:\s*\")[^\"]*"), KEEP),
]
# What each rule above needs in a line before it can match: the frame rule, a line that starts
# with one of these; the others, one of these words (their case ignored, as the rules ignore
# it). Uvicorn's access log writes a line per request, almost never with any of them: looking
# for the words costs a seventh of running the six rules (docs/BENCHMARKS.md, "Write path,
# sixth pass").
_FRAME_STARTS = ("< ", "> ")
_WORDS = ("hs_", "token", "authorization", "bearer")


def redact(text: str, extra: tuple[str, ...] = ()) -> str:
    """`text` with anything that looks like a secret replaced."""
    for secret in extra:
        if secret:
            text = text.replace(secret, REDACTED)
    if _may_match(text):
        for pattern, replacement in _RULES:
            text = pattern.sub(replacement, text)
    return text


def _may_match(text: str) -> bool:
    """False only for a line that no rule can change."""
    if not text.isascii():
        # (?i) lets a few other letters stand for ASCII ones (the Kelvin sign for k, a dotless
        # i for i), which str.lower() keeps apart: such a line goes through every rule.
        return True
    if text.startswith(_FRAME_STARTS):
        return True
    lowered = text.lower()
    return any(word in lowered for word in _WORDS)


class RedactSecrets(logging.Filter):
    """Rewrites each record's message with secrets redacted (the admin token included)."""

    def __init__(self, extra: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.extra = extra

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message, self.extra)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, ()
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(
                logging.Formatter().formatException(record.exc_info), self.extra
            )
            record.exc_info = None
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self.extra)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log pipelines."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_text:
            entry["exception"] = record.exc_text
        return orjson.dumps(entry).decode()


def configure(level: str, fmt: str, *, secrets: tuple[str, ...] = ()) -> None:
    """Send hoststand's and uvicorn's logs to stderr, redacted, in the chosen format."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactSecrets(secrets))
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    # Alembic announces each of its autogenerate plugins at info when first imported: seven
    # lines of noise before the migrations an operator wants to see.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
