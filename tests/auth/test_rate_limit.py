"""Repeated failed authentication from one address: 429 with Retry-After, and 4429 on sockets."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hoststand.services.authentication import FailureLimiter, RateLimited
from tests.auth.refusals import assert_error, assert_unauthorized, bad_token
from tests.auth.sockets import handshake_close_code
from tests.conftest import Api
from tests.servers import ThreadServer

LIMIT = 3
WINDOW = 60.0


@pytest.fixture
def strict_server(start_server: Callable[..., ThreadServer]) -> ThreadServer:
    """A server that tolerates three failed authentications a minute per address."""
    return start_server(auth_failure_limit=LIMIT, auth_failure_window_seconds=WINDOW)


async def test_repeated_failures_get_429_then_the_socket_gets_4429(
    strict_server: ThreadServer,
) -> None:
    admin = Api(strict_server.base_url)
    try:
        restaurant = await admin.restaurant("Guarded Grill")
        path = f"{restaurant.path}/snapshot"
        for _ in range(10):  # successes do not count
            await restaurant.client("host").ok("GET", path)
        wrong = bad_token()
        guesser = admin.as_token(wrong)
        assert_unauthorized(await guesser.request("GET", path))
        assert_unauthorized(await guesser.request("GET", path))
        assert_unauthorized(await admin.as_token(None).request("GET", path))  # none counts too
        limited = await guesser.request("GET", path)
        body = assert_error(limited, 429, "rate_limited")
        assert 1 <= int(limited.headers["Retry-After"]) <= WINDOW
        assert wrong not in limited.text
        assert body["error"]["message"]
        # The whole address waits, a valid token included: else a guess that is right would
        # still stand out from the ones that are not.
        assert_error(await restaurant.client("host").request("GET", path), 429, "rate_limited")
        token = restaurant.tokens["host"]
        assert await handshake_close_code(strict_server.base_url, restaurant.id, token) == 4429
        metrics = (await admin.as_token(None).request("GET", "/metrics")).text
        assert 'hoststand_auth_failures_total{reason="invalid"} 2.0' in metrics
        assert 'hoststand_auth_failures_total{reason="missing"} 1.0' in metrics
        assert 'hoststand_auth_failures_total{reason="rate_limited"}' in metrics
        await guesser.close()
    finally:
        await admin.close()


async def test_failed_socket_handshakes_count_as_failures(strict_server: ThreadServer) -> None:
    rid = "00000000-0000-4000-8000-000000000429"
    for via in ("header", "query", "message"):
        code = await handshake_close_code(strict_server.base_url, rid, bad_token(), via)
        assert code == 4401
    assert await handshake_close_code(strict_server.base_url, rid, bad_token()) == 4429
    probe = Api(strict_server.base_url, token=bad_token())
    try:
        assert_error(await probe.request("GET", "restaurants"), 429, "rate_limited")
    finally:
        await probe.close()


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_limiter_counts_each_address_in_a_sliding_window() -> None:
    clock = Clock()
    limiter = FailureLimiter(2, 60.0, clock=clock)
    limiter.record("10.0.0.1")
    clock.now += 30
    limiter.record("10.0.0.1")
    with pytest.raises(RateLimited) as refused:
        limiter.check("10.0.0.1")
    assert refused.value.retry_after == 30  # when the first failure leaves the window
    limiter.check("10.0.0.2")  # another address is not affected
    clock.now += 30
    limiter.check("10.0.0.1")  # the first failure has left the window
    clock.now += 30
    limiter.check("10.0.0.1")
    limiter.record("10.0.0.1")
    limiter.check("10.0.0.1")


def test_retry_after_is_a_whole_number_of_seconds_and_at_least_one() -> None:
    assert RateLimited(0.01).retry_after == 1
    assert RateLimited(2.2).retry_after == 3
    assert RateLimited(59.0).retry_after == 59
