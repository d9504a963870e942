"""restaurant_connect with last_seq: what was missed, in order, then live; or resync_required."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

from tests.conftest import Api, Restaurant
from tests.realtime.conftest import (
    Connect,
    metric,
    prune_events,
    prune_one_before_its_predecessors,
)
from tests.servers import ThreadServer
from tests.waiting import eventually


async def test_a_resume_replays_what_was_missed_then_continues_live(
    restaurant: Restaurant, connect: Connect
) -> None:
    first = await connect(restaurant)
    seen = first.hello["seq"]
    await first.close()
    missed = [await restaurant.guest(f"Missed {i}") for i in range(3)]
    device = await connect(restaurant, last_seq=seen)
    assert device.hello["resumed"] is True
    assert device.hello["seq"] == seen + 3
    replayed = await device.recv_many(3)
    assert [e["seq"] for e in replayed] == [seen + 1, seen + 2, seen + 3]
    assert [e["guest_id"] for e in replayed] == [g["id"] for g in missed]
    live = await restaurant.guest("Live")
    event = await device.recv()
    assert (event["seq"], event["guest_id"]) == (seen + 4, live["id"])
    await device.assert_quiet()


async def _replays(srv: ThreadServer) -> tuple[float, float]:
    """How many resumes this server replayed from memory and from the log, so far."""
    name = "hoststand_replays_total"
    memory = await metric(srv.base_url, name, 'source="memory"')
    return memory, await metric(srv.base_url, name, 'source="log"')


async def test_a_resume_after_a_short_drop_is_served_from_memory_in_order(
    server: ThreadServer, restaurant: Restaurant, connect: Connect
) -> None:
    keeper = await connect(restaurant)  # keeps the room open: it follows what the others miss
    first = await connect(restaurant)
    seen = first.hello["seq"]
    await first.close()
    missed = [await restaurant.guest(f"Missed {i}") for i in range(3)]
    sent_live = await keeper.recv_many(3)
    memory, logged = await _replays(server)
    device = await connect(restaurant, last_seq=seen)
    assert (device.hello["seq"], device.hello["resumed"]) == (seen + 3, True)
    replayed = await device.recv_many(3)
    assert replayed == sent_live
    assert [e["guest_id"] for e in replayed] == [g["id"] for g in missed]
    assert await _replays(server) == (memory + 1, logged)
    live = await restaurant.guest("Live")
    event = await device.recv()
    assert (event["seq"], event["guest_id"]) == (seen + 4, live["id"])
    await device.assert_quiet()


async def test_a_resume_missing_more_than_the_buffer_holds_reads_the_log(
    start_server: Callable[..., ThreadServer], restaurant: Restaurant, connect: Connect
) -> None:
    srv = start_server(replay_buffer_events=2)
    keeper = await connect(restaurant, base_url=srv.base_url)
    seen = keeper.hello["seq"]
    for i in range(3):
        await restaurant.guest(f"Missed {i}")
    sent_live = await keeper.recv_many(3)
    device = await connect(restaurant, base_url=srv.base_url, last_seq=seen)
    assert await device.recv_many(3) == sent_live
    short = await connect(restaurant, base_url=srv.base_url, last_seq=seen + 1)
    assert await short.recv_many(2) == sent_live[1:]
    assert await _replays(srv) == (1, 1)


async def test_a_resume_at_the_current_seq_replays_nothing(
    restaurant: Restaurant, connect: Connect
) -> None:
    first = await connect(restaurant)
    device = await connect(restaurant, last_seq=first.hello["seq"])
    assert device.hello["resumed"] is True
    assert device.hello["seq"] == first.hello["seq"]
    await device.assert_quiet()


async def test_replayed_events_are_the_very_messages_sent_live(
    restaurant: Restaurant, connect: Connect
) -> None:
    live = await connect(restaurant)
    table = await restaurant.table("3")
    guest = await restaurant.guest("Rahman")
    await restaurant.client("host").ok(
        "POST", f"{restaurant.path}/tables/{table['id']}/assign", json={"guest_id": guest["id"]}
    )
    sent_live = await live.recv_many(4)
    resumed = await connect(restaurant, last_seq=live.hello["seq"])
    assert await resumed.recv_many(4) == sent_live


async def test_a_resume_while_writes_continue_has_no_gap_and_no_duplicate(
    start_server: Callable[..., ThreadServer], restaurant: Restaurant, connect: Connect
) -> None:
    # Small replay pages: a replay takes several reads, and writes land in between.
    srv = start_server(replay_page_size=2)
    start = (await restaurant.snapshot())["seq"]
    writes, written = 60, [start]
    api = Api(srv.base_url)

    async def write() -> None:
        for i in range(writes):
            body = {"name": f"Writer {i}", "party_size": 2}
            written.append(await api.ok("POST", f"{restaurant.path}/guests", 201, json=body))
        await api.close()

    async def missed_some(since: int) -> bool:
        return len(written) > since - start + 5 or writer.done()

    writer = asyncio.create_task(write())
    seqs, replays = [start], 0
    while seqs[-1] < start + writes:
        device = await connect(restaurant, base_url=srv.base_url, last_seq=seqs[-1])
        assert device.hello["resumed"] is True
        replays += device.hello["seq"] > seqs[-1]
        for _ in range(7):  # a few events, then drop the connection mid-stream
            seqs.append((await device.recv())["seq"])
            if seqs[-1] == start + writes:
                break
        await device.close()
        await eventually(lambda: missed_some(seqs[-1]), "the writer to write more")
    await writer
    assert seqs == list(range(start, start + writes + 1))
    assert replays >= 3


async def test_a_last_seq_older_than_the_log_gets_resync_required_then_live_events(
    server: ThreadServer, restaurant: Restaurant, connect: Connect
) -> None:
    await restaurant.guest("Old news")
    pruned_through = (await restaurant.snapshot())["seq"]
    assert prune_events(server, restaurant.id) == pruned_through
    kept = await restaurant.guest("Still in the log")
    current = pruned_through + 1
    device = await connect(restaurant, last_seq=pruned_through - 1)
    assert (device.hello["seq"], device.hello["resumed"]) == (current, False)
    resync = await device.recv()
    assert resync["type"] == "resync_required"
    assert (resync["restaurant_id"], resync["seq"]) == (restaurant.id, current)
    live = await restaurant.guest("After the resync")
    assert (await device.recv())["guest_id"] == live["id"]
    # The oldest seq still served: everything after it is in the log.
    device = await connect(restaurant, last_seq=pruned_through)
    assert device.hello["resumed"] is True
    assert (await device.recv())["guest_id"] == kept["id"]


async def test_a_last_seq_ahead_of_the_restaurant_gets_resync_required(
    restaurant: Restaurant, connect: Connect
) -> None:
    current = (await restaurant.snapshot())["seq"]
    device = await connect(restaurant, last_seq=current + 5)
    assert (device.hello["seq"], device.hello["resumed"]) == (current, False)
    resync = await device.recv()
    assert (resync["type"], resync["seq"]) == ("resync_required", current)
    guest = await restaurant.guest("Next")
    event = await device.recv()
    assert (event["seq"], event["guest_id"]) == (current + 1, guest["id"])


async def test_a_restaurant_with_every_event_pruned_still_resumes_at_its_seq(
    server: ThreadServer, restaurant: Restaurant, connect: Connect
) -> None:
    current = (await restaurant.snapshot())["seq"]
    prune_events(server, restaurant.id)
    device = await connect(restaurant, last_seq=current)
    assert device.hello["resumed"] is True
    await device.assert_quiet()
    stale = await connect(restaurant, last_seq=0)
    assert (await stale.recv())["type"] == "resync_required"


async def test_a_room_that_lagged_past_pruned_events_sends_one_resync_then_goes_on_live(
    start_server: Callable[..., ThreadServer],
    server: ThreadServer,
    restaurant: Restaurant,
    connect: Connect,
) -> None:
    # An instance that does not hear the shared server's writes, and whose poll never comes:
    # the test moves its hub as two polls would.
    lagging = start_server(log_poll_interval_seconds=3600)
    device = await connect(restaurant, base_url=lagging.base_url)
    for i in range(3):
        await restaurant.guest(f"Unheard {i}")
    latest = (await restaurant.snapshot())["seq"]
    prune_events(server, restaurant.id)  # gone before this instance sent them

    async def polls_find_it_behind() -> None:
        hub = lagging.runtime.hub
        room = hub.rooms[uuid.UUID(restaurant.id)]
        hub._fill_to(room, latest - 1)  # a poll starts a fill...
        hub._fill_to(room, latest)  # ...and the next one finds the log further ahead

    lagging.call(polls_find_it_behind())
    api = Api(lagging.base_url)
    try:
        body = {"name": "Heard", "party_size": 2}
        live = await api.ok("POST", f"{restaurant.path}/guests", 201, json=body)
    finally:
        await api.close()
    received = [await device.recv()]
    while received[-1]["type"] == "resync_required" and len(received) < 10:
        received.append(await device.recv())
    assert [(m["type"], m["seq"]) for m in received] == [
        ("resync_required", latest),
        ("guest_updated", latest + 1),
    ]
    assert received[-1]["guest_id"] == live["id"]
    await device.assert_quiet()


async def test_a_room_filling_across_a_hole_the_prune_left_sends_resync_required_not_a_gap(
    start_server: Callable[..., ThreadServer],
    server: ThreadServer,
    restaurant: Restaurant,
    connect: Connect,
) -> None:
    lagging = start_server(log_poll_interval_seconds=3600)
    device = await connect(restaurant, base_url=lagging.base_url)
    start = device.hello["seq"]
    for i in range(3):
        await restaurant.guest(f"Unheard {i}")
    prune_one_before_its_predecessors(server, restaurant.id, start + 2)

    async def a_poll_finds_it_behind() -> None:
        hub = lagging.runtime.hub
        hub._fill_to(hub.rooms[uuid.UUID(restaurant.id)], start + 3)

    lagging.call(a_poll_finds_it_behind())
    received = await device.recv_many(3)
    assert [(m["type"], m["seq"]) for m in received] == [
        ("guest_updated", start + 1),
        ("resync_required", start + 2),
        ("guest_updated", start + 3),
    ]
    await device.assert_quiet()


async def test_a_replay_that_meets_a_hole_the_prune_left_stops_there_with_resync_required(
    server: ThreadServer, restaurant: Restaurant, connect: Connect
) -> None:
    start = (await restaurant.snapshot())["seq"]
    for i in range(3):
        await restaurant.guest(f"Missed {i}")
    prune_one_before_its_predecessors(server, restaurant.id, start + 2)
    device = await connect(restaurant, last_seq=start)
    assert (device.hello["seq"], device.hello["resumed"]) == (start + 3, True)
    received = await device.recv_many(2)
    assert [(m["type"], m["seq"]) for m in received] == [
        ("guest_updated", start + 1),
        ("resync_required", start + 3),
    ]
    live = await restaurant.guest("Live")
    event = await device.recv()
    assert (event["seq"], event["guest_id"]) == (start + 4, live["id"])
