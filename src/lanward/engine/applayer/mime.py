"""A mail message (RFC 5322 with MIME) as it streams past: its attachments decoded and hashed.

`Message` takes the bytes of one message as it is stored (after SMTP's dot-unstuffing), in
chunks of any size, and follows its MIME structure line by line: nested multiparts,
message/rfc822, base64 and quoted-printable. Each attachment (a part with a file name, or a
part that is not text) streams through a `body.Body`: hashed whole, its first bytes kept.
Text parts, preambles and epilogues are passed over. Header parameters are read by the email
package (RFC 2231 continuations, RFC 2047 words).

Lenient where Suricata's MIME decoder is, so both see the same files: a header line without a
colon continues the header before it, and base64 skips characters outside its alphabet and
accepts padding mid-stream ("NA=", "=Mg", "==" decodes to "42"). Bounded: header bytes, parts,
nesting, line length and message size. Past a bound the rest is not decoded and what was cut
is marked incomplete. No input makes it raise.
"""

from __future__ import annotations

import binascii
import re
from email.errors import MessageError
from email.header import decode_header, make_header
from email.message import Message as _Headers
from email.utils import getaddresses, parseaddr

from lanward.engine.applayer.body import Body
from lanward.engine.events import FileInfo

FILE_KEEP = 100 * 1024  # of each attachment, kept for rules (as Suricata's content-limit)
FILE_KEEP_MIN = 8 * 1024  # once the budget is spent
MAX_MESSAGE_BYTES = 64 * 1024 * 1024  # past this, the message is not decoded any further
MAX_HEADER_BYTES = 32 * 1024  # per header block
MAX_HEADERS = 128  # per header block
MAX_PARTS = 256
MAX_FILES = 32
MAX_DEPTH = 8  # multiparts inside each other
MAX_LINE = 16 * 1024  # a longer line is handed on in pieces
MAX_TEXT = 998  # characters of a header value kept (RFC 5322's line limit)
MAX_ADDRESSES = 64

_HEADERS, _BODY, _SKIP = 0, 1, 2
_HEADER_NAME = re.compile(rb"[!-9;-~]+[ \t]*:")
_B64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
_NOT_B64 = bytes(c for c in range(256) if c not in _B64)
_TEXT_TYPES = ("text", "multipart", "message")


class Base64:
    """base64 as mail readers decode it: characters outside the alphabet are skipped, and each
    4-character group is decoded on its own when padding shows up in the middle."""

    def __init__(self) -> None:
        self.pending = b""

    def feed(self, data: bytes) -> bytes:
        data = self.pending + data.translate(None, _NOT_B64)
        end = len(data) - len(data) % 4
        self.pending = data[end:]
        pad = data.find(b"=", 0, end)
        if pad < 0:
            return binascii.a2b_base64(data[:end])
        clean = pad - pad % 4
        out = bytearray(binascii.a2b_base64(data[:clean]))
        for start in range(clean, end, 4):
            out += _quantum(data[start : start + 4])
        return bytes(out)

    def end(self) -> bytes:
        """The last group, when its padding was left off."""
        rest, self.pending = self.pending, b""
        return _quantum(rest)


def _quantum(group: bytes) -> bytes:
    letters = group.replace(b"=", b"")
    if len(letters) < 2:
        return b""
    return binascii.a2b_base64(letters + b"=" * (-len(letters) % 4))


def _qp_line(content: bytes) -> tuple[bytes, bool]:
    """One quoted-printable line decoded, and whether its line break is kept (no soft break)."""
    stripped = content.rstrip(b" \t")
    soft = stripped.endswith(b"=")
    return binascii.a2b_qp(stripped[:-1] if soft else stripped), not soft


def text(value: str) -> str:
    """A header value as a person reads it: RFC 2047 words decoded, one line, bounded."""
    if "=?" in value:
        try:
            value = str(make_header(decode_header(value)))
        except (ValueError, LookupError, TypeError, IndexError, MessageError):
            pass
    return " ".join(value.split())[:MAX_TEXT]


class _Part:
    """A leaf part being decoded into a file."""

    def __init__(self, name: str, content_type: str, encoding: str, keep: int) -> None:
        self.name = name
        self.content_type = content_type
        self.body = Body(keep)
        self.base64 = Base64() if encoding == "base64" else None
        self.qp = encoding == "quoted-printable"
        self.eol = b""  # the last line break, handed on only if more of the part follows


