"""A room's replay buffer: contiguous seqs only, bounded in number and in age."""

from __future__ import annotations

from hoststand.realtime.replay_buffer import ReplayBuffer


def _filled(buffer: ReplayBuffer, seqs: range, now: float = 0.0) -> ReplayBuffer:
    for seq in seqs:
        buffer.add(seq, "guest_updated", f"message {seq}", now)
    return buffer


def test_it_serves_a_run_it_holds_whole_and_nothing_else() -> None:
    buffer = _filled(ReplayBuffer(10, 60.0), range(5, 9))
    assert [m.seq for m in buffer.between(4, 8) or []] == [5, 6, 7, 8]
    assert [m.message for m in buffer.between(6, 8) or []] == ["message 7", "message 8"]
    assert buffer.between(3, 8) is None  # seq 4 is not here
    assert buffer.between(5, 9) is None  # nor 9
    assert buffer.between(8, 8) is None


def test_it_keeps_the_last_events_up_to_its_size() -> None:
    buffer = _filled(ReplayBuffer(3, 60.0), range(1, 11))
    assert [m.seq for m in buffer.between(7, 10) or []] == [8, 9, 10]
    assert buffer.between(6, 10) is None


def test_a_jump_in_seqs_starts_it_anew() -> None:
    buffer = _filled(ReplayBuffer(10, 60.0), range(1, 4))
    buffer.add(7, "data_change", "after a resync", 0.0)
    assert buffer.between(2, 7) is None
    assert [m.seq for m in buffer.between(6, 7) or []] == [7]


def test_old_events_leave_it_when_it_is_trimmed() -> None:
    buffer = _filled(ReplayBuffer(10, 5.0), range(1, 4), now=100.0)
    buffer.add(4, "guest_updated", "later", 103.0)
    buffer.trim(105.5)
    assert buffer.between(0, 4) is None
    assert [m.seq for m in buffer.between(3, 4) or []] == [4]
    buffer.trim(200.0)
    assert buffer.between(3, 4) is None


def test_size_zero_keeps_nothing() -> None:
    buffer = _filled(ReplayBuffer(0, 60.0), range(1, 4))
    assert buffer.between(0, 3) is None
