"""Whatever a device sends, the server answers as the protocol documents, and stays up.

Hypothesis draws client frames (arbitrary JSON, the protocol's messages with ill-typed fields,
unknown types, deep nesting, binary frames, invalid UTF-8, fragments, frames at and over the
size limit) and sends each on a live connection of one real server. The answer must be what
docs/PROTOCOL.md says for it: an `error` with the documented code, a `pong`, a relay to the
other devices, or a close with the documented code (1009 too big, 1007 text not UTF-8), every
message valid against docs/asyncapi.yaml. Never a 1011, never a record with a traceback in the
log, and after an `error` the connection still answers a ping. Derandomized and bounded: the
same frames on every run; a connection is reopened only after the server closed it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from hoststand.realtime.client import ws_url
from tests.conftest import Backend
from tests.realtime.asyncapi_doc import undocumented
from tests.servers import ADMIN_TOKEN, ThreadServer

MAX_BYTES = 4096  # HOSTSTAND_WS_MAX_MESSAGE_BYTES, small: oversized frames stay cheap
MAX_DEPTH = 1024  # JSON nested deeper is refused with invalid_json (docs/PROTOCOL.md)
TIMEOUT = 5.0
KNOWN_TYPES = ("restaurant_connect", "ping", "user_action")
FUZZ = settings(
    derandomize=True,
    database=None,
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# What the server does with one frame, as seen by the device that sent it: the types of the
# messages it answers with (an error as "error:<code>"), or a close with a code.
PONG: tuple[str, ...] = ("pong",)
SILENT: tuple[str, ...] = ()  # a user_action relayed to the others: nothing to the sender
CONNECTED = "connection_established"  # a handshake: more may follow (replay, resync_required)


def _error(code: str) -> tuple[str, ...]:
    return (f"error:{code}",)


@dataclass(frozen=True)
class Frame:
    """What a device sends (one frame, or fragments), and what the docs say comes back."""

    payload: str | bytes | list[bytes]
    text: bool
    answers: frozenset[tuple[str, ...]] = frozenset()
    close: int | None = None
    sent: Any = None  # the JSON value sent, when it is one

    def __repr__(self) -> str:
        shown = repr(self.payload)
        shown = shown if len(shown) < 300 else f"{shown[:300]}... ({len(shown)} chars)"
        kind = "text" if self.text else "binary"
        return f"Frame({kind} {shown}, answers={set(self.answers)}, close={self.close})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """What Hypothesis prints for a failing example: short, as big frames are."""
        printer.text(repr(self))


# ---- what the docs say each JSON value gets ----------------------------------------------


def expected_answers(value: Any, *, handshaken: bool) -> frozenset[tuple[str, ...]]:
    """The answers docs/PROTOCOL.md allows for a JSON value, before or after the handshake."""
    if not isinstance(value, dict) or not isinstance(value.get("type"), str):
        return frozenset({_error("validation_error")})
    kind = value["type"]
    if kind == "ping":
        return frozenset({PONG})
    if kind == "restaurant_connect":
        if handshaken:
            return frozenset({_error("validation_error"), _error("already_connected")})
        return frozenset({_error("validation_error"), _error("restaurant_mismatch"), (CONNECTED,)})
    if kind == "user_action":
        if handshaken:
            return frozenset({_error("validation_error"), _error("restaurant_mismatch"), SILENT})
        return frozenset({_error("validation_error"), _error("handshake_required")})
    return frozenset({_error("unknown_type")})


def answers_to_text(text: str, *, handshaken: bool) -> frozenset[tuple[str, ...]]:
    """The answers allowed for a text (or UTF-8 binary) message, parsed here independently."""

    def no_constants(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    def finite(number: str) -> float:
        if not math.isfinite(value := float(number)):
            raise ValueError(f"{number} is too large for a double")
        return value

    try:
        value = json.loads(text, parse_constant=no_constants, parse_float=finite)
    except (ValueError, RecursionError):
        return frozenset({_error("invalid_json")})
    return expected_answers(value, handshaken=handshaken)


# ---- frames ------------------------------------------------------------------------------

# No lone surrogates: they cannot be sent as UTF-8 (json_frames escapes some on purpose).
texts = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=12,
)


def wire(timestamp: str) -> str:
    """An ISO 8601 time as the seed writes it, and as the server relays it."""
    # By hand: strftime does not pad years before 1000.
    moment = datetime.fromisoformat(timestamp).astimezone(UTC)
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
        f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}Z"
    )


def strings(min_size: int = 0, max_size: int = 30) -> st.SearchStrategy[str]:
    """Any text that can be sent as UTF-8."""
    return st.text(st.characters(exclude_categories=["Cs"]), min_size=min_size, max_size=max_size)


# Every time zone of the tz database, and whole-minute offsets up to a day (ISO 8601's).
zones = st.timezones() | st.builds(
    timezone, st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda m: timedelta(minutes=m))
)
# Near datetime's ends too: a time zone can move them past year 1 or 9999 in UTC.
moments = (
    st.datetimes(timezones=zones)
    | st.datetimes(max_value=datetime(1, 1, 1, 12), timezones=zones)
    | st.datetimes(min_value=datetime(9999, 12, 31, 12), timezones=zones)
)
iso_times = st.builds(
    lambda moment, spec: moment.isoformat(timespec=spec),
    moments,
    st.sampled_from(["seconds", "milliseconds", "microseconds", "auto"]),
)
wire_times = st.datetimes(timezones=st.just(UTC)).map(lambda d: wire(d.isoformat()))


@cache
def valid_fields(restaurant_id: str) -> dict[str, dict[str, st.SearchStrategy[Any]]]:
    """Each message's optional fields, with values docs/PROTOCOL.md says are accepted."""
    ours = st.sampled_from([restaurant_id, restaurant_id.upper()])
    return {
        "ping": {},
        "restaurant_connect": {
            "restaurant_id": ours,
            "platform": strings(),
            "version": strings(),
            "last_seq": st.integers(0, 2**63 - 1),
            "token": strings(),
            "device_id": strings(max_size=200),
        },
        "user_action": {
            "restaurant_id": ours,
            "guest_id": st.none() | strings(max_size=100),
            "table_id": st.none() | strings(max_size=100),
            "timestamp": st.one_of(iso_times, iso_times, wire_times),
        },
    }


