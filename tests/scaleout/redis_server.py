"""A redis-server of the test's own, on its own port, that the test may stop and start again."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import redis

from tests.servers import free_port, wait_until

START_TIMEOUT = 10.0


def redis_server_binary() -> str | None:
    """The redis-server executable, if installed."""
    return shutil.which("redis-server")


@dataclass
class RedisServer:
    """`redis-server` without persistence on a free port; never the machine's shared one."""

    port: int = field(default_factory=free_port)
    log_path: Path | None = None
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Where hoststand should connect."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        """Start (again, on the same port) and wait until it answers PING."""
        binary = redis_server_binary()
        assert binary is not None, "redis-server is not installed"
        args = [binary, "--port", str(self.port), "--bind", "127.0.0.1"]
        args += ["--save", "", "--appendonly", "no"]
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
        wait_until(self.answers, START_TIMEOUT, f"redis-server on port {self.port}")
        return self

    def answers(self) -> bool:
        """True when the server answers PING."""
        client = redis.Redis(port=self.port, socket_timeout=0.5, socket_connect_timeout=0.5)
        try:
            return bool(client.ping())
        except redis.ConnectionError:
            return False
        finally:
            client.close()

    def client(self) -> redis.Redis:
        """A plain client, to look at what the instances did (PUBSUB NUMSUB, CLIENT LIST)."""
        return redis.Redis(port=self.port, socket_timeout=2.0)

    def stop(self) -> None:
        """Stop the server and wait until it is gone."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None
