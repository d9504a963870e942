"""Running `hoststand` commands in child processes, against the tests' databases."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import Backend

CLI_TIMEOUT = 60.0


def child_env(**variables: str) -> dict[str, str]:
    """The environment of a hoststand child process: ours, minus our own HOSTSTAND_ settings."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("HOSTSTAND_") or k.startswith("HOSTSTAND_TEST_")
    }
    env.update(variables)
    return env


def backend_env(backend: Backend, **variables: str) -> dict[str, str]:
    """A child environment pointed at the test database of `backend`."""
    env = child_env(HOSTSTAND_DATABASE_URL=backend.url, **variables)
    if backend.schema:
        env["HOSTSTAND_DATABASE_SCHEMA"] = backend.schema
    return env


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run `hoststand ARGS...` to completion; its output as text."""
    return subprocess.run(
        [sys.executable, "-m", "hoststand.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
        check=False,
    )


def cli_ok(*args: str, env: dict[str, str]) -> str:
    """Run a CLI command that must succeed; its standard output."""
    done = cli(*args, env=env)
    assert done.returncode == 0, (args, done.returncode, done.stdout, done.stderr)
    return done.stdout
