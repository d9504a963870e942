"""Lookups by many keys: a bounded number of keys per `IN` list.

The log poll's full sweeps ask about every restaurant and token an instance serves, thousands
at a time. One statement per `IN_LIST_LIMIT` keys stays within every database's limit
on parameters and cheap to plan.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

IN_LIST_LIMIT = 500

K = TypeVar("K")


def chunks(keys: Sequence[K]) -> Iterator[Sequence[K]]:
    """`keys` in runs of at most IN_LIST_LIMIT."""
    for start in range(0, len(keys), IN_LIST_LIMIT):
        yield keys[start : start + IN_LIST_LIMIT]
