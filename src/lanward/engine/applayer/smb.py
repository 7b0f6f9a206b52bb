"""Files copied over SMB (a NAS, a Windows share): each file read or written, hashed whole.

The NetBIOS session service frames the stream (a 4-byte header: type and 24-bit length; keep-
alives and session requests passed over), whatever the TCP segments do: a message split across
many, several in one, a cut after the SMB header. Of each message the first `HEAD_LIMIT` bytes
are read whole; the rest of a longer one (the data of a large READ or WRITE) streams past into
its file without being buffered. After a hole in the capture, framing is found again by looking
for the next session message that starts with an SMB header.

SMB2/3 (0xFE 'SMB'): TREE_CONNECT (the share's path, and whether it is a disk), CREATE (a name
becomes a file id with the response), READ (the response's data at DataOffset), WRITE (the
request's data), CLOSE; compounds (NextCommand, related operations naming the file just
created, the command after a large WRITE's or READ's data read once the data streamed past);
requests paired with responses by MessageId, interim STATUS_PENDING answers passed over. An encrypted (TRANSFORM, 0xFD 'SMB') or compressed (0xFC 'SMB') message ends the reading
quietly: its content cannot be seen. SMB1 (0xFF 'SMB'): TREE_CONNECT_ANDX, NT_CREATE_ANDX (name,
FID), READ_ANDX responses, WRITE_ANDX requests, CLOSE, through AndX chains (a WRITE whose data
lies after a chained CLOSE too), paired by PID and MID. Named pipes (IPC$) and directories are
not files and are passed over. A file opened before the capture began is followed from its
first READ or WRITE, without a name.

A file's bytes are put together by offset: reads and writes may come out of order and overlap
(the bytes seen first win). What is contiguous from offset 0 is hashed (md5, sha1, sha256: a
`body.Body`) as it arrives; a piece further on waits, within `FILE_WAITING` per file and
`FLOW_WAITING` per flow, and a piece that does not fit, or a hole in the capture, leaves the
file incomplete. A file is reported (an `SmbTransaction`, one per file and direction: written
files travel to the server, read ones to the client) when the server answers its CLOSE, or at
the end of the flow (incomplete unless its CLOSE was sent). A read file is complete only when
everything up to the size the server gave at CREATE was seen.

Pure and total: no I/O, bounded memory, and no input makes it raise.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field

from lanward.engine.applayer.body import Body
from lanward.engine.events import AppEvent, FileInfo, FlowKey, SmbTransaction

PORTS = (139, 445)
SMB1, SMB2, TRANSFORM, COMPRESSED = b"\xffSMB", b"\xfeSMB", b"\xfdSMB", b"\xfcSMB"
MAGICS = (SMB1, SMB2, TRANSFORM, COMPRESSED)

HEAD_LIMIT = 64 * 1024  # of each message, buffered and parsed; the rest streams past
BATCH = 256 * 1024  # streamed file bytes are handed on in pieces this big (fewer, larger hashes)
FILE_KEEP = 100 * 1024  # of each file, kept for rules (as mail attachments)
FILE_KEEP_MIN = 8 * 1024  # once the flow's budget is spent
FLOW_KEEP_BUDGET = 1024 * 1024
FILE_WAITING = 8 * 1024 * 1024  # out-of-order bytes held per file ...
FLOW_WAITING = 16 * 1024 * 1024  # ... and per flow, before a file is given up as incomplete
MAX_PIECES = 256  # out-of-order pieces held per file
MAX_PENDING = 4096  # requests waiting for their response (credits allow many in flight)
MAX_OPENS = 1024  # open files followed per flow; past it the oldest is reported incomplete
MAX_TREES = 256
MAX_CHAIN = 32  # commands of one compound or AndX chain
MAX_NAME = 1024  # characters of a file or share name

# SMB2 commands and flags (MS-SMB2 2.2.1)
_NEGOTIATE, _TREE_CONNECT, _CREATE, _CLOSE, _READ, _WRITE = 0x00, 0x03, 0x05, 0x06, 0x08, 0x09
_FROM_SERVER, _ASYNC, _RELATED = 0x1, 0x2, 0x4
_PENDING, _BUFFER_OVERFLOW = 0x00000103, 0x80000005
_LAST_FILE = b"\xff" * 16  # a related compound's FileId: the file of the CREATE before it
_SHARE_DISK = 0x01
# SMB1 commands (MS-CIFS 2.2.2.1)
_CLOSE1, _READ_ANDX, _WRITE_ANDX, _TREE_CONNECT_ANDX, _NT_CREATE_ANDX = 0x04, 0x2E, 0x2F, 0x75, 0xA2
_ANDX = frozenset({0x24, 0x2D, 0x2E, 0x2F, 0x73, 0x74, 0x75, 0xA2})
_UNICODE = 0x8000  # Flags2: strings are UTF-16LE
_DIRECTORY = 0x10  # file attribute
_DIRECTORY_FILE = 0x1  # create option

# A session message that starts with an SMB header: where framing is found again after a hole.
_MESSAGE_START = re.compile(rb"\x00[\x00-\xff]{3}[\xfc-\xff]SMB", re.DOTALL)

_HEADER, _HEAD, _BODY, _LOST = range(4)

_u16 = struct.Struct("<H").unpack_from
_u32 = struct.Struct("<I").unpack_from
_u64 = struct.Struct("<Q").unpack_from


def recognise(client: bytes, server: bytes, smb_port: bool) -> bool:
    """Whether a flow is SMB: the client's first message is a session message carrying an SMB
    header, or the flow is on port 139/445 (a capture that began mid-session resyncs)."""
    if len(client) >= 8 and client[0] == 0 and client[4:8] in MAGICS:
        return True
    return smb_port and bool(client or server)


class _Transfer:
    """One direction of an open file's bytes, put together by offset and hashed from 0 on."""

    __slots__ = ("body", "hashed", "end", "waiting", "waiting_bytes", "lost")

    def __init__(self, keep: int) -> None:
        self.body = Body(keep)
        self.hashed = 0  # bytes 0 .. hashed went through the hashes
        self.end = 0  # the furthest byte seen (or known to be missing)
        self.waiting: dict[int, bytes] = {}  # offset -> bytes past a hole
        self.waiting_bytes = 0
        self.lost = False  # a piece past `hashed` was dropped: the hashes stop there

    def add(self, offset: int, data: bytes, room: int) -> int:
        """Bytes at `offset` of the file. Returns the change in bytes waiting."""
        end = offset + len(data)
        if end > self.end:
            self.end = end
        if end <= self.hashed or not data:
            return 0
        if offset <= self.hashed:
            self.body.feed(data[self.hashed - offset :] if offset < self.hashed else data)
            self.hashed = end
            return self._drain() if self.waiting else 0
        if self.lost:
            return 0
        held = self.waiting.get(offset)
        if held is not None and len(held) >= len(data):
            return 0
        size = len(data) - (len(held) if held is not None else 0)
        if (
            len(self.waiting) >= MAX_PIECES
            or size > room
            or self.waiting_bytes + size > FILE_WAITING
        ):
            return self.lose(end)
        self.waiting[offset] = data
        self.waiting_bytes += size
        return size

    def _drain(self) -> int:
        freed = 0
        for start in sorted(self.waiting):
            if start > self.hashed:
                break
            data = self.waiting.pop(start)
            freed += len(data)
            if start + len(data) > self.hashed:
                self.body.feed(data[self.hashed - start :])
                self.hashed = start + len(data)
        self.waiting_bytes -= freed
        return -freed

    def lose(self, end: int) -> int:
        """Bytes up to `end` will not all be seen: stop at what is hashed. Returns the change
        in bytes waiting (what was freed)."""
        self.end = max(self.end, end)
        self.lost = True
        freed = self.waiting_bytes
        self.waiting, self.waiting_bytes = {}, 0
        return -freed

    def file(self, name: str, direction: str, size: int, complete: bool) -> FileInfo | None:
        if self.hashed == 0:
            return None  # nothing from the start of the file: nothing to name it by
        size = max(size, self.end)
        if size > self.hashed:
            self.body.missed(size - self.hashed)
        if not complete:
            self.body.complete = False
        return self.body.file(name, "", direction)


