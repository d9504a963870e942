"""The Procfile, run as a platform runs it: migrate once, then serve on the port in $PORT."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.servers import START_TIMEOUT, free_port, wait_until

PROCFILE = Path(__file__).parents[2] / "Procfile"


def procfile_commands() -> dict[str, str]:
    """Process type -> command line."""
    commands = {}
    for line in PROCFILE.read_text().splitlines():
        if line.strip():
            name, command = line.split(":", 1)
            commands[name.strip()] = command.strip()
    return commands


def platform_env(tmp_path: Path, port: int) -> dict[str, str]:
    """What a platform gives the processes: PATH with `hoststand` on it, PORT, the config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOSTSTAND_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PORT"] = str(port)
    env["HOSTSTAND_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'platform.db'}"
    return env


def answers(url: str) -> bool:
    """True once `url` answers 200."""
    try:
        return httpx.get(url, timeout=0.5).status_code == 200
    except httpx.HTTPError:
        return False


def test_the_procfile_migrates_then_serves_on_the_platform_port(tmp_path: Path) -> None:
    commands = procfile_commands()
    assert set(commands) == {"release", "web"}
    port = free_port()
    env = platform_env(tmp_path, port)
    release = subprocess.run(
        ["sh", "-c", commands["release"]], env=env, capture_output=True, timeout=60, check=False
    )
    assert release.returncode == 0, release.stderr.decode()

    with open(tmp_path / "web.log", "wb") as log:
        web = subprocess.Popen(
            ["sh", "-c", f"exec {commands['web']}"], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            wait_until(lambda: answers(f"http://127.0.0.1:{port}/healthz"), START_TIMEOUT, "web")
            ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).json()
            assert ready["status"] == "ok"
        finally:
            web.send_signal(signal.SIGTERM)
            web.wait(15)
    assert b"Finished server process" in (tmp_path / "web.log").read_bytes()
