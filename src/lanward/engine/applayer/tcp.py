"""TCP reassembly for one direction of a connection: segments in, ordered bytes and gaps out.

Sequence numbers are turned into stream offsets (bytes since the start of the stream), so a
wrap past 2**32 does not matter. Out-of-order segments wait in a small sorted buffer; where
segments overlap, the bytes seen first win (a retransmission never rewrites data already
handed on, as in Suricata's default policy). A hole is skipped, and reported as a gap, when
the receiver has acknowledged bytes we never saw (the capture lost them: they will not come
again), when the waiting data outgrows the caps below, or when the flow ends. Memory per
direction is thus bounded by the caps, whatever the input.
"""

from __future__ import annotations

import bisect

# Out-of-order data held per direction, and in how many pieces, before a hole is given up on.
MAX_BUFFERED_BYTES = 256 * 1024
MAX_BUFFERED_SEGMENTS = 256
MAX_JOINED = 16 * 1024  # touching out-of-order pieces are joined up to this size
# A segment further ahead than this is not believed (garbage, or another connection reusing
# the ports) ...
MAX_AHEAD = 16 * 1024 * 1024
# ... unless this many such segments in a row say the stream really moved on.
RESYNC_AFTER = 16

_MOD = 1 << 32
_HALF = 1 << 31

Piece = tuple[int, bytes]  # (bytes missing just before `data`, data)


def _distance(a: int, b: int) -> int:
    """a - b in sequence space, signed (-2**31 .. 2**31 - 1)."""
    return ((a - b + _HALF) % _MOD) - _HALF


class Stream:
    """One direction. `segment()` and `acked()` return the pieces that became contiguous."""

    __slots__ = (
        "base",
        "offset",
        "pending",
        "pending_bytes",
        "ahead",
        "gap_bytes",
        "acked_to",
    )

    def __init__(self) -> None:
        self.base: int | None = None  # the sequence number of stream offset 0
        self.offset = 0  # the next offset to hand on
        self.pending: list[tuple[int, bytes]] = []  # (offset, data), sorted, no overlaps
        self.pending_bytes = 0
        self.ahead = 0
        self.gap_bytes = 0
        self.acked_to: int | None = None  # the receiver's cumulative ACK, as an offset

    @property
    def started(self) -> bool:
        return self.base is not None

    def syn(self, seq: int) -> None:
        """The sender's SYN: its data starts at seq + 1."""
        if self.base is None:
            self.base = (seq + 1) % _MOD

    def segment(self, seq: int, data: bytes) -> list[Piece]:
        if not data:
            return []
        if self.base is None:
            self.base = seq  # joined mid-stream, or the SYN was not captured
        rel = _distance(seq, (self.base + self.offset) % _MOD)
        if rel + len(data) <= 0:
            return []  # all of it was handed on before: a retransmission
        if rel <= 0:
            self.ahead = 0
            data = data[-rel:] if rel else data
            out: list[Piece] = []
            if self.pending:  # bytes that came earlier win where they overlap
                self._insert(self.offset, data)
            else:
                out.append((0, data))
                self.offset += len(data)
            self._drain(out)
            return out
        if rel > MAX_AHEAD:
            self.ahead += 1
            if self.ahead < RESYNC_AFTER:
                return []
            # The stream really moved on: drop what waited and follow it from here.
            self.ahead = 0
            self.pending, self.pending_bytes = [], 0
            self.gap_bytes += rel
            self.offset += rel
            out = [(rel, data)]
            self.offset += len(data)
            return out
        self.ahead = 0
        self._insert(self.offset + rel, data)
        if (
            (self.acked_to is not None and self.acked_to > self.offset)
            or self.pending_bytes > MAX_BUFFERED_BYTES
            or len(self.pending) > MAX_BUFFERED_SEGMENTS
        ):
            return self._skip_hole()
        return []

    def acked(self, ack: int) -> list[Piece]:
        """The receiver acknowledged up to `ack`: a hole it covers will never be filled."""
        if self.base is None:
            return []
        rel = _distance(ack, (self.base + self.offset) % _MOD)
        if rel <= 0 or rel > MAX_AHEAD:
            return []
        self.acked_to = self.offset + rel
        if self.pending:
            return self._skip_hole()
        return []

    def flush(self) -> list[Piece]:
        """The flow ended: hand on everything that waited, holes and all."""
        out: list[Piece] = []
        while self.pending:
            out.extend(self._skip_hole())
        return out

    def _skip_hole(self) -> list[Piece]:
        if not self.pending:
            return []
        start = self.pending[0][0]
        hole = max(0, start - self.offset)
        self.gap_bytes += hole
        self.offset = start
        out: list[Piece] = []
        self._drain(out)
        if out and hole:
            out[0] = (hole, out[0][1])
        return out

    def _drain(self, out: list[Piece]) -> None:
        pending = self.pending
        while pending and pending[0][0] <= self.offset:
            start, data = pending.pop(0)
            self.pending_bytes -= len(data)
            end = start + len(data)
            if end <= self.offset:
                continue
            data = data[self.offset - start :]
            out.append((0, data))
            self.offset = end

    def _insert(self, start: int, data: bytes) -> None:
        """Buffer `data` at `start`, keeping bytes already buffered where they overlap."""
        end = start + len(data)
        pending = self.pending
        i = max(0, bisect.bisect_right(pending, start, key=lambda piece: piece[0]) - 1)
        pieces: list[tuple[int, bytes]] = []
        pos = start
        for s, d in pending[i:]:
            e = s + len(d)
            if e <= pos:
                continue
            if s >= end:
                break
            if s > pos:
                pieces.append((pos, data[pos - start : s - start]))
            pos = max(pos, e)
            if pos >= end:
                break
        if pos < end:
            pieces.append((pos, data[pos - start :]))
        for piece in pieces:
            bisect.insort(pending, piece, key=lambda piece: piece[0])
            self.pending_bytes += len(piece[1])
        if pieces:
            self._coalesce(max(0, bisect.bisect_left(pending, start, key=lambda p: p[0]) - 1))

    def _coalesce(self, i: int) -> None:
        """Join touching pieces from index i on (small ones only), so tiny segments in a
        random order do not use up the piece count."""
        pending = self.pending
        while i + 1 < len(pending):
            start, data = pending[i]
            after, more = pending[i + 1]
            if start + len(data) == after and len(data) + len(more) <= MAX_JOINED:
                pending[i : i + 2] = [(start, data + more)]
            elif after > start + len(data) + MAX_JOINED:
                break
            else:
                i += 1