# Values the docs say are refused, field by field, besides any JSON of the wrong type.
INVALID = {
    "restaurant_id": st.just(str(uuid.UUID(int=7))) | strings(501, 520),
    "platform": strings(501, 520),
    "version": strings(501, 520),
    "last_seq": st.integers(max_value=-1) | st.integers(min_value=2**63),
    "token": strings(501, 520),
    "device_id": strings(201, 220),
    "action": st.just("") | strings(101, 120),
    "guest_id": strings(101, 120),
    "table_id": strings(101, 120),
    "timestamp": st.sampled_from(
        ["yesterday", "2025-09-01T10:00:00", "2025-13-01T10:00:00Z", "0001-01-01T00:00:00+01:00"]
    ),
}


@st.composite
def client_messages(draw: st.DrawFn, restaurant_id: str) -> tuple[dict[str, Any], bool]:
    """A message of the protocol's own types, and whether every field is one it accepts.

    Valid first, then up to two fields spoiled (a refused value or any JSON at all), and
    unknown fields, which a server must ignore.
    """
    kind = draw(st.sampled_from(["user_action", "restaurant_connect", "user_action", "ping"]))
    message: dict[str, Any] = {"type": kind}
    if kind == "user_action":
        message["action"] = draw(strings(1, 100))
    for name, values in valid_fields(restaurant_id)[kind].items():
        if draw(st.booleans()):
            message[name] = draw(values)
    spoiled = draw(st.lists(st.sampled_from(sorted(INVALID)), max_size=2, unique=True))
    for name in spoiled:
        message[name] = draw(INVALID[name] | json_values)
    extra = st.dictionaries(texts.filter(lambda n: n not in INVALID and n != "type"), json_values)
    message.update(draw(extra))
    return message, not spoiled and _in_range(message.get("timestamp"))


def _in_range(timestamp: str | None) -> bool:
    """False for a time the seed's format cannot write: before year 1 or after 9999 in UTC."""
    try:
        return timestamp is None or bool(wire(timestamp))
    except OverflowError:
        return False


