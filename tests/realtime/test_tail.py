"""`hoststand tail`, run as a command against real servers."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import orjson

from tests.conftest import Backend, Restaurant
from tests.servers import ADMIN_TOKEN, ProcessServer

LINE_TIMEOUT = 15.0


class Tail:
    """A running `hoststand tail`, read line by line."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def line(self, timeout: float = LINE_TIMEOUT) -> str:
        """The next line it prints on stdout."""
        assert self.process.stdout is not None
        raw = await asyncio.wait_for(self.process.stdout.readline(), timeout)
        assert raw, "tail exited"
        return raw.decode().rstrip("\n")

    async def status(self, containing: str) -> str:
        """Skip status lines (stderr) until one contains `containing`."""
        assert self.process.stderr is not None
        while True:
            raw = await asyncio.wait_for(self.process.stderr.readline(), LINE_TIMEOUT)
            assert raw, f"tail exited before saying {containing!r}"
            if containing in raw.decode():
                return raw.decode().strip()


@asynccontextmanager
async def tail(
    url: str, restaurant: Restaurant, *options: str, token: str | None = None
) -> AsyncIterator[Tail]:
    """Run `hoststand tail` for the restaurant; interrupt it at the end."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hoststand.cli", "tail",
        "--url", url, "--restaurant", restaurant.id,
        "--token", token or restaurant.tokens["viewer"], *options,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        yield Tail(process)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()


async def test_tail_prints_one_readable_line_per_event(restaurant: Restaurant) -> None:
    table = await restaurant.table("12", capacity=4)
    async with tail(restaurant.api.base_url, restaurant) as t:
        assert "snapshot at seq" in await t.status("snapshot")
        await t.status("live")
        guest = await restaurant.guest("Okafor", party_size=3)
        await restaurant.client("host").ok(
            "POST", f"{restaurant.path}/tables/{table['id']}/assign", json={"guest_id": guest["id"]}
        )
        await restaurant.client("owner").ok("PATCH", restaurant.path, json={"name": "Tail Inn"})
        hello = await t.line()
        assert f"hello  resumed to {restaurant.id}" in hello
        created, assigned, seated, renamed = [await t.line() for _ in range(4)]
    assert "guest" in created
    assert "created" in created
    assert "Okafor (3)" in created
    assert "-> waiting" in created
    assert "by admin" in created
    assert "table" in assigned
    assert "assigned" in assigned
    assert "12" in assigned
    assert "-> occupied" in assigned
    assert "status_changed" in seated
    assert "-> seated" in seated
    assert "restaurant/updated" in renamed
    assert "\n" not in created


async def test_tail_json_prints_the_raw_messages(restaurant: Restaurant) -> None:
    async with tail(restaurant.api.base_url, restaurant, "--json") as t:
        await t.status("live")
        hello = orjson.loads(await t.line())
        assert hello["type"] == "connection_established"
        guests = [await restaurant.guest(f"Guest {i}") for i in range(3)]
        printed = [orjson.loads(await t.line()) for _ in guests]
    page = await restaurant.api.ok("GET", f"{restaurant.path}/events?after={hello['seq']}")
    assert printed == page["events"]
    assert [p["guest_id"] for p in printed] == [g["id"] for g in guests]


async def test_tail_refused_exits_with_1(restaurant: Restaurant) -> None:
    async with tail(restaurant.api.base_url, restaurant, token="not-a-token") as t:
        message = await t.status("refused")
        assert "401" in message
        assert await asyncio.wait_for(t.process.wait(), LINE_TIMEOUT) == 1


def _process_server(backend: Backend, port: int | None = None) -> ProcessServer:
    env = {"HOSTSTAND_DATABASE_URL": backend.url, "HOSTSTAND_ADMIN_TOKEN": ADMIN_TOKEN}
    if backend.schema:
        env["HOSTSTAND_DATABASE_SCHEMA"] = backend.schema
    return ProcessServer(env) if port is None else ProcessServer(env, port=port)


async def _in_thread(call: Callable[[], Any]) -> Any:
    return await asyncio.to_thread(call)


async def test_tail_resumes_after_the_server_restarts(
    backend: Backend, restaurant: Restaurant
) -> None:
    server = _process_server(backend)
    await _in_thread(server.start)
    try:
        async with tail(server.base_url, restaurant, "--json") as t:
            await t.status("live")
            await t.line()  # connection_established
            before = await restaurant.guest("Before")
            assert orjson.loads(await t.line())["guest_id"] == before["id"]
            server.signal(signal.SIGTERM)
            await t.status("reconnecting (closed 1012)")
            await _in_thread(server.wait)
            # Written while the tail's server is down: it must arrive after the restart.
            during = await restaurant.guest("During")
            server = _process_server(backend, port=server.port)
            await _in_thread(server.start)
            # Its backoff (full jitter, doubling) may wait several seconds more.
            hello = orjson.loads(await t.line(timeout=40))
            assert (hello["type"], hello["resumed"]) == ("connection_established", True)
            assert orjson.loads(await t.line())["guest_id"] == during["id"]
    finally:
        await _in_thread(server.stop)
