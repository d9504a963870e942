"""The hub: which devices of which restaurant are connected here, and in-order fan-out to them.

Each restaurant with a device here is a room (kept for `room_linger_seconds` after its last
device left, for the devices that come back). A room delivers events strictly in seq order:
duplicates are dropped, and a gap (messages crossing in the broker, a publish lost with a
dying instance, a broker outage) is filled from the event log before what follows is sent.
Because a restaurant's changes commit in seq order, seeing seq N means 1..N are all readable.
A poller reads what changed in the database every `log_poll_interval_seconds` (see poll_once),
which covers lost publishes and broker outages, and catches token revocations made elsewhere,
for this hub's devices and for the REST token cache alike.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable, Coroutine
from typing import Any

import orjson

from hoststand import background
from hoststand.bus import Envelope
from hoststand.bus.memory import MemoryBroker
from hoststand.domain.events import DataScope, Event, EventType
from hoststand.realtime import messages
from hoststand.realtime.closecodes import CloseCode
from hoststand.realtime.connection import Connection, Ticks
from hoststand.realtime.replay_buffer import ReplayBuffer
from hoststand.realtime.wire import text_frame
from hoststand.services.authentication import Authenticator
from hoststand.services.context import ServiceContext
from hoststand.store import db_clock, event_log, failures, restaurants, tokens
from hoststand.store.database import ChangeMark

log = logging.getLogger(__name__)

CATCH_UP_TIMEOUT = 5.0
# How far before its previous watermark each poll reads changes again (see poll_once): longer
# than any write takes from its change stamp to its commit, and than the database's clock may
# be stepped back. A write slower than that is caught by the next full sweep.
CHANGE_OVERLAP_MS = 2_000


class RestaurantGone(Exception):
    """The restaurant of a room no longer exists."""


class Room:
    """The devices of one restaurant on this instance, and how far they have been sent."""

    __slots__ = (
        "behind",
        "connections",
        "failed",
        "filling",
        "joining",
        "linger",
        "pending",
        "ready",
        "recent",
        "restaurant_id",
        "seq",
        "waiters",
    )

    def __init__(self, restaurant_id: uuid.UUID, recent: ReplayBuffer) -> None:
        self.restaurant_id = restaurant_id
        self.seq = -1  # known once ready: every event up to it has been fanned out
        self.recent = recent  # the last events fanned out, for devices that resume
        # A tuple, replaced when a device joins or leaves: a fan-out reads its devices from one
        # array, where a set's table (32 slots for 5 devices) is read slot by slot, and what a
        # fan-out iterates never changes under it.
        self.connections: tuple[Connection, ...] = ()
        self.pending: dict[int, Envelope] = {}
        self.filling = False
        # The log's seq the poller saw while a fill was running: the fill goes on to it. Only a
        # fill reads it, and it needs no reset: a fill that ends leaves seq at or past it, and
        # each later fill is started for a seq past that. A fill that failed leaves the next
        # one to go on to it: committed events the poller may not name again before a sweep.
        self.behind = -1
        self.joining = 0  # devices between entering the room and being in it
        self.linger: asyncio.TimerHandle | None = None  # closes the room once it has no device
        self.ready = asyncio.Event()
        self.failed: BaseException | None = None
        self.waiters: list[tuple[int, asyncio.Future[None]]] = []

    def stop_lingering(self) -> None:
        """Cancel the pending close of a room left without devices, if any."""
        if self.linger is not None:
            self.linger.cancel()
            self.linger = None


class Hub:
    """Rooms of this instance, fed by the broker and, when needed, by the event log."""

    def __init__(self, ctx: ServiceContext, *, token_cache: Authenticator | None = None) -> None:
        self.ctx = ctx
        # Told of every revocation this hub sees, and of every poll's check of the tokens: the
        # REST token cache needs no check of its own.
        self.token_cache = token_cache
        self.rooms: dict[uuid.UUID, Room] = {}
        self.ticks = Ticks()  # shared by the connections: their burst bound (see Connection)
        # An in-process broker has no other instance to tell: relays need no round trip.
        self._relay_locally = isinstance(ctx.broker, MemoryBroker)
        # Every message handed to devices is counted here, once per fan-out (not per device):
        # `messages_sent.add(kind, count)`, the tally's own method, with no call of ours around
        # it on the hot path.
        self.messages_sent = ctx.metrics.messages_sent
        # Devices per token, kept as they come and go: the poller checks these for revocation
        # without walking every connection twice a second.
        self._tokens: Counter[uuid.UUID] = Counter()
        self._locks: dict[uuid.UUID, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopped = False  # no task is spawned once stop has cancelled them
        self._poller: asyncio.Task[None] | None = None
        # The database's clock at the last poll (db_clock); None until a full sweep succeeds.
        self._watermark: int | None = None
        # The database's change mark when the previous poll began (Database.change_mark).
        self._mark: ChangeMark | None = None
        self.accepting = True

    # ---- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        """Listen to the broker and start polling the log."""
        await self.ctx.broker.start(self.on_payload)
        self._poller = asyncio.create_task(self._poll_forever(), name="hub-poller")

    async def stop(self, timeout: float) -> None:
        """Close every device with 1012 (reconnect and resume elsewhere), then stop.

        The hub's own work (the poller, gap fills, relays, unsubscribes) is cancelled and
        awaited (background.cancel_and_wait), so that none of it runs once the database has
        closed; from then on the hub spawns no more (a cancelled fill would start the next).
        """
        self.accepting = False
        connections = [c for room in self.rooms.values() for c in room.connections]
        for conn in connections:
            conn.close(CloseCode.SERVER_RESTARTING, "server restarting: reconnect and resume")
        await asyncio.gather(*(c.wait_closed(timeout) for c in connections))
        for room in self.rooms.values():
            room.stop_lingering()
        self._stopped = True
        work = [*self._tasks, *([self._poller] if self._poller is not None else [])]
        await background.cancel_and_wait(work, "hub")
        await self.ctx.broker.close()

    def connection_count(self) -> int:
        """Devices connected here."""
        return sum(len(room.connections) for room in self.rooms.values())

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        if self._stopped:
            coro.close()
            return
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ---- joining and leaving -----------------------------------------------------------

    async def join(
        self,
        conn: Connection,
        *,
        last_seq: int | None,
        on_entered: Callable[[], object] | None = None,
    ) -> None:
        """Add a device: answer its handshake, replay what it missed, then go live.

        Raise RestaurantGone when the restaurant does not exist; `on_entered` is called once
        it is known to, before the device is greeted.
        """
        room = await self._enter(conn.restaurant_id)
        try:
            if on_entered is not None:
                on_entered()
            resync = False
            if last_seq is not None and last_seq > room.seq:
                resync = not await self._catch_up_to(room, last_seq)
            current = room.seq
            replay = last_seq is not None and not resync and last_seq < current
            # Taken with `current`: what the room fans out from now on reaches the device live.
            buffered = None
            if replay and last_seq is not None:
                buffered = room.recent.between(last_seq, current)
            if room.failed is not None:
                # Deleted while this device waited above (or while its room opened): its
                # devices were closed then, and this one would be left in a room of nothing.
                raise room.failed
            # No await from reading `current` to joining the room: every later event reaches
            # this device, queued behind the greeting and the replay (its writer starts after).
            room.connections += (conn,)
            conn.room = room
            if conn.token_id is not None:
                self._tokens[conn.token_id] += 1
            self.ctx.metrics.connections_open.inc()
        finally:
            room.joining -= 1
            self._close_if_idle(room)
        page: list[event_log.LoggedMessage] = []
        if replay:
            assert last_seq is not None
            # From memory when it holds every event missed (their log is younger than the
            # retention: see _replay_buffer). Otherwise the log's first page tells whether the
            # log still holds them (then its first event is last_seq + 1), before the
            # greeting says `resumed`.
            source = "log" if buffered is None else "memory"
            self.ctx.metrics.replays.labels(source).inc()
            page = buffered or await self._read_page(
                conn.restaurant_id, after=last_seq, up_to=current
            )
            resync = not page or page[0].seq != last_seq + 1
        await self._greet(conn, current, resumed=last_seq is not None and not resync)
        if replay and not resync:
            assert last_seq is not None
            resync = not await self._replay(conn, page, after=last_seq, up_to=current)
        if resync:
            message = messages.resync_required(restaurant_id=room.restaurant_id, seq=current)
            await self._send(conn, "resync_required", message)
        conn.go_live()

    async def _greet(self, conn: Connection, seq: int, *, resumed: bool) -> None:
        message = messages.connection_established(
            restaurant_id=conn.restaurant_id, seq=seq, resumed=resumed, connection_id=conn.id
        )
        await self._send(conn, "connection_established", message)

    async def _send(self, conn: Connection, kind: str, message: str) -> None:
        if conn.close_code is None:
            await conn.send_now(message)
            self.messages_sent.add(kind)

    async def _read_page(
        self, restaurant_id: uuid.UUID, *, after: int, up_to: int
    ) -> list[event_log.LoggedMessage]:
        return await self.ctx.db.read_one_statement(
            lambda db: event_log.read_messages(
                db,
                restaurant_id=restaurant_id,
                after=after,
                up_to=up_to,
                limit=self.ctx.settings.replay_page_size,
            )
        )

    async def _replay(
        self, conn: Connection, page: list[event_log.LoggedMessage], *, after: int, up_to: int
    ) -> bool:
        """Send events (after, up_to], `page` first, then from the log; False on a gap."""
        while page:
            for row in page:
                if row.seq != after + 1:
                    return False  # pruned meanwhile
                await self._send(conn, row.type, row.message)
                after = row.seq
            if after >= up_to or conn.close_code is not None:
                return True
            page = await self._read_page(conn.restaurant_id, after=after, up_to=up_to)
        return after >= up_to

    async def _catch_up_to(self, room: Room, last_seq: int) -> bool:
        """Wait until the room reaches a seq a resuming device already has.

        False when it never will: the seq is ahead of the restaurant's log (a client bug, or
        a database restored from a backup), or the room could not catch up in time.
        """
        known = await self.ctx.db.read_one_statement(
            lambda db: restaurants.last_seqs(db, restaurant_ids=[room.restaurant_id])
        )
        if last_seq > known.get(room.restaurant_id, 0):
            return False
        if room.seq >= last_seq:
            return True
        waiter = asyncio.get_running_loop().create_future()
        room.waiters.append((last_seq, waiter))
        if not room.filling:
            self._start_fill(room, up_to=last_seq, reason="resume")
        try:
            await asyncio.wait_for(waiter, CATCH_UP_TIMEOUT)
        except TimeoutError:
            return False
        return True

    async def _enter(self, restaurant_id: uuid.UUID) -> Room:
        """The restaurant's room, opened if needed; it stays open until the joiner is in."""
        room = self.rooms.get(restaurant_id)
        if room is None:
            room = self.rooms[restaurant_id] = Room(restaurant_id, self._replay_buffer())
            room.joining += 1
            await self._open(room)
            return room
        room.joining += 1
        room.stop_lingering()
        await room.ready.wait()
        if room.failed is not None:
            room.joining -= 1
            self._close_if_idle(room)  # a deleted restaurant's room goes with its last joiner
            raise room.failed
        return room

    async def _open(self, room: Room) -> None:
        restaurant_id = room.restaurant_id
        try:
            async with self._lock(restaurant_id):
                # Subscribe first, then read the seq: nothing can fall in between.
                await self.ctx.broker.subscribe(restaurant_id)
                seqs = await self.ctx.db.read_one_statement(
                    lambda db: restaurants.last_seqs(db, restaurant_ids=[restaurant_id])
                )
            if restaurant_id not in seqs:
                raise RestaurantGone(str(restaurant_id))
            room.seq = seqs[restaurant_id]
            self.ctx.metrics.rooms_open.inc()
        except BaseException as exc:
            room.failed = exc
            self.rooms.pop(restaurant_id, None)
            self._spawn(self._unsubscribe(restaurant_id), "hub-unsubscribe")
            raise
        finally:
            room.ready.set()
        self._drain(room)
        if room.pending and not room.filling:
            # Something newer arrived while the room opened, but not what comes right after
            # its seq: fetch the gap now rather than at the next poll.
            self._start_fill(room, up_to=min(room.pending) - 1, reason="gap")

    def _replay_buffer(self) -> ReplayBuffer:
        """A new room's buffer of recent events.

        Its events are kept for less than half the log's retention, so that the log still
        holds whatever the buffer serves: a device gets `resync_required` exactly when the
        log no longer has what it missed, buffer or not.
        """
        settings = self.ctx.settings
        max_age = min(settings.replay_buffer_seconds, settings.event_retention_days * 86_400 / 2)
        return ReplayBuffer(settings.replay_buffer_events, max_age)

    def _lock(self, restaurant_id: uuid.UUID) -> asyncio.Lock:
        lock = self._locks.get(restaurant_id)
        if lock is None:
            lock = self._locks[restaurant_id] = asyncio.Lock()
        return lock

    def leave(self, conn: Connection) -> None:
        """Forget a device; the last one out closes the room (see _close_if_idle)."""
        room = self.rooms.get(conn.restaurant_id)
        if room is None:
            return
        try:
            at = room.connections.index(conn)
        except ValueError:  # left already, or never joined
            return
        room.connections = room.connections[:at] + room.connections[at + 1 :]
        conn.room = None
        token_id = conn.token_id
        if token_id is not None:
            self._tokens[token_id] -= 1
            if not self._tokens[token_id]:
                del self._tokens[token_id]
        self.ctx.metrics.connections_open.dec()
        self._close_if_idle(room)

    def _close_if_idle(self, room: Room) -> None:
        """Close a room without devices, after `room_linger_seconds`.

        Devices often leave together and come back together (a network blip, a proxy or load
        balancer restarting): the room they find still open is caught up, and its opening
        (a subscription and a read of the log's seq) is not paid again for each restaurant.
        """
        if not self._idle(room):
            return
        linger = self.ctx.settings.room_linger_seconds
        if room.failed is not None or linger <= 0 or not self.accepting:
            self._close(room)
        elif room.linger is None:
            room.linger = asyncio.get_running_loop().call_later(linger, self._close, room)

    def _idle(self, room: Room) -> bool:
        """No device in the room nor entering it, and the room still this restaurant's."""
        rid = room.restaurant_id
        return not room.connections and not room.joining and self.rooms.get(rid) is room

    def _close(self, room: Room) -> None:
        room.stop_lingering()
        if not self._idle(room):
            return
        rid = room.restaurant_id
        del self.rooms[rid]
        self.ctx.metrics.rooms_open.dec()
        self._spawn(self._unsubscribe(rid), "hub-unsubscribe")

    def _restaurant_deleted(self, room: Room) -> None:
        """Close the room's devices with 4404; refuse joiners until the room is gone."""
        room.failed = RestaurantGone(str(room.restaurant_id))
        self._close_room(room, CloseCode.NOT_FOUND, "the restaurant was deleted")
        self._close_if_idle(room)

    async def _unsubscribe(self, restaurant_id: uuid.UUID) -> None:
        lock = self._lock(restaurant_id)
        async with lock:
            if restaurant_id not in self.rooms:
                try:
                    await self.ctx.broker.unsubscribe(restaurant_id)
                except Exception:
                    log.warning("unsubscribe failed", exc_info=True)
        if restaurant_id not in self.rooms and not lock.locked():
            self._locks.pop(restaurant_id, None)

    # ---- delivery ----------------------------------------------------------------------

    def on_payload(self, payload: bytes) -> None:
        """Called by the broker for each message of a subscribed restaurant."""
        try:
            envelope = Envelope.decode(payload)
        except (ValueError, TypeError):
            log.warning("dropping a malformed broker message")
            return
        room = self.rooms.get(envelope.restaurant_id)
        if room is None:
            return
        if envelope.seq is None:
            self._deliver_unordered(room, envelope)
        else:
            self.accept(room, envelope)

    def accept(self, room: Room, envelope: Envelope) -> None:
        """Take an event for the room: deliver it in order, hold it, or drop a duplicate."""
        seq = envelope.seq
        assert seq is not None
        if room.ready.is_set() and seq <= room.seq:
            return
        if not room.ready.is_set() or room.filling or seq != room.seq + 1:
            room.pending[seq] = envelope
            if room.ready.is_set() and not room.filling:
                self._start_fill(room, up_to=seq - 1, reason="gap")
            return
        self._fan_out(room, envelope)
        self._drain(room)

    def _drain(self, room: Room) -> None:
        pending = room.pending
        if not pending:
            return
        for stale in [s for s in pending if s <= room.seq]:
            del pending[stale]
        while room.seq + 1 in pending:
            self._fan_out(room, pending.pop(room.seq + 1))

    def _fan_out(self, room: Room, envelope: Envelope) -> None:
        room.seq = envelope.seq  # type: ignore[assignment]
        if envelope.kind == EventType.DATA_CHANGE:
            self._apply_control(room, envelope.message)
        text = envelope.message
        room.recent.add(room.seq, envelope.kind, text, time.monotonic())
        # Framed once for every device of the room.
        sent = Connection.deliver_all(room.connections, text, text_frame(text))
        self.messages_sent.add(envelope.kind, sent)
        if envelope.committed_at:
            self.ctx.metrics.commit_to_send.observe(max(0.0, time.time() - envelope.committed_at))
        if room.waiters:
            self._wake_waiters(room)

    def _wake_waiters(self, room: Room) -> None:
        still = []
        for target, waiter in room.waiters:
            if room.seq >= target:
                if not waiter.done():
                    waiter.set_result(None)
            else:
                still.append((target, waiter))
        room.waiters = still

    def _apply_control(self, room: Room, message: str) -> None:
        """Act on events that concern the connections themselves (a revoked token)."""
        event = orjson.loads(message)
        if event.get("scope") == DataScope.TOKENS and event.get("action") == "token_revoked":
            self.token_revoked(uuid.UUID(event["data"]["id"]))

    def _deliver_unordered(self, room: Room, envelope: Envelope) -> None:
        if envelope.kind == "restaurant_deleted":
            self._restaurant_deleted(room)
            return
        self._relay_in(room, envelope.kind, envelope.message, envelope.origin)

    def _relay_in(self, room: Room, kind: str, text: str | bytes, origin: str | None) -> None:
        sent = Connection.deliver_all(room.connections, text, text_frame(text), skip=origin)
        self.messages_sent.add(kind, sent)

    def relay(self, conn: Connection, message: bytes) -> None:
        """Send a user_action (its UTF-8) to the restaurant's other devices, on any instance."""
        if self._relay_locally:
            room = conn.room  # the restaurant's room here, as long as this device is in it
            if room is not None:
                self._relay_in(room, "user_action", message, conn.id)
            return
        text = message.decode()
        envelope = Envelope(conn.restaurant_id, None, "user_action", text, origin=conn.id)
        self._spawn(self._publish(envelope), "hub-relay")

    async def _publish(self, envelope: Envelope) -> None:
        try:
            await self.ctx.broker.publish(envelope.restaurant_id, envelope.encode())
        except Exception as exc:
            log.warning("relay failed: %s", exc)

    def token_revoked(self, token_id: uuid.UUID) -> None:
        """A token was revoked: forget it in the token cache and close its devices here."""
        if self.token_cache is not None:
            self.token_cache.forget(token_id)
        self.close_token(token_id)

    def close_token(self, token_id: uuid.UUID) -> None:
        """Close every device here that authenticated with this token."""
        for room in self.rooms.values():
            for conn in room.connections:
                if conn.token_id == token_id:
                    conn.close(CloseCode.UNAUTHORIZED, "token revoked")

    def _close_room(self, room: Room, code: int, reason: str) -> None:
        for conn in room.connections:
            conn.close(code, reason)

    # ---- filling gaps from the log -----------------------------------------------------

    def _start_fill(self, room: Room, *, up_to: int, reason: str) -> None:
        room.filling = True
        self.ctx.metrics.gap_fills.labels(reason).inc()
        self._spawn(self._fill(room, up_to), "hub-fill")

    async def _fill(self, room: Room, up_to: int) -> None:
        progressed = False
        try:
            # The poller may find the log further ahead while this runs: go on to there too.
            while room.seq < (target := max(up_to, room.behind)):
                rows = await self.ctx.db.read_one_statement(
                    functools.partial(
                        event_log.read,
                        restaurant_id=room.restaurant_id,
                        after=room.seq,
                        up_to=target,
                        limit=self.ctx.settings.replay_page_size,
                    )
                )
                for event in rows:
                    if event.seq != room.seq + 1:
                        # Pruned while this room lagged (every seq up to target is committed),
                        # or a hole the prune left (events are pruned by the clock of the
                        # instance that made each one): its devices must resync, then go on
                        # from what the log still holds.
                        self._resync(room, event.seq - 1)
                    self._fan_out(room, _envelope(event))
                if not rows:
                    # Nothing left up to target: resync to it (not to up_to, or this loop
                    # would read the same empty range forever).
                    self._resync(room, target)
                progressed = True
        except Exception:
            log.warning(
                "filling a gap from the event log failed; the poller will retry", exc_info=True
            )
        finally:
            room.filling = False
            self._drain(room)
            if progressed and room.pending and self.rooms.get(room.restaurant_id) is room:
                self._start_fill(room, up_to=min(room.pending) - 1, reason="gap")

    def _resync(self, room: Room, seq: int) -> None:
        log.warning(
            "events of restaurant %s were pruned before this hub sent them", room.restaurant_id
        )
        room.seq = seq
        message = messages.resync_required(restaurant_id=room.restaurant_id, seq=seq)
        sent = Connection.deliver_all(room.connections, message, text_frame(message))
        self.messages_sent.add("resync_required", sent)
        if room.waiters:
            self._wake_waiters(room)

    # ---- polling the log ---------------------------------------------------------------

    async def _poll_forever(self) -> None:
        # A fixed rate, not a fixed pause: a slow poll must not stretch the delivery bound
        # (a lost publish reaches devices within one interval plus one poll).
        settings = self.ctx.settings
        interval = settings.log_poll_interval_seconds
        loop = asyncio.get_running_loop()
        next_tick = next_sweep = loop.time()
        # Twice a second for the length of a database outage: a line at every poll would bury
        # every other line.
        outage = failures.Outage(log, "polling the event log", "polls")
        while True:
            next_tick = max(next_tick + interval, loop.time())
            await asyncio.sleep(next_tick - loop.time())
            full = loop.time() >= next_sweep
            try:
                await self.poll_once(full=full)
            except Exception as exc:
                outage.failed(exc)
                continue
            outage.worked()
            if full:
                next_sweep = loop.time() + settings.log_sweep_interval_seconds

    async def poll_once(self, *, full: bool = False) -> None:
        """Catch rooms up with the log; close devices of deleted restaurants or revoked tokens.

        A poll reads only the rows changed since the previous one: restaurants whose seq moved
        and tokens revoked, by their `changed_ms` stamps (store/db_clock.py). Commit order is
        not stamp order: a write stamped before the previous poll's snapshot may commit after
        it, unseen by that poll and stamped below its watermark. So each poll reads from
        CHANGE_OVERLAP_MS before the previous watermark, longer than a write takes from its
        stamp (its event append, at its end) to its commit; rows read twice are harmless (a
        room already at that seq, a revocation already handled). The stamps and the watermark
        come from the database's clock, the same for every instance.

        A deleted restaurant leaves no row to stamp: its deletion leaves a stamped tombstone
        instead (deleted_restaurants), read the same way, so that its devices here are closed
        within a poll even when the deletion's publish never reached this instance.

        A full sweep (`full`, every `log_sweep_interval_seconds`, and the first poll) instead
        reads every room's seq and every watched token by key, as before: it alone sees a
        token deleted (no row left to stamp) and a restaurant deleted by a server without
        tombstones, and it catches a write slower than the overlap or a database clock stepped
        back further than it.

        Either kind tells the token cache which tokens were revoked (or gone) and that all
        others it holds were checked as of the poll's start (Authenticator.checked).

        On SQLite a poll of changes first asks whether anything was committed since the
        previous poll began (Database.change_mark: this process's writes, and SQLite's count of
        the others'); if nothing was, it reads nothing and only renews the token cache's trust.
        An idle server's polls were most of its CPU, and a busy relay's background.
        """
        full = full or self._watermark is None
        cache = self.token_cache
        started = cache.now() if cache is not None else 0.0
        mark = await self.ctx.db.change_mark()
        if not full and mark is not None and mark == self._mark:
            # Nothing was committed since the previous poll began: it would read no row.
            if cache is not None:
                cache.checked(started=started, revoked=())
            return
        rooms = [r for r in self.rooms.values() if r.ready.is_set()] if full else []
        deleted: set[uuid.UUID] = set()  # read by the change read; the sweep finds them by key
        # The sweep reads every room and token this instance serves: off the event loop.
        async with self.ctx.db.read(bulk=full) as db:
            watermark = await db_clock.read(db)
            if full:
                keys = [r.restaurant_id for r in rooms]
                seqs = await restaurants.last_seqs(db, restaurant_ids=keys)
                watched = set(self._tokens) | (cache.in_use(started) if cache else set())
                revoked = await tokens.revoked_among(db, token_ids=list(watched))
            else:
                assert self._watermark is not None
                since = self._watermark - CHANGE_OVERLAP_MS
                seqs = await restaurants.seqs_changed_since(db, since_ms=since)
                revoked = await tokens.revoked_since(db, since_ms=since)
                deleted = await restaurants.deleted_since(db, since_ms=since)
        self._watermark, self._mark = watermark, mark
        now = time.monotonic()
        for room in rooms:
            room.recent.trim(now)  # quiet and lingering rooms' old events go here
            if room.restaurant_id not in seqs:
                self._restaurant_deleted(room)
        for restaurant_id in deleted:
            gone = self.rooms.get(restaurant_id)
            if gone is not None and gone.failed is None:  # read again in the overlap: done
                self._restaurant_deleted(gone)
        for restaurant_id, latest in seqs.items():
            behind = self.rooms.get(restaurant_id)
            if behind is not None and behind.ready.is_set() and latest > behind.seq:
                self._fill_to(behind, latest)
        if cache is not None:
            cache.checked(started=started, revoked=revoked)
        for token_id in revoked:
            if token_id in self._tokens:
                self.close_token(token_id)

    def _fill_to(self, room: Room, latest: int) -> None:
        """The poller found the log ahead of the room: fill it, or extend the fill running."""
        if room.filling:
            room.behind = max(room.behind, latest)
        else:
            self._start_fill(room, up_to=latest, reason="poll")


def _envelope(event: Event) -> Envelope:
    return Envelope(event.restaurant_id, event.seq, event.type.value, event.message)
