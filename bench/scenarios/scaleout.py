"""Scale-out: write-to-device across 3 instances on PostgreSQL + Redis."""

from __future__ import annotations

from typing import Any


def run(quick: bool) -> dict[str, Any]:
    """Not measurable until the Redis broker lands."""
    raise RuntimeError("the scale-out scenario needs the Redis broker (issue 6), not merged yet")
