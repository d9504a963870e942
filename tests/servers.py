"""Real hoststand servers for the tests: in a thread of this process, or as `hoststand serve`."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from hoststand.app import create_app
from hoststand.config import Settings
from hoststand.realtime import protocol, upgrade
from hoststand.runtime import Runtime

ADMIN_TOKEN = "test-admin-token-0123456789abcdefghijklmnop"
START_TIMEOUT = 20.0


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(condition: Any, timeout: float, what: str, interval: float = 0.02) -> None:
    """Block until condition() is true; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


@dataclass
class ThreadServer:
    """A uvicorn server running create_app(settings) in a background thread."""

    settings: Settings
    base_url: str = ""
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None

    @property
    def runtime(self) -> Runtime:
        """The running app's runtime (hub, services) for white-box checks."""
        assert self._server is not None
        app = self._server.config.loaded_app
        while hasattr(app, "app"):
            app = app.app
        return app.state.runtime  # type: ignore[no-any-return]

    @property
    def connections(self) -> set[Any]:
        """Uvicorn's protocol objects of the connections it holds open (on its loop only)."""
        assert self._server is not None
        return self._server.server_state.connections  # type: ignore[return-value]

    @property
    def thread(self) -> threading.Thread:
        """The thread its event loop runs on."""
        assert self._thread is not None
        return self._thread

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The server's event loop."""
        return self._loop

    def start(self) -> ThreadServer:
        """Bind a free port and serve until stop()."""
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}"
        s = self.settings
        config = uvicorn.Config(
            create_app(s),
            loop="uvloop",
            http=upgrade.SERVED_BY,  # httptools, keeping what follows an upgrade request
            ws=protocol.SERVED_BY,  # websockets-sansio, leaner per idle device
            ws_max_size=s.ws_max_message_bytes,
            ws_ping_interval=s.ws_ping_interval_seconds,
            ws_ping_timeout=s.ws_ping_timeout_seconds,
            ws_per_message_deflate=s.ws_compression,
            log_config=None,
            lifespan="on",
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)

        def run() -> None:
            assert self._server is not None
            loop_factory = config.get_loop_factory()
            assert loop_factory is not None
            with asyncio.Runner(loop_factory=loop_factory) as runner:
                self._loop = runner.get_loop()
                runner.run(self._server.serve(sockets=[sock]))

        self._thread = threading.Thread(target=run, name=f"server-{port}", daemon=True)
        self._thread.start()
        wait_until(
            lambda: self._server is not None and self._server.started, START_TIMEOUT, "start"
        )
        return self

    def call(self, coro: Any, timeout: float = 10.0) -> Any:
        """Run a coroutine on the server's loop (to look inside the running app)."""
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def stop(self) -> None:
        """Shut down gracefully (sockets get 1012) and wait for the thread."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(15)

    @property
    def stopped(self) -> bool:
        """Whether its thread has ended: the app's lifespan is over and its event loop closed."""
        return self._thread is not None and not self._thread.is_alive()


@dataclass
class ProcessServer:
    """`hoststand serve` in a child process: for SIGKILL, SIGTERM and several instances."""

    env: dict[str, str]
    port: int = field(default_factory=free_port)
    log_path: Path | None = None
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        """Where it listens."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, migrate: bool = False, demo: bool = False) -> ProcessServer:
        """Start and wait until /healthz answers (`demo`: as `make run`, `serve --demo`)."""
        env = {**os.environ, **self.env, "HOSTSTAND_PORT": str(self.port)}
        args = [sys.executable, "-m", "hoststand.cli", "serve"]
        if demo:
            args.append("--demo")
        elif not migrate:
            args.append("--no-migrate")
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_until(self._healthy, START_TIMEOUT, f"server on port {self.port}", interval=0.05)
        except BaseException:  # a server that never came up is not left running
            self.stop()
            raise
        return self

    def _healthy(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"server exited with {self.process.returncode}; see {self.log_path}")
        with contextlib.suppress(httpx.HTTPError):
            return httpx.get(f"{self.base_url}/healthz", timeout=0.5).status_code == 200
        return False

    def signal(self, sig: signal.Signals) -> None:
        """Send a signal to the process."""
        assert self.process is not None
        self.process.send_signal(sig)

    def wait(self, timeout: float = 20.0) -> int:
        """Wait for exit; return the exit code."""
        assert self.process is not None
        return self.process.wait(timeout)

    def stop(self) -> None:
        """Terminate if still running."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()


@contextlib.contextmanager
def running(server: ThreadServer | ProcessServer) -> Iterator[Any]:
    """Start a server for the duration of a with-block."""
    server.start()
    try:
        yield server
    finally:
        server.stop()