def accepted_answers(kind: str, *, handshaken: bool) -> frozenset[tuple[str, ...]]:
    """The one answer docs/PROTOCOL.md gives to a valid message of `kind`."""
    if kind == "ping":
        return frozenset({PONG})
    if kind == "restaurant_connect":
        return frozenset({_error("already_connected") if handshaken else (CONNECTED,)})
    return frozenset({SILENT if handshaken else _error("handshake_required")})


def unknown_messages() -> st.SearchStrategy[dict[str, Any]]:
    """Objects whose `type` is a string the protocol does not know."""
    kinds = texts.filter(lambda kind: kind not in KNOWN_TYPES)
    return st.fixed_dictionaries({"type": kinds}, optional={"action": json_values})


@st.composite
def json_frames(draw: st.DrawFn, restaurant_id: str, handshaken: bool) -> Frame:
    """A JSON value as a text or binary frame, in one piece or in fragments."""
    choice = draw(st.integers(0, 3))
    if choice < 2:  # the protocol's own messages matter most
        value, valid = draw(client_messages(restaurant_id))
    else:
        value, valid = draw(unknown_messages() if choice == 2 else json_values), False
    if valid:
        answers = accepted_answers(value["type"], handshaken=handshaken)
    else:
        answers = expected_answers(value, handshaken=handshaken)
    encoded = json.dumps(value, ensure_ascii=draw(st.booleans())).encode()
    if len(encoded) > MAX_BYTES:
        return Frame(encoded.decode(), True, close=1009)
    text = draw(st.booleans())
    if draw(st.booleans()):  # fragments, cut anywhere, even inside a UTF-8 sequence
        cuts = sorted(draw(st.lists(st.integers(0, len(encoded)), min_size=1, max_size=3)))
        parts = [encoded[a:b] for a, b in zip([0, *cuts], [*cuts, len(encoded)], strict=True)]
        return Frame(parts, text, answers, sent=value)
    return Frame(encoded.decode() if text else encoded, text, answers, sent=value)


@st.composite
def raw_frames(draw: st.DrawFn, handshaken: bool) -> Frame:
    """Text and bytes that are mostly not JSON at all."""
    if draw(st.booleans()):
        text = draw(st.text(st.characters(exclude_categories=["Cs"]), max_size=60))
        return Frame(text, True, answers_to_text(text, handshaken=handshaken))
    data = draw(st.binary(max_size=60))
    try:
        text = data.decode()
    except UnicodeDecodeError:  # a binary frame that is not UTF-8: refused, not closed
        return Frame(data, False, frozenset({_error("invalid_json")}))
    return Frame(data, False, answers_to_text(text, handshaken=handshaken))


@st.composite
def invalid_utf8_text(draw: st.DrawFn) -> Frame:
    """A text frame that is not UTF-8: the connection fails with 1007 (RFC 6455)."""
    bad = draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80"]))
    before, after = draw(st.binary(max_size=20)), draw(st.binary(max_size=20))
    return Frame(b'{"type": "ping", "x": "' + before + bad + after + b'"}', True, close=1007)


@st.composite
def escaped_surrogates(draw: st.DrawFn) -> Frame:
    """JSON that escapes half a UTF-16 surrogate pair: Python reads it, the server refuses it."""
    half = draw(st.integers(0xD800, 0xDFFF))
    text = f'{{"type": "user_action", "action": "a\\u{half:04x}"}}'
    return Frame(text, draw(st.booleans()), frozenset({_error("invalid_json")}))


@st.composite
def deep_frames(draw: st.DrawFn, handshaken: bool) -> Frame:
    """Arrays nested up to a little past the depth limit, bare or inside a ping."""
    depth = draw(st.integers(1, 1100) | st.sampled_from([MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1]))
    nested = "[" * depth + "]" * depth
    if draw(st.booleans()):
        if depth > MAX_DEPTH:
            return Frame(nested, True, frozenset({_error("invalid_json")}))
        return Frame(nested, True, frozenset({_error("validation_error")}))
    wrapped = '{"type": "ping", "x": ' + nested + "}"
    ok = depth + 1 <= MAX_DEPTH
    return Frame(wrapped, True, frozenset({PONG if ok else _error("invalid_json")}))


