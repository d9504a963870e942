"""Variants of the server compared in one run: each served from its own `src`, rounds alternated.

The machine is shared and noisy, so `bench.write_cost` and `bench.storm_cost` take `--variant
NAME=SRC` (repeatable): SRC is a checkout's `src` directory, put first on the server's
PYTHONPATH, and the variants take turns round after round so that each sees the same noise.
"""

from __future__ import annotations

import os
import subprocess
import time
from typing import Any

from bench import procs
from bench.stats import median

CURRENT = ("current", None)  # no --variant: the hoststand this checkout installs


def parse(specs: list[str]) -> list[tuple[str, str | None]]:
    """(name, src) of each `NAME=SRC`; the current code alone when there are none."""
    variants = [spec.partition("=")[::2] for spec in specs]
    return [(name, src or None) for name, src in variants] or [CURRENT]


def served_from(src: str | None) -> dict[str, str]:
    """The environment that makes a server import hoststand from `src` (nothing for None)."""
    if not src:
        return {}
    return {"PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}


def medians(runs: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, float]]:
    """The median of every figure, per variant."""
    return {
        name: {key: round(median([r[key] for r in rs]), 3) for key in rs[0]}
        for name, rs in runs.items()
    }


def py_spy(server: procs.Server, out: str, *options: str) -> subprocess.Popen[bytes]:
    """py-spy recording `server` into `out` until sent SIGINT; attached when this returns."""
    spy = subprocess.Popen(
        ["py-spy", "record", "-p", str(server.ps.pid), "-o", out, *options],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.0)  # py-spy attaches before what is measured starts
    return spy
