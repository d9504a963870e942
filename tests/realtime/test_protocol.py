"""The lean inbox and writable flag that DeviceProtocol gives Uvicorn's protocol."""

from __future__ import annotations

import asyncio

import pytest

from hoststand.realtime.protocol import Flag, Inbox


async def test_the_inbox_hands_items_over_in_order_and_wakes_its_reader() -> None:
    inbox = Inbox()
    reader = asyncio.create_task(inbox.get())
    await asyncio.sleep(0)
    assert not reader.done()
    for item in ("a", "b", "c"):
        inbox.put_nowait(item)
    assert await reader == "a"
    assert (inbox.qsize(), inbox.empty()) == (2, False)
    assert [await inbox.get(), await inbox.get()] == ["b", "c"]
    assert inbox.empty()


async def test_a_read_given_up_loses_nothing_put_afterwards() -> None:
    inbox = Inbox()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.01):
            await inbox.get()
    inbox.put_nowait("kept")
    assert await inbox.get() == "kept"


async def test_the_inbox_has_one_reader() -> None:
    inbox = Inbox()
    first = asyncio.create_task(inbox.get())
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError):
        await inbox.get()
    inbox.put_nowait("x")
    assert await first == "x"


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
