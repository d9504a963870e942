"""Servers under test as child processes, and their CPU and memory as psutil sees them."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx
import psutil

BASELINES = Path(__file__).parent / "baselines"
# How much of a server's output a failure shows.
OUTPUT_TAIL_BYTES = 4000


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PortTaken(RuntimeError):
    """Another process answered on the port a server was started on."""


@dataclass
class Server:
    """A server process under test."""

    name: str
    args: list[str]
    env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    health_path: str = "/healthz"
    process: subprocess.Popen[bytes] | None = None
    # Its stdout and stderr. A file, not a pipe: nothing here reads while a benchmark runs, and
    # a server writing a log line per request (HOSTSTAND_LOG_LEVEL=info) would block once a
    # pipe's buffer (64 KiB) is full. The kernel takes the writes; the file goes when closed.
    output: IO[bytes] | None = None

    @property
    def base_url(self) -> str:
        """Its HTTP base URL."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_base(self) -> str:
        """Its WebSocket base URL."""
        return f"ws://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0, attempts: int = 3) -> Server:
        """Start it and wait until it answers, on another free port if its own was taken.

        free_port's port is free when it returns, not when the server binds it: another process
        (a test run beside the benchmark) may take it in between. Then the health check is
        answered by that process while this one dies of EADDRINUSE, so an answer counts only
        once this process is the one listening.
        """
        for _ in range(attempts - 1):
            try:
                return self._start(timeout)
            except PortTaken:
                self.port = free_port()
        return self._start(timeout)

    def _start(self, timeout: float) -> Server:
        env = {**os.environ, **self.env, "PORT": str(self.port), "HOSTSTAND_PORT": str(self.port)}
        self.output = tempfile.TemporaryFile(prefix=f"bench-{self.name}-")  # noqa: SIM115
        self.process = subprocess.Popen(
            [a.replace("{port}", str(self.port)) for a in self.args],
            env=env,
            stdout=self.output,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = self.output_tail()
                self._close_output()
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}: {tail}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.base_url + self.health_path, timeout=0.5).status_code < 500:
                    if self._listening():
                        return self
                    self.stop()
                    raise PortTaken(f"{self.name}: port {self.port} is another process's")
            time.sleep(0.05)
        self.stop()  # not left running behind the failure
        raise TimeoutError(f"{self.name} did not start")

    def _listening(self) -> bool:
        """Whether this process (or one it started) listens on the port."""
        with contextlib.suppress(psutil.Error):
            processes = [self.ps, *self.ps.children(recursive=True)]
            return any(
                c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == self.port
                for p in processes
                for c in p.net_connections(kind="tcp")
            )
        return False

    @property
    def ps(self) -> psutil.Process:
        """psutil's view of the process."""
        assert self.process is not None
        return psutil.Process(self.process.pid)

    def cpu_seconds(self) -> float:
        """User + system CPU time used so far."""
        times = self.ps.cpu_times()
        return float(times.user + times.system)

    def rss_bytes(self) -> int:
        """Resident memory now."""
        return int(self.ps.memory_info().rss)

    def output_tail(self, limit: int = OUTPUT_TAIL_BYTES) -> str:
        """The last `limit` bytes the server wrote to its stdout and stderr."""
        if self.output is None:
            return ""
        size = self.output.seek(0, os.SEEK_END)
        self.output.seek(max(0, size - limit))
        return self.output.read().decode(errors="replace")

    def stop(self) -> None:
        """Terminate and reap; say what it wrote last if it had died on its own."""
        if self.process is None:
            return
        code = self.process.poll()
        if code is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        elif code != 0 and self.output is not None:
            print(f"{self.name} had exited with {code}: {self.output_tail()}", file=sys.stderr)
        self._close_output()

    def _close_output(self) -> None:
        if self.output is not None:
            self.output.close()
            self.output = None


@contextlib.contextmanager
def serving(server: Server) -> Iterator[Server]:
    """Run a server for a with-block."""
    server.start()
    try:
        yield server
    finally:
        server.stop()


def hoststand(env: dict[str, str]) -> Server:
    """`hoststand serve` as configured by `env` (HOSTSTAND_* variables)."""
    args = [sys.executable, "-m", "hoststand.cli", "serve", "--no-migrate"]
    return Server("hoststand", args, env={"HOSTSTAND_LOG_LEVEL": "warning", **env})


def uvicorn_baseline(*, compression: bool = False) -> Server:
    """A minimal Uvicorn + websockets-sansio broadcast server."""
    args = [
        sys.executable,
        "-m",
        "uvicorn",
        "bench.baselines.uvicorn_broadcast:app",
        "--port",
        "{port}",
        "--ws",
        "websockets-sansio",
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    if not compression:
        args.append("--ws-per-message-deflate=false")
    return Server("uvicorn-sansio", args, health_path="/")


def node_baseline() -> Server | None:
    """A minimal Node.js `ws` broadcast server, when Node.js and the ws package are there."""
    node = shutil.which("node")
    if node is None or not _ensure_node_ws():
        return None
    return Server("node-ws", [node, str(BASELINES / "ws_broadcast.mjs"), "{port}"], health_path="/")


def _ensure_node_ws() -> bool:
    if (BASELINES / "node_modules" / "ws").is_dir():
        return True
    npm = shutil.which("npm")
    if npm is None:
        return False
    result = subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--silent"],
        cwd=BASELINES,
        capture_output=True,
        timeout=180,
        check=False,
    )
    return result.returncode == 0 and (BASELINES / "node_modules" / "ws").is_dir()
