"""TCP reassembly of one direction: order, overlaps, holes, wrap-around, caps."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from lanward.engine.applayer import tcp
from lanward.engine.applayer.tcp import Stream


def joined(pieces: list[tuple[int, bytes]]) -> bytes:
    return b"".join(data for _gap, data in pieces)


def test_in_order_and_out_of_order() -> None:
    s = Stream()
    s.syn(99)
    assert s.segment(100, b"abc") == [(0, b"abc")]
    assert s.segment(106, b"ghi") == []
    assert joined(s.segment(103, b"def")) == b"defghi"
    assert s.segment(100, b"abc") == []  # a retransmission


def test_overlaps_keep_the_first_bytes() -> None:
    s = Stream()
    s.syn(0)
    s.segment(1, b"01")
    assert s.segment(5, b"5678") == []
    assert s.segment(4, b"XYZWV") == []  # overlaps the waiting 5678: only X is new
    assert joined(s.segment(1, b"..234")) == b"2X5678"  # 3 and 4 came before: they win


def test_sequence_wrap() -> None:
    s = Stream()
    s.syn(2**32 - 3)
    first = s.segment(2**32 - 2, b"abcd")  # 2**32-2 .. 1 after the wrap
    assert first == [(0, b"abcd")]
    assert s.segment(2, b"ef") == [(0, b"ef")]
    assert s.offset == 6


def test_hole_skipped_when_the_receiver_acked_past_it() -> None:
    s = Stream()
    s.syn(0)
    s.segment(1, b"aa")
    assert s.segment(10, b"zz") == []
    assert s.acked(12) == [(7, b"zz")]  # bytes 3..9 were received by the peer, not by us
    assert s.gap_bytes == 7


def test_hole_skipped_when_the_buffer_is_full() -> None:
    s = Stream()
    s.syn(0)
    s.segment(1, b"a")
    out = []
    for n in range(tcp.MAX_BUFFERED_SEGMENTS + 1):
        out += s.segment(100 + n * 11, b"x" * 10)  # a byte apart: they cannot be joined
    assert out and out[0][0] == 98
    assert len(s.pending) <= tcp.MAX_BUFFERED_SEGMENTS


def test_touching_pieces_are_joined() -> None:
    s = Stream()
    s.syn(0)
    s.segment(1, b"a")
    for n in reversed(range(1000)):  # 1000 one-byte segments, last first
        assert s.segment(3 + n, b"y") == []
    assert len(s.pending) == 1 and s.pending_bytes == 1000
    assert s.segment(2, b"x") == [(0, b"x" + b"y" * 1000)]


def test_flush_hands_on_what_waited() -> None:
    s = Stream()
    s.syn(0)
    s.segment(5, b"late")
    assert s.flush() == [(4, b"late")]


def test_far_ahead_segments_are_ignored_until_they_persist() -> None:
    s = Stream()
    s.syn(0)
    s.segment(1, b"a")
    far = 1 + tcp.MAX_AHEAD + 100
    for n in range(tcp.RESYNC_AFTER - 1):
        assert s.segment(far + n, b"b") == []
    assert s.segment(far + 50, b"new") != []


@settings(max_examples=200, deadline=None)
@given(
    data=st.binary(min_size=1, max_size=400),
    cuts=st.lists(st.integers(min_value=1, max_value=60), min_size=1, max_size=40),
    order=st.randoms(use_true_random=False),
    isn=st.integers(min_value=0, max_value=2**32 - 1),
    dup=st.booleans(),
)
def test_any_order_gives_the_stream_back(data, cuts, order, isn, dup) -> None:  # type: ignore[no-untyped-def]
    segments, pos, i = [], 0, 0
    while pos < len(data):
        size = cuts[i % len(cuts)]
        segments.append((pos, data[pos : pos + size]))
        pos, i = pos + size, i + 1
    if dup:
        segments += segments[: len(segments) // 2]
    order.shuffle(segments)
    s = Stream()
    s.syn(isn)
    out = []
    for offset, chunk in segments:
        out += s.segment((isn + 1 + offset) % 2**32, chunk)
    out += s.flush()
    assert joined(out) == data
    assert all(gap == 0 for gap, _ in out)
