"""Running the `hoststand` command in a child process, as an operator does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

COMMAND_TIMEOUT = 60.0


def clean_env(**variables: str) -> dict[str, str]:
    """This process's environment without any HOSTSTAND_* or PORT, plus `variables`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOSTSTAND_") and k != "PORT"}
    env.update(variables)
    return env


def hoststand(
    *args: str, env: dict[str, str], cwd: Path | None = None, timeout: float = COMMAND_TIMEOUT
) -> subprocess.CompletedProcess[str]:
    """Run `hoststand ARGS` to completion; its exit code, stdout and stderr."""
    return subprocess.run(
        [sys.executable, "-m", "hoststand.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def sqlite_url(path: Path) -> str:
    """The database URL of a SQLite file."""
    return f"sqlite+aiosqlite:///{path}"
