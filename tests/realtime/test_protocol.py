"""The lean inbox and writable flag that DeviceProtocol gives Uvicorn's protocol."""

from __future__ import annotations

import asyncio

import pytest

from hoststand.realtime.protocol import Flag, Inbox


async def test_the_inbox_hands_items_over_in_order_and_wakes_its_reader() -> None:
    inbox = Inbox()
    arrival = inbox.arrival()
    assert not arrival.done()
    for item in ("a", "b", "c"):
        inbox.put_nowait(item)
    await arrival
    assert (inbox.qsize(), inbox.empty()) == (3, False)
    assert [inbox.get_nowait() for _ in range(3)] == ["a", "b", "c"]
    assert inbox.empty()
    with pytest.raises(IndexError):
        inbox.get_nowait()


async def test_a_read_given_up_loses_nothing_put_afterwards() -> None:
    inbox = Inbox()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.01):
            await inbox.arrival()
    arrival = inbox.arrival()
    inbox.put_nowait("kept")
    await arrival
    assert inbox.get_nowait() == "kept"


async def test_the_inbox_has_one_reader() -> None:
    inbox = Inbox()
    first = inbox.arrival()
    with pytest.raises(RuntimeError):
        inbox.arrival()
    inbox.put_nowait("x")
    await first
    assert inbox.get_nowait() == "x"


async def test_the_flag_wakes_every_waiter_when_set() -> None:
    flag = Flag()
    waiters = [asyncio.create_task(flag.wait()) for _ in range(3)]
    await asyncio.sleep(0)
    assert not any(w.done() for w in waiters)
    flag.set()
    assert await asyncio.gather(*waiters) == [True, True, True]
    flag.clear()
    assert not flag.is_set()
    late = asyncio.create_task(flag.wait())
    await asyncio.sleep(0)
    assert not late.done()
    flag.set()
    assert await late
