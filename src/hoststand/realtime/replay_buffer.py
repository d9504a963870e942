"""A room's last events in memory, so that a device resuming after a short drop reads no log.

Devices drop together and come back within seconds (a network blip, a proxy restarting, a
server closing them with 1012 or 4409): what each missed is then the room's last few events,
which this instance has just fanned out. Served from here, a resume costs no database read;
when the buffer does not hold every event a device missed, the hub reads the log as before.
"""

from __future__ import annotations

import itertools
from collections import deque

from hoststand.store.event_log import LoggedMessage


class ReplayBuffer:
    """The room's most recent events: contiguous seqs, at most `size` and `max_age` seconds old.

    Bounded per room in number and in age: a busy room keeps its last `size` events, a quiet
    one sheds them as they age (`trim`, called at each event and by the log poll's full
    sweeps, so that idle and lingering rooms let them go too). Only a contiguous run is kept:
    a jump in seqs (a room resynced past pruned events) empties the buffer first.
    """

    __slots__ = ("_entries", "_max_age")

    def __init__(self, size: int, max_age: float) -> None:
        self._entries: deque[tuple[float, LoggedMessage]] = deque(maxlen=size)
        self._max_age = max_age

    def add(self, seq: int, kind: str, message: str, now: float) -> None:
        """Keep the event just fanned out, which follows the last one kept (or starts anew)."""
        entries = self._entries
        if entries.maxlen == 0:
            return
        if entries and entries[-1][1].seq != seq - 1:
            entries.clear()
        entries.append((now, LoggedMessage(seq, kind, message)))
        self.trim(now)

    def trim(self, now: float) -> None:
        """Forget the events older than `max_age`."""
        entries = self._entries
        while entries and now - entries[0][0] > self._max_age:
            entries.popleft()

    def between(self, after: int, up_to: int) -> list[LoggedMessage] | None:
        """Every event in (after, up_to], in order, if all are here; otherwise None."""
        entries = self._entries
        if after >= up_to or not entries:
            return None
        first, last = entries[0][1].seq, entries[-1][1].seq
        if first > after + 1 or last < up_to:
            return None
        wanted = itertools.islice(entries, after + 1 - first, up_to + 1 - first)
        return [message for _, message in wanted]
