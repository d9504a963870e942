"""Turning a bearer token into a principal, quickly, and slowing down those who guess."""

from __future__ import annotations

import asyncio
import hmac
import logging
import math
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Collection
from dataclasses import dataclass

from hoststand import background
from hoststand.domain.access import ADMIN, OPEN_MODE, Principal
from hoststand.domain.errors import DomainError, ErrorCode
from hoststand.services.context import ServiceContext
from hoststand.services.tokens import hash_secret, touch
from hoststand.store import tokens

log = logging.getLogger(__name__)

TOUCH_EVERY_SECONDS = 60.0
CACHE_SIZE = 10_000
# A touch is one short write: at shutdown it is let finish for this long, then cancelled.
TOUCH_CLOSE_TIMEOUT_SECONDS = 2.0
# A cached token unused this long is no longer renewed by the log poll; its next use looks it
# up again.
RECHECK_IDLE_SECONDS = 60.0

Clock = Callable[[], float]


class Unauthorized(DomainError):
    """No token, or one that is unknown or revoked."""

    def __init__(self, message: str) -> None:
        super().__init__(ErrorCode.UNAUTHORIZED, message)


class RateLimited(DomainError):
    """Too many failed attempts from one client; try again after `retry_after` seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(ErrorCode.RATE_LIMITED, "too many failed authentications; slow down")
        self.retry_after = max(1, int(retry_after + 0.999))


@dataclass(slots=True)
class _Cached:
    principal: Principal
    until: float  # trusted until then: its last check against the database plus the TTL
    used: float
    renewal: int  # the last log poll's check (_Renewal.number) applied to it, or seen before it


@dataclass(frozen=True, slots=True)
class _Renewal:
    """A log poll's answer for every token it did not find revoked: trusted until `until`.

    Applied to each cached entry when it is next used (`Authenticator._renew`), not to every
    entry when the poll answers: a poll comes twice a second, and walking thousands of entries
    each time cost an idle server more than everything else it did.
    """

    number: int
    started: float
    until: float


class FailureLimiter:
    """Counts failed authentications per client address in a sliding window.

    Every attempt from an address over its limit is refused, a valid token included: were a
    valid token let through, a guesser would still learn which of its guesses is right.
    """

    def __init__(self, limit: int, window: float, *, clock: Clock = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._failures: dict[str, list[float]] = {}

    def check(self, client: str) -> None:
        """Raise RateLimited while `client` is over its limit."""
        now = self._clock()
        recent = [t for t in self._failures.get(client, ()) if now - t < self.window]
        if recent:
            self._failures[client] = recent
        else:
            self._failures.pop(client, None)
        if len(recent) >= self.limit:
            raise RateLimited(self.window - (now - recent[0]))

    def record(self, client: str) -> None:
        """Count one failure of `client`."""
        self._failures.setdefault(client, []).append(self._clock())
        # Bounded memory under a flood of addresses: the oldest address is forgotten first.
        if len(self._failures) > CACHE_SIZE:
            self._failures.pop(next(iter(self._failures)))


class Authenticator:
    """Checks bearer tokens against the admin token and the token store, with a short cache.

    A cached token is trusted for `token_cache_seconds` after its last check against the
    database. The tokens in use are checked again in the background by the hub's log poll,
    the same check that closes revoked tokens' sockets (`checked`, from Hub.poll_once), so
    that their requests do not wait for the database while a revocation made elsewhere is
    still seen within that time. A revocation made on this instance is forgotten at once
    (`forget`).
    """

    def __init__(self, ctx: ServiceContext, *, clock: Clock = time.monotonic) -> None:
        self.ctx = ctx
        self._clock = clock
        settings = ctx.settings
        self.open_mode = settings.auth == "open"
        admin = settings.admin_token.get_secret_value() if settings.admin_token else None
        self._admin = admin.encode() if admin else None
        self._cache: OrderedDict[str, _Cached] = OrderedDict()
        # Bumped by forget(): a lookup that raced with a revocation must not cache its answer.
        self._generation = 0
        self._touched: OrderedDict[uuid.UUID, float] = OrderedDict()
        self._renewal = _Renewal(0, -math.inf, -math.inf)
        self._tasks: set[asyncio.Task[None]] = set()
        self.limiter = FailureLimiter(
            settings.auth_failure_limit, settings.auth_failure_window_seconds
        )

    async def authenticate(self, secret: str | None, *, client: str) -> Principal:
        """The principal for `secret`; raise Unauthorized or RateLimited."""
        if not secret and self.open_mode:
            return OPEN_MODE
        try:
            self.limiter.check(client)
        except RateLimited:
            self.ctx.metrics.auth_failures.labels("rate_limited").inc()
            raise
        if not secret:
            self._fail(client, "missing")
            raise Unauthorized("a bearer token is required")
        if self._admin is not None and hmac.compare_digest(secret.encode(), self._admin):
            return ADMIN
        principal = await self._lookup(hash_secret(secret))
        if principal is None:
            self._fail(client, "invalid")
            raise Unauthorized("the token is not valid (unknown or revoked)")
        return principal

    def _fail(self, client: str, reason: str) -> None:
        self.ctx.metrics.auth_failures.labels(reason).inc()
        self.limiter.record(client)

    async def _lookup(self, secret_hash: str) -> Principal | None:
        now = self._clock()
        cached = self._cache.get(secret_hash)
        if cached is not None:
            self._renew(cached)
        if cached is not None and cached.until > now:
            cached.used = now
            assert cached.principal.token_id is not None
            self._maybe_touch(cached.principal.token_id, now)
            return cached.principal
        generation = self._generation
        token = await self.ctx.db.read_one_statement(
            lambda conn: tokens.by_hash(conn, secret_hash=secret_hash)
        )
        if token is None or token.revoked_at is not None:
            self._cache.pop(secret_hash, None)
            return None
        principal = token.principal()
        if generation == self._generation:
            self._cache[secret_hash] = _Cached(
                principal, now + self.ctx.settings.token_cache_seconds, now, self._renewal.number
            )
            if len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        self._maybe_touch(token.id, now)
        return principal

    def now(self) -> float:
        """This authenticator's clock: the log poll reads it before it asks the database."""
        return self._clock()

    def in_use(self, now: float) -> set[uuid.UUID]:
        """The cached tokens used lately: those the log poll's full sweeps check by id."""
        return {
            e.principal.token_id
            for e in self._cache.values()
            if e.principal.token_id is not None and now - e.used < RECHECK_IDLE_SECONDS
        }

    def checked(self, *, started: float, revoked: Collection[uuid.UUID]) -> None:
        """Take the log poll's answer: drop `revoked`, trust the other tokens in use longer.

        The hub's log poll (Hub.poll_once), which started at `started`, found every token
        revoked since its previous poll, or, in a full sweep, every token in use revoked or
        gone: the others are trusted for another `token_cache_seconds` from `started`, which
        is before the poll's snapshot, so a revocation committed after it is still refused
        within `token_cache_seconds`. An entry left unused for RECHECK_IDLE_SECONDS is not
        renewed: it expires, and its next use looks it up again.
        """
        if revoked:
            self._generation += 1  # a lookup racing with this revocation must not cache it
            for key, entry in list(self._cache.items()):
                if entry.principal.token_id in revoked:
                    del self._cache[key]
        until = started + self.ctx.settings.token_cache_seconds
        self._renewal = _Renewal(self._renewal.number + 1, started, until)

    def _renew(self, entry: _Cached) -> None:
        """Apply the last poll's answer to `entry`, as `checked` would have when it came.

        Only once per poll, and before `entry.used` moves: until then it is what it was when
        the poll answered, so the entry is renewed exactly when it was in use at the poll's
        start. Of several polls since the entry's last use only the last counts; an earlier
        one's shorter trust is given up, which costs at most a lookup, never a late refusal.
        """
        renewal = self._renewal
        if entry.renewal == renewal.number:
            return
        entry.renewal = renewal.number
        if renewal.started - entry.used < RECHECK_IDLE_SECONDS:
            entry.until = max(entry.until, renewal.until)

    async def close(self) -> None:
        """Let the token touches in flight finish, before the database closes (bounded)."""
        if self._tasks:
            _, late = await asyncio.wait(list(self._tasks), timeout=TOUCH_CLOSE_TIMEOUT_SECONDS)
            await background.cancel_and_wait(late, "token touch")

    def forget(self, token_id: uuid.UUID) -> None:
        """Drop a revoked token from the cache at once."""
        self._generation += 1
        for key in [k for k, v in self._cache.items() if v.principal.token_id == token_id]:
            del self._cache[key]

    def _maybe_touch(self, token_id: uuid.UUID, now: float) -> None:
        if now - self._touched.get(token_id, -TOUCH_EVERY_SECONDS) < TOUCH_EVERY_SECONDS:
            return
        self._touched[token_id] = now
        self._touched.move_to_end(token_id)
        if len(self._touched) > CACHE_SIZE:
            self._touched.popitem(last=False)
        task = asyncio.create_task(self._touch(token_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _touch(self, token_id: uuid.UUID) -> None:
        try:
            await touch(self.ctx, token_id=token_id)
        except Exception:  # last_used_at is informative; never fail a request for it
            log.warning("could not record token use", exc_info=True)
