"""Load-generator processes, driven step by step from the benchmark's main process."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import multiprocessing as mp
from collections.abc import Awaitable, Callable
from multiprocessing.connection import Connection
from typing import Any

from bench.machine import raise_open_files_limit

WorkerMain = Callable[[dict[str, Any], "Control"], Awaitable[None]]


class Control:
    """The worker's end of the pipe to the main process."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def recv(self) -> Any:
        """The next command from the main process."""
        return await asyncio.get_running_loop().run_in_executor(None, self.conn.recv)

    def send(self, message: Any) -> None:
        """Report to the main process."""
        self.conn.send(message)


def _entry(target: str, config: dict[str, Any], conn: Connection) -> None:
    raise_open_files_limit()
    module, _, name = target.partition(":")
    main: WorkerMain = getattr(importlib.import_module(module), name)
    import uvloop

    uvloop.run(main(config, Control(conn)))


class Pool:
    """A few worker processes running the same coroutine with their own share of the load."""

    def __init__(self, target: str, configs: list[dict[str, Any]]) -> None:
        ctx = mp.get_context("spawn")
        self.pipes: list[Connection] = []
        self.processes = []
        for config in configs:
            parent, child = ctx.Pipe()
            process = ctx.Process(target=_entry, args=(target, config, child), daemon=True)
            process.start()
            self.pipes.append(parent)
            self.processes.append(process)

    def tell(self, message: Any) -> None:
        """Send the same command to every worker."""
        for pipe in self.pipes:
            pipe.send(message)

    def gather(self, timeout: float = 300.0) -> list[Any]:
        """One reply from every worker."""
        replies = []
        for pipe, process in zip(self.pipes, self.processes, strict=True):
            if not pipe.poll(timeout):
                raise TimeoutError(f"worker {process.pid} did not answer in {timeout}s")
            reply = pipe.recv()
            if isinstance(reply, dict) and reply.get("error"):
                raise RuntimeError(f"worker failed: {reply['error']}")
            replies.append(reply)
        return replies

    def ask(self, message: Any, timeout: float = 300.0) -> list[Any]:
        """tell() then gather()."""
        self.tell(message)
        return self.gather(timeout)

    def close(self) -> None:
        """Stop every worker."""
        for pipe in self.pipes:
            with contextlib.suppress(BrokenPipeError, OSError):
                pipe.send(("exit",))
        for process in self.processes:
            process.join(10)
            if process.is_alive():
                process.kill()


def split(items: list[Any], parts: int) -> list[list[Any]]:
    """Deal items round-robin into `parts` lists."""
    return [items[i::parts] for i in range(parts)]