@dataclass(slots=True)
class _Open:
    """A file opened on a share (CREATE / NT_CREATE_ANDX) and what crossed the wire for it."""

    name: str
    share: str
    protocol: str
    ts_ms: int
    keep: int
    key: object = None  # its FileId / FID once the server gave it
    size: int = 0  # EndOfFile when it was opened (what a complete read covers)
    closing: bool = False  # the client sent CLOSE
    gapped: bool = False  # the capture lost bytes while it was open
    written: _Transfer | None = None
    read: _Transfer | None = None

    def transfer(self, to_server: bool) -> _Transfer:
        if to_server:
            if self.written is None:
                self.written = _Transfer(self.keep)
            return self.written
        if self.read is None:
            self.read = _Transfer(self.keep)
        return self.read


@dataclass(slots=True)
class _Span:
    """Bytes start..end of a message are bytes `offset`.. of a file's transfer."""

    start: int
    end: int
    transfer: _Transfer
    offset: int


@dataclass(slots=True)
class _Side:
    """The framing of one direction."""

    state: int = _HEADER
    buf: bytearray = field(default_factory=bytearray)
    length: int = 0  # of the message being read
    remaining: int = 0  # of it still to come (_BODY)
    pos: int = 0  # where in the message the next byte is (_BODY)
    spans: list[_Span] = field(default_factory=list)
    batch: bytearray = field(default_factory=bytearray)  # streamed bytes not yet handed on
    batch_at: int = 0  # where in the message they start
    base: int = 0  # where in the message `buf` starts (_HEAD): past 0 for a compound's rest
    resume: int = 0  # where a compound's next command starts, after streamed data (0: none)
    last: _Open | None = None  # the file of the compound's last CREATE (related operations)