class Message:
    """One message. `feed` its bytes, `missed` what the capture lost, `end` it once."""

    def __init__(self, direction: str, keep_budget: int = 1024 * 1024) -> None:
        self.direction = direction
        self.budget = keep_budget
        self.size = 0
        self.headers: list[tuple[str, str]] = []  # the message's own header block
        self.files: list[FileInfo] = []
        self.kept: list[bytes] = []  # the first bytes of each file, as `files`
        self.complete = True  # False: bytes were lost, or a bound cut the decoding short
        self.ended = False
        self._buf = bytearray()
        self._line_start = True
        self._state = _HEADERS
        self._block: list[list[bytes]] = []  # the header block being read: [name, value...]
        self._block_bytes = 0
        self._top = True  # the header block being read is the message's own
        self._boundaries: list[bytes] = []
        self._parts = 0
        self._part: _Part | None = None
        self._stopped = False

    # --- input -----------------------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        if self.ended or not data:
            return
        self.size += len(data)
        if self._stopped:
            return
        if self.size > MAX_MESSAGE_BYTES:
            self._stop()
            return
        buf = self._buf
        buf += data
        pos = 0
        while pos < len(buf) and not self._stopped:
            if self._state != _HEADERS and (not self._line_start or buf[pos : pos + 2] != b"--"):
                block_end = self._block_end(buf, pos)
                if block_end > pos:
                    self._content(bytes(buf[pos:block_end]))
                    pos = block_end
                    self._line_start = True
                    continue
            nl = buf.find(b"\n", pos)
            if nl < 0:
                if len(buf) - pos > MAX_LINE:
                    self._line(bytes(buf[pos:]), b"")
                    pos = len(buf)
                break
            cut = nl - 1 if nl > pos and buf[nl - 1] == 0x0D else nl
            self._line(bytes(buf[pos:cut]), bytes(buf[cut : nl + 1]))
            pos = nl + 1
        del buf[:pos]

    def missed(self, size: int) -> None:
        """`size` bytes of the message were not captured."""
        if self.ended:
            return
        self.size += size
        self.complete = False
        if self._buf:
            self._line(bytes(self._buf), b"")
            self._buf.clear()
        self._line_start = False
        if self._part is not None:
            self._part.body.missed(size if self._part.base64 is None else size * 3 // 4)

    def end(self, complete: bool) -> None:
        """The message ended (complete: its whole transfer was seen)."""
        if self.ended:
            return
        if self._buf and not self._stopped:
            self._line(bytes(self._buf), b"")
        self._buf.clear()
        if self._state == _HEADERS and self._block and not self._stopped:
            self._open_part()
        self.complete = self.complete and complete
        part = self._part
        if part is not None and not self._boundaries and not part.base64:
            part.body.feed(part.eol)  # a single-part body keeps its last line break
        self._close_part(self.complete)
        self.ended = True

    # --- what the headers say --------------------------------------------------------------

    def header(self, name: str) -> str:
        """The first value of the message header `name` (any case), decoded, or ''."""
        lower = name.lower()
        return next((text(v) for k, v in self.headers if k.lower() == lower), "")

    def addresses(self, *names: str) -> list[str]:
        """The addresses in these headers (From, To, Cc...), in order, bounded."""
        values = [v for k, v in self.headers if k.lower() in {n.lower() for n in names}]
        try:
            pairs = getaddresses(values)
        except (ValueError, TypeError, IndexError):
            pairs = [parseaddr(v) for v in values]
        return [addr[:256] for _, addr in pairs if addr][:MAX_ADDRESSES]

    # --- lines -----------------------------------------------------------------------------

    def _block_end(self, buf: bytearray, pos: int) -> int:
        """Where a run of whole lines that a part's decoder can take at once ends: before the
        next line that may be a boundary. `pos` when there is none (read line by line)."""
        if self._state == _BODY and self._part is not None and self._part.qp:
            return pos
        if not self._boundaries:
            last = buf.rfind(b"\n", pos)
            return last + 1 if last >= 0 else pos
        dash = buf.find(b"\n--", pos)
        if dash >= 0:
            return dash + 1
        last = buf.rfind(b"\n", pos)
        return last + 1 if last >= 0 else pos

    def _content(self, block: bytes) -> None:
        """Whole lines of a part body (or of what is passed over)."""
        part = self._part
        if self._state != _BODY or part is None:
            return
        if part.base64 is not None:
            part.body.feed(part.base64.feed(block))
            return
        cut = len(block) - (2 if block.endswith(b"\r\n") else 1)
        part.body.feed(part.eol + block[:cut])
        part.eol = block[cut:]

    def _line(self, content: bytes, eol: bytes) -> None:
        starting, self._line_start = self._line_start, eol != b""
        if starting and content[:2] == b"--" and self._boundaries and self._boundary(content):
            return
        if self._state == _HEADERS:
            self._header_line(content, eol, starting)
        elif self._state == _BODY and self._part is not None:
            part = self._part
            if part.base64 is not None:
                part.body.feed(part.base64.feed(content))
            elif part.qp:
                decoded, hard = _qp_line(content)
                part.body.feed(part.eol + decoded)
                part.eol = b"\r\n" if hard and eol else b""
            else:
                part.body.feed(part.eol + content)
                part.eol = eol

    def _boundary(self, line: bytes) -> bool:
        for depth in range(len(self._boundaries) - 1, -1, -1):
            boundary = self._boundaries[depth]
            if not line.startswith(boundary, 2):
                continue
            rest = line[2 + len(boundary) :]
            closing = rest.startswith(b"--")
            if rest.strip() and not closing:
                continue
            self._close_part(self.complete)
            if closing:
                del self._boundaries[depth:]
                self._state = _SKIP  # the epilogue: passed over until the outer boundary
                return True
            del self._boundaries[depth + 1 :]
            self._parts += 1
            if self._parts > MAX_PARTS:
                self._stop()
            else:
                self._state, self._block, self._block_bytes = _HEADERS, [], 0
            return True
        return False

    def _header_line(self, content: bytes, eol: bytes, starting: bool) -> None:
        if not starting or (content[:1] in (b" ", b"\t") and self._block):
            self._add_header(None, content)
        elif not content and eol:
            self._open_part()
        elif _HEADER_NAME.match(content):
            name, _, value = content.partition(b":")
            self._add_header(name.strip(), value.lstrip())
        elif self._block:
            self._add_header(None, b" " + content)  # no colon: continues the header (Suricata)
        else:  # no header block at all: the body starts at once
            self._open_part()
            self._line_start = True
            self._line(content, eol)

    def _add_header(self, name: bytes | None, value: bytes) -> None:
        size = len(value) + (len(name) if name is not None else 0)
        if self._block_bytes + size > MAX_HEADER_BYTES:
            return
        if name is not None:
            if len(self._block) >= MAX_HEADERS:
                return
            self._block.append([name, value])
        elif self._block:
            self._block[-1].append(value)
        self._block_bytes += size

    # --- parts -----------------------------------------------------------------------------

    def _open_part(self) -> None:
        """The header block ended: what the part is, and how its body is read."""
        headers = [(_str(name), _str(b"".join(values)).strip()) for name, *values in self._block]
        self._block, self._block_bytes = [], 0
        if self._top:
            self.headers, self._top = headers, False
        fields = _Headers()
        for name, value in headers:
            if name.lower() in ("content-type", "content-disposition", "content-transfer-encoding"):
                fields[name] = value
        self._state = _SKIP
        try:
            content_type = fields.get_content_type()
            encoding = str(fields.get("Content-Transfer-Encoding", "")).strip().lower()
            if content_type.startswith("multipart/"):
                boundary = fields.get_boundary()
                if boundary and len(self._boundaries) < MAX_DEPTH:
                    self._boundaries.append(boundary.encode("utf-8", "surrogateescape")[:256])
                return
            if content_type == "message/rfc822" and encoding not in ("base64", "quoted-printable"):
                self._state = _HEADERS  # the enclosed message's own headers follow
                return
            name = str(fields.get_filename("") or "")
        except (ValueError, LookupError, TypeError, IndexError, AttributeError, MessageError):
            return
        if not name and content_type.partition("/")[0] in _TEXT_TYPES:
            return
        if len(self.files) >= MAX_FILES:
            self.complete = False
            return
        keep = max(FILE_KEEP_MIN, min(FILE_KEEP, self.budget))
        name = text(name).replace("\\", "/").rsplit("/", 1)[-1][:255]
        self._part = _Part(name, fields.get("Content-Type", "") or "", encoding, keep)
        self._state = _BODY

    def _close_part(self, complete: bool) -> None:
        part, self._part = self._part, None
        if part is None:
            return
        if part.base64 is not None:
            part.body.feed(part.base64.end())
        part.body.complete = part.body.complete and complete
        info = part.body.file(part.name, text(part.content_type), self.direction)
        if info is not None:
            self.files.append(info)
            self.kept.append(bytes(part.body.kept))
            self.budget = max(0, self.budget - len(part.body.kept))

    def _stop(self) -> None:
        """A bound was reached: the part being read is cut, and nothing more is decoded."""
        self.complete = False
        self._close_part(False)
        self._stopped = True
        self._state = _SKIP
        self._buf.clear()


def _str(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")