@st.composite
def sized_frames(draw: st.DrawFn) -> Frame:
    """A ping padded to the size limit or past it, in one frame or in fragments."""
    size = draw(
        st.sampled_from([MAX_BYTES - 1, MAX_BYTES, MAX_BYTES + 1])
        | st.integers(MAX_BYTES + 1, 3 * MAX_BYTES)
    )
    head = b'{"type": "ping", "padding": "'
    message = head + b"x" * (size - len(head) - 2) + b'"}'
    assert len(message) == size
    text = draw(st.booleans())
    payload: str | bytes | list[bytes] = message.decode() if text else message
    if draw(st.booleans()):
        half = size // 2
        payload = [message[:half], message[half:]]
    if size > MAX_BYTES:
        return Frame(payload, text, close=1009)
    return Frame(payload, text, frozenset({PONG}))


def frames(restaurant_id: str, *, handshaken: bool) -> st.SearchStrategy[Frame]:
    """Every kind of frame above, JSON mostly: the protocol's messages matter most."""
    kinds = [
        *[json_frames(restaurant_id, handshaken)] * 6,
        raw_frames(handshaken),
        deep_frames(handshaken),
        sized_frames(),
        invalid_utf8_text(),
        escaped_surrogates(),
    ]
    return st.sampled_from(kinds).flatmap(lambda kind: kind)


# ---- the server, its log, and the connections --------------------------------------------


class Alarms(logging.Handler):
    """Keeps the log records a bad frame must never cause: warnings, errors, tracebacks."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Keep it if it is a warning or worse, or carries a traceback."""
        if record.levelno >= logging.WARNING or record.exc_info:
            self.records.append(record)

    def take(self) -> list[str]:
        """The records kept since the last call, formatted."""
        taken, self.records = self.records, []
        return [f"{r.name} {r.levelname}: {r.getMessage()} {r.exc_info or ''}" for r in taken]


@dataclass
class Feed:
    """The fuzz server's restaurant: where its feed is, and a host token."""

    base_url: str
    id: str
    token: str


class Line:
    """A device's connection: reopened, and handshaken again if it was, after a close."""

    def __init__(self, feed: Feed, *, handshaken: bool) -> None:
        self.feed = feed
        self.handshaken = handshaken
        self.ws: ClientConnection | None = None
        self.hello: dict[str, Any] = {}
        self._stack = contextlib.ExitStack()

    def open(self) -> ClientConnection:
        """The open connection, opening it (and sending restaurant_connect) if needed."""
        if self.ws is None:
            r = self.feed
            self.ws = self._stack.enter_context(
                connect(
                    ws_url(r.base_url, r.id, None, "header"),
                    additional_headers={"Authorization": f"Bearer {r.token}"},
                    max_size=None,
                )
            )
            if self.handshaken:
                self.ws.send(orjson.dumps({"type": "restaurant_connect"}).decode())
                self.hello = self.recv()
                assert self.hello["type"] == "connection_established", self.hello
        return self.ws

    def recv(self) -> dict[str, Any]:
        """The next message, which must be one the document describes."""
        assert self.ws is not None
        message: dict[str, Any] = orjson.loads(self.ws.recv(timeout=TIMEOUT))
        assert undocumented(message) == [], message
        return message

    def until_pong(self, pongs: int = 1) -> list[dict[str, Any]]:
        """Send a ping; every message up to the pong that answers it (`pongs` pongs in all)."""
        self.open().send('{"type": "ping"}')
        received: list[dict[str, Any]] = []
        while sum(m["type"] == "pong" for m in received) < pongs:
            received.append(self.recv())
        return received[:-1]

    def drop(self) -> None:
        """Forget a connection the server closed (or one that must not be reused)."""
        self._stack.close()
        self.ws = None

    def close(self) -> None:
        """Close it at the end."""
        self.drop()


@dataclass
class Fuzz:
    """One server, its log alarms, and the connections the test sends on."""

    feed: Feed
    alarms: Alarms
    observer: Line