def _text(raw: bytes, unicode: bool = True) -> str:
    """A name as sent, up to its first NUL: UTF-16LE, or (SMB1 without Unicode) bytes."""
    if unicode:
        raw = raw[: len(raw) - len(raw) % 2]
        text = raw.decode("utf-16-le", "replace")
    else:
        text = raw.decode("utf-8", "replace")
    return text.split("\x00", 1)[0][:MAX_NAME]


def _file_name(text: str) -> str:
    return text.lstrip("\\")


def _smb1_string(msg: bytes, start: int, end: int, unicode: bool) -> str:
    """A NUL-terminated SMB1 string in msg[start:end]; a Unicode one is 2-byte aligned to the
    start of the SMB header."""
    if unicode and start % 2:
        start += 1
    return _text(msg[start : min(end, start + 2 * MAX_NAME)], unicode)


class SmbParser:
    def __init__(self, flow: FlowKey) -> None:
        self.flow = flow
        self.done = False
        self.handoff: tuple[bytes, bytes] | None = None
        self.sides = {True: _Side(), False: _Side()}
        self.dialect = 0  # SMB2 dialect the server chose (0x0300 and up: SMB3)
        self.trees: dict[int, tuple[str, bool]] = {}  # tree id -> (share path, is a disk)
        self.opens: dict[object, _Open] = {}  # FileId (SMB2, bytes) / FID (SMB1, int) -> file
        self.pending: dict[object, list[tuple[int, object]]] = {}  # request -> what it asked
        self.waiting = 0  # out-of-order bytes held for all files
        self.answered_close: list[_Open] = []  # files whose CLOSE the message being read answers
        self.keep_budget = FLOW_KEEP_BUDGET
        self.events: list[AppEvent] = []
        self.ts_ms = 0

    # --- the FlowParser's interface ------------------------------------------------------

    def feed(self, to_server: bool, data: bytes, ts_ms: int) -> list[AppEvent]:
        self.ts_ms = ts_ms
        self._frame(self.sides[to_server], data)
        return self._take()

    def gap(self, to_server: bool, size: int, ts_ms: int) -> list[AppEvent]:
        self.ts_ms = ts_ms
        side = self.sides[to_server]
        self._flush(side)
        if side.state == _HEAD and not self._message(side):
            self._gapped()  # a message cut too short to tell what it was
        if side.state == _BODY:
            lost = min(size, side.remaining)
            if side.resume and side.pos + lost > side.resume:
                side.resume = 0  # the rest of a compound is lost with the gap
                self._gapped()
            self._lose_spans(side, side.pos, side.pos + lost)
            side.pos += lost
            side.remaining -= lost
            size -= lost
            if side.remaining == 0:
                side.state, side.spans = _HEADER, []
            if size == 0:
                return self._take()
        side.state, side.spans = _LOST, []
        side.buf.clear()
        self._gapped()
        return self._take()

    def close(self, ts_ms: int) -> list[AppEvent]:
        self.ts_ms = ts_ms
        for side in self.sides.values():
            if side.state == _HEAD and not self.done:
                self._message(side)  # what came of a message the capture cut short
            self._flush(side)
        if not self.done:
            self._report_all()
        self.done = True
        return self._take()

    # --- NetBIOS session service framing ---------------------------------------------------

    def _frame(self, side: _Side, data: bytes) -> None:
        queue = [memoryview(data)]
        while queue and not self.done:
            view = queue.pop()
            while view and not self.done:
                state = side.state
                if state == _BODY:
                    view = self._stream(side, view)
                elif state == _HEADER:
                    take = 4 - len(side.buf)
                    side.buf += view[:take]
                    view = view[take:]
                    if len(side.buf) == 4:
                        self._session_header(side)
                elif state == _HEAD:
                    want = min(side.length - side.base, HEAD_LIMIT)
                    take = want - len(side.buf)
                    side.buf += view[:take]
                    view = view[take:]
                    if len(side.buf) == want:
                        self._message(side)
                else:
                    side.buf += view[:HEAD_LIMIT]
                    rest = view[HEAD_LIMIT:]
                    found = _MESSAGE_START.search(side.buf)
                    if found is None:
                        del side.buf[:-7]  # a header may start in the last bytes
                        view = rest
                        continue
                    start = bytes(side.buf[found.start() :])
                    side.buf.clear()
                    side.state = _HEADER
                    if rest:
                        queue.append(rest)
                    view = memoryview(start)

    def _stream(self, side: _Side, view: memoryview) -> memoryview:
        """The rest of a long message: its file bytes are gathered and handed on in batches,
        up to the next command of a compound, if one follows the data."""
        n = min(side.remaining, len(view))
        if side.resume:
            n = min(n, side.resume - side.pos)
        if side.spans:
            if not side.batch:
                side.batch_at = side.pos
            side.batch += view[:n]
            if len(side.batch) >= BATCH or n == side.remaining or side.pos + n == side.resume:
                self._flush(side)
        side.pos += n
        side.remaining -= n
        if side.remaining == 0:
            side.state, side.spans = _HEADER, []
        elif side.pos == side.resume:
            side.state, side.spans, side.base, side.resume = _HEAD, [], side.pos, 0
        return view[n:]

    def _session_header(self, side: _Side) -> None:
        kind, buf = side.buf[0], side.buf
        if kind == 0:
            length = int.from_bytes(buf[1:4], "big")
        elif 0x81 <= kind <= 0x85:  # session request, answers, keep-alive (port 139)
            length = ((buf[1] & 1) << 16) | int.from_bytes(buf[2:4], "big")
        else:
            side.state = _LOST  # not a session header: out of step (keep the bytes to scan)
            del buf[:1]
            return
        buf.clear()
        side.base, side.resume, side.last = 0, 0, None
        if kind == 0 and length >= 4:
            side.state, side.length = _HEAD, length
        elif length:
            side.state, side.remaining, side.pos, side.spans = _BODY, length, 0, []

    def _message(self, side: _Side) -> bool:
        """The start of a message (all of it, when it is short), or of the rest of a compound
        after streamed data, was read: parse it. False when it was cut too short (or is out of
        step) to be understood."""
        head, base = bytes(side.buf), side.base
        side.buf.clear()
        magic = head[:4]
        if magic not in MAGICS and not base:
            side.state = _LOST  # a session message that is not SMB: out of step
            side.buf += head[1:]
            return False
        spans: list[_Span] = []
        understood, resume = True, 0
        try:
            if magic == SMB2:
                resume, side.last = self._smb2(head, spans, side.last)
            elif base:
                understood = False  # a compound's next command without an SMB2 header: skipped
            elif magic == SMB1:
                self._smb1(head, spans)
            else:
                self._encrypted()
                return True
        except (struct.error, IndexError):
            understood = False  # shorter than its fields say: what was read of it stands
        for span in spans:
            span.start, span.end = base + span.start, min(base + span.end, side.length)
        if spans:
            self._spread(spans, head, base)
        for open_ in self.answered_close:  # after the data of the same compound or chain
            self._report(open_, True)
        self.answered_close = []
        side.pos = base + len(head)
        side.remaining = side.length - side.pos
        side.resume = base + resume if resume and side.pos < base + resume < side.length else 0
        side.spans = [s for s in spans if s.end > side.pos]
        side.state = _BODY if side.remaining else _HEADER
        return understood

    def _flush(self, side: _Side) -> None:
        if side.batch:
            data = bytes(side.batch)
            side.batch.clear()
            self._spread(side.spans, data, side.batch_at)

    def _spread(self, spans: list[_Span], data: bytes, at: int) -> None:
        """Message bytes at..at+len(data) into the files they belong to."""
        stop = at + len(data)
        for span in spans:
            lo, hi = max(span.start, at), min(span.end, stop)
            if lo < hi:
                room = FLOW_WAITING - self.waiting
                piece = data if (lo, hi) == (at, stop) else data[lo - at : hi - at]
                self.waiting += span.transfer.add(span.offset + lo - span.start, piece, room)

    def _lose_spans(self, side: _Side, start: int, stop: int) -> None:
        for span in side.spans:
            if max(span.start, start) < min(span.end, stop):
                self.waiting += span.transfer.lose(span.offset + span.end - span.start)

    def _gapped(self) -> None:
        """Bytes of unknown messages were lost: any open file may have missed some."""
        for open_ in self.opens.values():
            open_.gapped = True
        for items in self.pending.values():
            for _, item in items:
                if isinstance(item, _Open):
                    item.gapped = True
                elif isinstance(item, tuple) and item and isinstance(item[0], _Open):
                    item[0].gapped = True

    def _encrypted(self) -> None:
        """An encrypted (or compressed) message: nothing more can be read on this flow."""
        self._report_all()
        self.done = True

    # --- requests and responses ------------------------------------------------------------

    def _expect(self, key: object, items: list[tuple[int, object]]) -> None:
        if not items:
            return
        self.pending[key] = items
        if len(self.pending) > MAX_PENDING:
            del self.pending[next(iter(self.pending))]

    def _answered(self, key: object) -> list[tuple[int, object]]:
        return self.pending.pop(key, [])

    def _open(self, name: str, share: str, protocol: str) -> _Open:
        keep = max(FILE_KEEP_MIN, min(FILE_KEEP, self.keep_budget))
        return _Open(_file_name(name), share, protocol, self.ts_ms, keep)

    def _register(self, key: object, open_: _Open) -> None:
        if open_.closing:
            return  # a compound CREATE ... CLOSE: already on its way out
        open_.key = key
        old = self.opens.pop(key, None)
        if old is not None and old is not open_:
            self._report(old, False)
        self.opens[key] = open_
        if len(self.opens) > MAX_OPENS:
            self._report(self.opens.pop(next(iter(self.opens))), False)

    def _file_of(self, key: object, tree: int | None, protocol: str) -> _Open | None:
        """The open file a READ/WRITE names; one opened before the capture began is followed
        from here, without a name."""
        open_ = self.opens.get(key)
        if open_ is None:
            share, disk = self._share(tree)
            if not disk:
                return None
            open_ = self._open("", share, protocol)
            self._register(key, open_)
        return open_

    def _share(self, tree: int | None) -> tuple[str, bool]:
        """The share a tree id names, and whether it is a disk (a tree not seen: one)."""
        if tree is None:
            return "", True
        return self.trees.get(tree, ("", True))

    # --- SMB2/3 ----------------------------------------------------------------------------

    @property
    def _smb2_protocol(self) -> str:
        return "smb3" if 0x0300 <= self.dialect <= 0x03FF else "smb2"

    def _smb2(self, msg: bytes, spans: list[_Span], last: _Open | None) -> tuple[int, _Open | None]:
        """A message: one command, or a compound of several, each with its own header. `last`
        is the file of the compound's last CREATE, for related operations. Returns where the
        compound goes on past `msg` (0: it does not), and the compound's last file."""
        off = 0
        for _ in range(MAX_CHAIN):
            if off + 64 > len(msg) or msg[off : off + 4] != SMB2:
                break
            status, command = _u32(msg, off + 8)[0], _u16(msg, off + 12)[0]
            flags, following, message_id = (
                _u32(msg, off + 16)[0],
                _u32(msg, off + 20)[0],
                _u64(msg, off + 24)[0],
            )
            tree = None if flags & _ASYNC else _u32(msg, off + 36)[0]
            if flags & _FROM_SERVER:
                self._smb2_response(msg, off, command, status, flags, message_id, tree, spans)
            else:
                last = self._smb2_request(msg, off, command, flags, message_id, tree, last, spans)
            if following < 64:
                break
            if off + following >= len(msg):
                return off + following, last
            off += following
        return 0, last

    def _smb2_request(
        self,
        msg: bytes,
        off: int,
        command: int,
        flags: int,
        message_id: int,
        tree: int | None,
        last: _Open | None,
        spans: list[_Span],
    ) -> _Open | None:
        body = off + 64
        related = bool(flags & _RELATED)
        if command == _TREE_CONNECT:
            path_at, path_len = _u16(msg, body + 4)[0], _u16(msg, body + 6)[0]
            path = _text(msg[off + path_at : off + path_at + path_len])
            self._expect(message_id, [(command, path)])
        elif command == _CREATE:
            options = _u32(msg, body + 40)[0]
            name_at, name_len = _u16(msg, body + 44)[0], _u16(msg, body + 46)[0]
            share, disk = self._share(tree)
            if not disk or options & _DIRECTORY_FILE:
                return None
            name = _text(msg[off + name_at : off + name_at + name_len]) if name_len else ""
            created = self._open(name, share, self._smb2_protocol)
            self._expect(message_id, [(command, created)])
            return created
        elif command == _CLOSE:
            file_id = bytes(msg[body + 8 : body + 24])
            open_ = last if related and file_id == _LAST_FILE else self.opens.pop(file_id, None)
            if open_ is not None:
                open_.closing = True
                self._expect(message_id, [(command, open_)])
        elif command in (_READ, _WRITE):
            file_id = bytes(msg[body + 16 : body + 32])
            if related and file_id == _LAST_FILE:
                open_ = last
            else:
                open_ = self._file_of(file_id, tree, self._smb2_protocol)
            if open_ is None:
                return last
            offset = _u64(msg, body + 8)[0]
            if command == _READ:
                self._expect(message_id, [(command, (open_, offset))])
            else:
                start = off + _u16(msg, body + 2)[0]
                end = start + _u32(msg, body + 4)[0]
                spans.append(_Span(start, end, open_.transfer(True), offset))
        return last

    def _smb2_response(
        self,
        msg: bytes,
        off: int,
        command: int,
        status: int,
        flags: int,
        message_id: int,
        tree: int | None,
        spans: list[_Span],
    ) -> None:
        body = off + 64
        if status == _PENDING and flags & _ASYNC:
            return  # an interim answer: the real one follows
        if command == _NEGOTIATE:
            if status == 0 and _u16(msg, body)[0] == 65:
                self.dialect = _u16(msg, body + 4)[0]
            return
        items = self._answered(message_id)
        if not items:
            return
        _, item = items[0]
        if command == _TREE_CONNECT and isinstance(item, str):
            if status == 0 and tree is not None and len(self.trees) < MAX_TREES:
                self.trees[tree] = (item, msg[body + 2] == _SHARE_DISK)
        elif command == _CREATE and isinstance(item, _Open):
            if status != 0 or _u16(msg, body)[0] != 89:
                return  # refused: no file was opened
            item.size = _u64(msg, body + 48)[0]
            if _u32(msg, body + 56)[0] & _DIRECTORY:
                return
            self._register(bytes(msg[body + 64 : body + 80]), item)
        elif command == _READ and isinstance(item, tuple):
            if status not in (0, _BUFFER_OVERFLOW) or _u16(msg, body)[0] != 17:
                return
            open_, offset = item
            start = off + msg[body + 2]
            size = _u32(msg, body + 4)[0]
            spans.append(_Span(start, start + size, open_.transfer(False), offset))
        elif command == _CLOSE and isinstance(item, _Open):
            self.answered_close.append(item)  # reported once the message's data is in

    # --- SMB1 ------------------------------------------------------------------------------

    def _smb1(self, msg: bytes, spans: list[_Span]) -> None:
        command, status = msg[4], _u32(msg, 5)[0]
        reply = bool(msg[9] & 0x80)
        unicode = bool(_u16(msg, 10)[0] & _UNICODE)
        tree = _u16(msg, 24)[0]
        key = ("smb1", _u16(msg, 12)[0], _u16(msg, 26)[0], _u16(msg, 30)[0])  # PID, MID
        asked = self._answered(key) if reply else []
        items: list[tuple[int, object]] = []
        last: _Open | None = None  # the file of the chain's NT_CREATE_ANDX
        off = 32
        for _ in range(MAX_CHAIN):
            if off >= len(msg):
                break
            words = off + 1
            count = msg[off]
            data_at = words + 2 * count + 2
            data_end = min(len(msg), data_at + _u16(msg, words + 2 * count)[0])
            if reply:
                at = next((n for n, (c, _) in enumerate(asked) if c == command), None)
                item = asked.pop(at)[1] if at is not None else None
                self._smb1_response(msg, command, status, tree, count, words, data_at, item, spans)
            else:
                last = self._smb1_request(
                    msg, command, tree, unicode, count, words, data_at, data_end, last, items, spans
                )
            if command not in _ANDX or count < 2:
                break
            following, next_at = msg[words], _u16(msg, words + 2)[0]
            if following == 0xFF or next_at <= off:
                break
            command, off = following, next_at
        if not reply:
            self._expect(key, items)

    def _smb1_request(
        self,
        msg: bytes,
        command: int,
        tree: int,
        unicode: bool,
        count: int,
        words: int,
        data_at: int,
        data_end: int,
        last: _Open | None,
        items: list[tuple[int, object]],
        spans: list[_Span],
    ) -> _Open | None:
        if command == _TREE_CONNECT_ANDX and count == 4:
            password = _u16(msg, words + 6)[0]
            items.append((command, _smb1_string(msg, data_at + password, data_end, unicode)))
        elif command == _NT_CREATE_ANDX and count == 24:
            share, disk = self._share(tree)
            if not disk or _u32(msg, words + 39)[0] & _DIRECTORY_FILE:
                return last
            size = _u16(msg, words + 5)[0]
            start = data_at + (1 if unicode and data_at % 2 else 0)
            name = _text(msg[start : min(data_end, start + size) if size else data_end], unicode)
            created = self._open(name, share, "smb1")
            items.append((command, created))
            return created
        elif command in (_READ_ANDX, _WRITE_ANDX, _CLOSE1):
            fid = _u16(msg, words + (0 if command == _CLOSE1 else 4))[0]
            if command == _CLOSE1:
                open_ = self.opens.pop(fid, None) if count == 3 else None
                open_ = open_ or last
            elif fid not in self.opens and last is not None:
                open_ = last  # chained after the NT_CREATE_ANDX that opens it
            else:
                open_ = self._file_of(fid, tree, "smb1")
            if open_ is None:
                return last
            if command == _CLOSE1 and count == 3:
                open_.closing = True
                items.append((command, open_))
            elif command == _READ_ANDX and count in (10, 12):
                offset = _u32(msg, words + 6)[0]
                if count == 12:
                    offset |= _u32(msg, words + 20)[0] << 32
                items.append((command, (open_, offset)))
            elif command == _WRITE_ANDX and count in (12, 14):
                offset = _u32(msg, words + 6)[0]
                if count == 14:
                    offset |= _u32(msg, words + 24)[0] << 32
                size = _u16(msg, words + 20)[0] | (_u16(msg, words + 18)[0] << 16)
                start = _u16(msg, words + 22)[0]
                spans.append(_Span(start, start + size, open_.transfer(True), offset))
        return last

    def _smb1_response(
        self,
        msg: bytes,
        command: int,
        status: int,
        tree: int,
        count: int,
        words: int,
        data_at: int,
        item: object,
        spans: list[_Span],
    ) -> None:
        if item is None:
            return
        if command == _TREE_CONNECT_ANDX and isinstance(item, str):
            if status == 0 and count >= 2 and len(self.trees) < MAX_TREES:
                service = msg[data_at : data_at + 8].split(b"\x00", 1)[0]
                self.trees[tree] = (item, service not in (b"IPC", b"LPT1:", b"COMM"))
        elif command == _NT_CREATE_ANDX and isinstance(item, _Open):
            if status != 0 or count < 34:
                return
            item.size = _u64(msg, words + 55)[0]
            if msg[words + 67] or _u32(msg, words + 43)[0] & _DIRECTORY:
                return
            self._register(_u16(msg, words + 5)[0], item)
        elif command == _READ_ANDX and isinstance(item, tuple) and count == 12:
            open_, offset = item
            size = _u16(msg, words + 10)[0] | (_u16(msg, words + 14)[0] << 16)
            start = _u16(msg, words + 12)[0]
            spans.append(_Span(start, start + size, open_.transfer(False), offset))
        elif command == _CLOSE1 and isinstance(item, _Open):
            self.answered_close.append(item)  # reported once the message's data is in

    # --- reporting -------------------------------------------------------------------------

    def _report(self, open_: _Open, closed: bool) -> None:
        if self.opens.get(open_.key) is open_:
            del self.opens[open_.key]
        complete = closed and not open_.gapped
        for transfer, direction in ((open_.written, "to_server"), (open_.read, "to_client")):
            if transfer is None:
                continue
            self.waiting += transfer.lose(0) if transfer.waiting else 0
            size = open_.size if direction == "to_client" else 0
            info = transfer.file(open_.name, direction, size, complete)
            if info is None:
                continue
            kept = bytes(transfer.body.kept)
            self.keep_budget = max(0, self.keep_budget - len(kept))
            self.events.append(
                SmbTransaction(
                    flow=self.flow,
                    ts_ms=open_.ts_ms,
                    protocol=open_.protocol,
                    share=open_.share,
                    files=(info,),
                    body=(kept,),
                    complete=info.complete,
                )
            )
        open_.written = open_.read = None

    def _report_all(self) -> None:
        """The flow ends: every file still open, complete only if its CLOSE was sent."""
        seen: set[int] = set()
        files: list[_Open] = list(self.opens.values())
        for items in self.pending.values():
            for _, item in items:
                if isinstance(item, tuple) and item and isinstance(item[0], _Open):
                    item = item[0]
                if isinstance(item, _Open):
                    files.append(item)
        for open_ in files:
            if id(open_) not in seen:
                seen.add(id(open_))
                self._report(open_, open_.closing)
        self.opens, self.pending = {}, {}

    def _take(self) -> list[AppEvent]:
        events, self.events = self.events, []
        return events
