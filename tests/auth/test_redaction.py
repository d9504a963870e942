"""The log filter: every shape a token takes in a log line is redacted."""

from __future__ import annotations

import io
import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hoststand.logs import _RULES, RedactSecrets, redact

TOKEN = "hs_3Jq9xv0ZlYwCkH2bTn8RmPqS1dEfGhIjKlMnOpQrStU"
ADMIN = "an-admin-token-without-any-prefix-0123456789"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            f'"GET /api/v1/x?token={TOKEN} HTTP/1.1" 401',
            '"GET /api/v1/x?token=[redacted] HTTP/1.1" 401',
        ),
        (
            f"/realtime?restaurant_id=1&token={ADMIN}&x=1",
            "/realtime?restaurant_id=1&token=[redacted]&x=1",
        ),
        (f"< authorization: Bearer {ADMIN}", "< authorization: [redacted]"),
        (f"< Authorization: Token {ADMIN}", "< Authorization: [redacted]"),
        (f"sent Bearer {ADMIN} somewhere", "sent Bearer [redacted] somewhere"),
        (
            f'{{"type": "restaurant_connect", "token": "{ADMIN}"}}',
            '{"type": "restaurant_connect", "token": "[redacted]"}',
        ),
        (
            f'< TEXT \'{{"type":"restaurant_co...{TOKEN[-20:]}"}}\' [176 bytes]',
            "< TEXT [redacted] [176 bytes]",
        ),
        (
            '> TEXT \'{"type":"guest_update","data":{"name":"Ada","phone":"+1"}}\' [58 bytes]',
            "> TEXT [redacted] [58 bytes]",
        ),
        ("> PING '' [0 bytes]", "> PING '' [0 bytes]"),
        (f"a token {TOKEN} in prose", "a token [redacted] in prose"),
        (f"the admin token {ADMIN} in prose", "the admin token [redacted] in prose"),
    ],
)
def test_each_shape_of_a_token_is_redacted(line: str, expected: str) -> None:
    assert redact(line, (ADMIN,)) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # Letters that IGNORECASE takes for ASCII ones, and str.lower() does not: the Kelvin
        # sign for k, a dotless i and a dotted capital I for i.
        ("GET /x?to\u212aen=s3cr3t HTTP/1.1", "GET /x?to\u212aen=[redacted] HTTP/1.1"),
        ("author\u0131zation: s3cr3t", "author\u0131zation: [redacted]"),
        ("AUTHOR\u0130ZATION: s3cr3t", "AUTHOR\u0130ZATION: [redacted]"),
        ('{"to\u212aen": "s3cr3t"}', '{"to\u212aen": "[redacted]"}'),
    ],
)
def test_a_token_is_redacted_whatever_letters_spell_its_name(line: str, expected: str) -> None:
    assert redact(line) == expected


# Pieces of lines: what the rules look for, in several cases and spellings, and what surrounds it.
PIECES = [
    *("hs_", "HS_", "token", "ToKeN", "to\u212aen=", '"TOKEN": "', "bearer ", "BeArEr\t"),
    *("authorization:", "AUTHORIZATION: ", "author\u0131zation: ", "AUTHOR\u0130ZATION:"),
    *("=", ":", " ", '"', "'", "&", "/", "?", "\n", "\u00e9", "abcXYZ019_-", "s3cr3t"),
    *("< ", "> ", "TEXT ", "BINARY ", "CONT ", " [12 bytes]"),
]


def _every_rule(text: str) -> str:
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text


@settings(max_examples=500)
@given(line=st.lists(st.sampled_from(PIECES), max_size=8).map("".join) | st.text(max_size=40))
def test_redact_skips_only_lines_that_no_rule_would_change(line: str) -> None:
    # redact() runs the rules only on a line that holds one of the words they look for.
    assert redact(line) == _every_rule(line)


def test_the_filter_redacts_arguments_tracebacks_and_stacks() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecrets((ADMIN,)))
    logger = logging.getLogger("tests.auth.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("refused %s and %s", TOKEN, ADMIN, stack_info=True)
        try:
            raise ValueError(f"bad token {TOKEN}")
        except ValueError:
            logger.exception("failed with %s", ADMIN)
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert TOKEN not in text
    assert ADMIN not in text
    assert "refused [redacted] and [redacted]" in text
    assert "ValueError: bad token [redacted]" in text
