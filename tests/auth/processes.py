"""Running `hoststand` commands in child processes, against the tests' databases."""

from __future__ import annotations

import subprocess

from tests.commands import clean_env, hoststand
from tests.conftest import Backend

child_env = clean_env


def backend_env(backend: Backend, **variables: str) -> dict[str, str]:
    """A child environment pointed at the test database of `backend`."""
    env = clean_env(HOSTSTAND_DATABASE_URL=backend.url, **variables)
    if backend.schema:
        env["HOSTSTAND_DATABASE_SCHEMA"] = backend.schema
    return env


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run `hoststand ARGS...` to completion; its output as text."""
    return hoststand(*args, env=env)


def cli_ok(*args: str, env: dict[str, str]) -> str:
    """Run a CLI command that must succeed; its standard output."""
    done = cli(*args, env=env)
    assert done.returncode == 0, (args, done.returncode, done.stdout, done.stderr)
    return done.stdout