@pytest.fixture(scope="module")
def fuzz(sqlite_backend: Backend) -> Iterator[Fuzz]:
    """A server with a small frame limit and no user_action rate limit, and its restaurant."""
    srv = ThreadServer(
        sqlite_backend.settings(
            ws_max_message_bytes=MAX_BYTES,
            user_action_rate=1e6,
            user_action_burst=1_000_000,
            handshake_timeout_seconds=600,
        )
    ).start()
    alarms = Alarms()
    logging.getLogger().addHandler(alarms)
    try:
        with httpx.Client(
            base_url=f"{srv.base_url}/api/v1", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
        ) as http:
            rid = http.post("/restaurants", json={"name": "Fuzz"}).raise_for_status().json()["id"]
            issued = http.post(
                f"/restaurants/{rid}/tokens", json={"name": "fuzzer", "role": "host"}
            ).raise_for_status()
        feed = Feed(srv.base_url, rid, issued.json()["token"])
        observer = Line(feed, handshaken=True)
        observer.open()
        yield Fuzz(feed, alarms, observer)
        observer.close()
    finally:
        logging.getLogger().removeHandler(alarms)
        srv.stop()


@pytest.fixture(scope="module")
def lines(fuzz: Fuzz) -> Iterator[dict[bool, Line]]:
    """The connection fuzzed before the handshake, and the one fuzzed after it."""
    opened = {h: Line(fuzz.feed, handshaken=h) for h in (False, True)}
    yield opened
    for line in opened.values():
        line.close()


# ---- the property ------------------------------------------------------------------------


def send(line: Line, frame: Frame) -> tuple[list[dict[str, Any]] | None, int | None]:
    """Send a frame; what came back before the pong of a ping sent after it, or the close."""
    ws = line.open()
    try:
        ws.send(frame.payload, text=frame.text)
        if frame.close is None:
            return line.until_pong(2 if PONG in frame.answers else 1), None
        # No ping after a frame that closes the socket: what comes back is the close.
        while True:
            line.recv()
    except ConnectionClosed as closed:
        line.drop()
        return None, closed.rcvd.code if closed.rcvd is not None else None


def check_relay(fuzz: Fuzz, sender: Line, frame: Frame, answer: tuple[str, ...]) -> None:
    """A user_action the sender got no error for reached the other device, as sent."""
    relayed = fuzz.observer.until_pong()
    if answer != SILENT:
        assert relayed == [], f"refused but relayed: {relayed}"
        return
    assert len(relayed) == 1, relayed
    message, sent = relayed[0], frame.sent
    assert message["type"] == "user_action"
    assert message["action"] == sent["action"]
    assert message["sender"] == sender.hello["connection_id"]
    assert message["restaurant_id"] == fuzz.feed.id
    for name in ("guest_id", "table_id"):
        assert message.get(name) == sent.get(name), name
    if sent.get("timestamp") is not None:
        assert message["timestamp"] == wire(sent["timestamp"])


def check(fuzz: Fuzz, line: Line, frame: Frame) -> None:
    """The property: a documented answer or close, a usable connection, a quiet log."""
    answered, closed = send(line, frame)
    assert fuzz.alarms.take() == [], "the server logged a warning or a traceback"
    if frame.close is not None:
        assert (answered, closed) == (None, frame.close)
        return
    assert answered is not None, f"closed with {closed} instead of answering"
    answer = tuple(m["type"] if m["type"] != "error" else f"error:{m['code']}" for m in answered)
    if answer[:1] == (CONNECTED,) and (CONNECTED,) in frame.answers:
        line.drop()  # handshaken now: the next frame needs a line before the handshake again
        return
    assert answer in frame.answers, f"answered {answered}"
    if isinstance(frame.sent, dict) and frame.sent.get("type") == "user_action" and line.handshaken:
        check_relay(fuzz, line, frame, answer)


@pytest.mark.parametrize("handshaken", [True, False], ids=["live", "before-handshake"])
def test_any_frame_gets_a_documented_answer_and_the_connection_stays_usable(
    fuzz: Fuzz, lines: dict[bool, Line], handshaken: bool
) -> None:
    line = lines[handshaken]

    @FUZZ
    @given(frame=frames(fuzz.feed.id, handshaken=handshaken))
    def one_frame(frame: Frame) -> None:
        check(fuzz, line, frame)

    one_frame()
