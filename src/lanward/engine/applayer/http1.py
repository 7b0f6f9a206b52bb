"""HTTP/1.x message framing for one direction of a connection, as a passive observer sees it.

Written here rather than taken from httptools (llhttp) or h11: those are endpoint parsers.
llhttp cannot be told that a response answers a HEAD request, cannot end a body at connection
close, and stops for good at the first malformed byte; h11 needs its own side to answer before
it reads the next pipelined request. An observer must follow both sides, tolerate what real
servers send (bare LF, odd Content-Length), step over capture gaps, and resync on the next
message start. This reader splits a byte stream into start line, headers and body (chunked,
Content-Length or until close) and leaves meaning to `http.py`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

MAX_HEADER_BYTES = 64 * 1024
MAX_HEADER_LINES = 256
MAX_CHUNK_LINE = 1024
MAX_BUFFERED = 64 * 1024  # kept while a message is paused (CONNECT waiting for its answer)
RESYNC_TAIL = 512

Headers = list[tuple[str, str]]

# What the headers callback answers: how the body is delimited.
NONE, LENGTH, CHUNKED, UNTIL_CLOSE, TUNNEL, PAUSE = range(6)

_START, _HEADERS, _BODY, _CHUNK_SIZE, _CHUNK_DATA, _CHUNK_END, _TRAILERS = range(7)
_CLOSE_BODY, _RESYNC, _PAUSED, _DONE = range(7, 11)

_REQUEST_START = re.compile(rb"[A-Za-z][A-Za-z0-9_.!#$%&'*+^`|~-]{0,31}[ \t]")
_RESPONSE_START = re.compile(rb"HTTP/\d")
_TOKEN = re.compile(rb"[A-Za-z][A-Za-z0-9_.!#$%&'*+^`|~-]*")
# A request line as servers and libhtp accept it: the method, then the URI, which may hold
# spaces ("GET /a b HTTP/1.1"), up to the last " HTTP/x.y"; runs of spaces or tabs between.
REQUEST_LINE = re.compile(rb"[A-Z][A-Z_-]{2,19}[ \t]+[^\s][^\r\n]*?[ \t]HTTP/\d\.\d[ \t]*\r?\n")
_REQUEST_RESYNC = re.compile(rb"(?:^|\n)" + REQUEST_LINE.pattern)
_RESPONSE_RESYNC = re.compile(rb"(?:^|\n)HTTP/\d\.\d \d{3}[^\n]*\n")
_CHUNK_DIGITS = re.compile(rb"[ \t]*([0-9A-Fa-f]+)")
_BLANKS = re.compile(r"[ \t]+")


class Reader:
    """Feed bytes with `feed`; the callbacks hear the messages.

    `on_headers(start_line, headers)` returns (framing, length); `on_body(data)`,
    `on_missed(size)` (a capture gap inside a body) and `on_end(complete)` follow.
    """

    def __init__(
        self,
        response: bool,
        on_headers: Callable[[str, Headers], tuple[int, int]],
        on_body: Callable[[bytes], None],
        on_missed: Callable[[int], None],
        on_end: Callable[[bool], None],
    ) -> None:
        self.response = response
        self.on_headers, self.on_body = on_headers, on_body
        self.on_missed, self.on_end = on_missed, on_end
        self.buf = bytearray()
        self.state = _START
        self.remaining = 0
        self.scan_from = 0
        self.in_message = False

    @property
    def tunnel(self) -> bool:
        return self.state == _DONE

    @property
    def paused(self) -> bool:
        return self.state == _PAUSED

    def resume(self) -> None:
        """The paused message's answer came and it was no tunnel: read on."""
        if self.state == _PAUSED:
            self.state = _START
            self._run()

    def stop(self) -> bytes:
        """The connection became a tunnel: hand back what was read but not parsed."""
        rest = bytes(self.buf)
        self.buf.clear()
        self.state = _DONE
        return rest

    def feed(self, data: bytes) -> None:
        if self.state == _DONE:
            return
        if self.state == _PAUSED:
            if len(self.buf) < MAX_BUFFERED:
                self.buf += data[: MAX_BUFFERED - len(self.buf)]
            return
        if not self.buf and self.state in (_BODY, _CHUNK_DATA, _CLOSE_BODY):
            data = self._body_direct(data)  # the common case: no copy into the buffer
            if not data:
                return
        self.buf += data
        self._run()

    def gap(self, size: int) -> None:
        """`size` bytes of this direction were not captured."""
        if self.state in (_BODY, _CHUNK_DATA) and size <= self.remaining and not self.buf:
            self.remaining -= size
            self.on_missed(size)
            if self.state == _BODY and self.remaining == 0:
                self._end(True)
            elif self.state == _CHUNK_DATA and self.remaining == 0:
                self.state = _CHUNK_END
            return
        if self.state == _CLOSE_BODY:
            self.on_missed(size)
            return
        if self.state in (_DONE, _PAUSED):
            return
        if self.in_message:
            self._end(False)
        self.buf.clear()
        self.state = _RESYNC

    def close(self) -> None:
        """The connection ended. Headers it cut before their blank line still count (libhtp
        too reads them so: a server may close right after its last header line)."""
        if self.state == _HEADERS and self.buf.strip():
            self._headers(bytes(self.buf).rstrip(b"\r\n"))
            self.buf.clear()
        if self.state == _CLOSE_BODY:
            self._end(True)
        elif self.in_message:
            self._end(False)
        self.state = _DONE

    # --- internals ------------------------------------------------------------------------

    def _body_direct(self, data: bytes) -> bytes:
        if self.state == _CLOSE_BODY:
            self.on_body(data)
            return b""
        take = min(self.remaining, len(data))
        if take:
            self.on_body(data[:take] if take < len(data) else data)
            self.remaining -= take
        if self.remaining == 0:
            if self.state == _BODY:
                self._end(True)
            else:
                self.state = _CHUNK_END
        return data[take:]

    def _end(self, complete: bool) -> None:
        self.in_message = False
        if self.state not in (_DONE, _PAUSED):
            self.state = _START
        self.on_end(complete)

    def _run(self) -> None:
        pos = 0
        buf = self.buf
        while pos < len(buf) and self.state not in (_DONE, _PAUSED):
            state = self.state
            if state == _START:
                while pos < len(buf) and buf[pos] in b"\r\n \t":
                    pos += 1
                if pos >= len(buf):
                    break
                verdict = self._looks_like_start(bytes(buf[pos : pos + 40]))
                if verdict is None:
                    break  # too short to tell yet
                if not verdict:
                    self.state = _RESYNC
                    continue
                self.state, self.scan_from = _HEADERS, pos
            elif state == _HEADERS:
                end, size = _header_end(buf, max(pos, self.scan_from - 3))
                if end < 0:
                    if len(buf) - pos > MAX_HEADER_BYTES:
                        self.state = _RESYNC
                        continue
                    self.scan_from = len(buf)
                    break
                block = bytes(buf[pos:end])
                pos = end + size
                self._headers(block)
            elif state == _BODY or state == _CHUNK_DATA:
                take = min(self.remaining, len(buf) - pos)
                if take:
                    self.on_body(bytes(buf[pos : pos + take]))
                    pos += take
                    self.remaining -= take
                if self.remaining == 0:
                    if state == _BODY:
                        self._end(True)
                    else:
                        self.state = _CHUNK_END
            elif state == _CLOSE_BODY:
                self.on_body(bytes(buf[pos:]))
                pos = len(buf)
            elif state == _CHUNK_SIZE:
                nl = buf.find(b"\n", pos, pos + MAX_CHUNK_LINE)
                if nl < 0:
                    if len(buf) - pos >= MAX_CHUNK_LINE:
                        self._broken()
                        continue
                    break
                chunk = _chunk_size(bytes(buf[pos:nl]))
                pos = nl + 1
                if chunk is None:
                    self._broken()
                elif chunk == 0:
                    self.state = _TRAILERS
                else:
                    self.state, self.remaining = _CHUNK_DATA, chunk
            elif state == _CHUNK_END:
                if buf[pos] == 0x0D:
                    if pos + 1 >= len(buf):
                        break
                    pos += 2 if buf[pos + 1] == 0x0A else 1
                elif buf[pos] == 0x0A:
                    pos += 1
                self.state = _CHUNK_SIZE
            elif state == _TRAILERS:
                nl = buf.find(b"\n", pos, pos + MAX_HEADER_BYTES)
                if nl < 0:
                    if len(buf) - pos >= MAX_HEADER_BYTES:
                        self._end(True)
                        self.state = _RESYNC
                        continue
                    break
                line = bytes(buf[pos:nl]).strip()
                pos = nl + 1
                if not line:
                    self._end(True)
            elif state == _RESYNC:
                pattern = _RESPONSE_RESYNC if self.response else _REQUEST_RESYNC
                match = pattern.search(buf, pos)
                if match is None:
                    pos = max(pos, len(buf) - RESYNC_TAIL)
                    break
                pos = match.start() + (1 if buf[match.start()] == 0x0A else 0)
                self.state = _START
        del buf[:pos]
        self.scan_from = max(0, self.scan_from - pos)

    def _looks_like_start(self, head: bytes) -> bool | None:
        if self.response:
            if len(head) < 6:
                return None if b"HTTP/1"[: len(head)] == head else False
            return _RESPONSE_START.match(head) is not None
        if _REQUEST_START.match(head):
            return True
        if len(head) < 33 and _TOKEN.fullmatch(head):
            return None
        return False

    def _broken(self) -> None:
        self._end(False)
        self.state = _RESYNC

    def _headers(self, block: bytes) -> None:
        lines = block.split(b"\n", MAX_HEADER_LINES)[:MAX_HEADER_LINES]
        start = lines[0].rstrip(b"\r").decode("latin-1").strip()
        headers: Headers = []
        for raw in lines[1:]:
            line = raw.rstrip(b"\r").decode("latin-1")
            if line[:1] in (" ", "\t") and headers:  # an obsolete folded continuation
                name, value = headers[-1]
                headers[-1] = (name, f"{value} {line.strip()}")
                continue
            name, colon, value = line.partition(":")
            if colon and name.strip():
                headers.append((name.strip(), value.strip()))
        self.in_message = True
        framing, length = self.on_headers(start, headers)
        if framing == LENGTH and length > 0:
            self.state, self.remaining = _BODY, length
        elif framing == CHUNKED:
            self.state = _CHUNK_SIZE
        elif framing == UNTIL_CLOSE:
            self.state = _CLOSE_BODY
        elif framing == TUNNEL:
            self.state = _DONE
            self.in_message = False
            self.on_end(True)
        elif framing == PAUSE:
            self._end(True)
            self.state = _PAUSED
        else:
            self._end(True)


def request_line(line: str) -> tuple[str, str, str]:
    """(method, URI, version) of a request line, split as libhtp splits it.

    Runs of spaces or tabs separate the parts; the URI runs to the last " HTTP/" and may hold
    spaces itself ("GET /a b HTTP/1.1" asks for "/a b"). Without a version (HTTP/0.9, or junk
    after it) the rest of the line is the URI.
    """
    parts = _BLANKS.split(line.strip(" \t\r\n"), maxsplit=1)
    method, rest = parts[0], parts[1] if len(parts) > 1 else ""
    upper = rest.upper()
    at = max(upper.rfind(" HTTP/"), upper.rfind("\tHTTP/"))
    version = rest[at + 1 :] if at >= 0 else ""
    if not version or _BLANKS.search(version):
        return method, rest, ""
    return method, rest[:at].rstrip(" \t"), version


def _header_end(buf: bytearray, start: int) -> tuple[int, int]:
    """Where the header block ends (the offset of its blank line) and the terminator's size."""
    best, size = -1, 0
    for terminator in (b"\r\n\r\n", b"\n\n", b"\n\r\n"):
        at = buf.find(terminator, start)
        if at >= 0 and (best < 0 or at < best):
            best, size = at, len(terminator)
    return best, size


def _chunk_size(line: bytes) -> int | None:
    """The size on a chunk-size line: its leading hex digits, as libhtp reads it.

    What follows the digits (an extension, or junk such as `fx`, `f,`, `f x`) is ignored,
    as servers and libhtp ignore it; a line without digits, or too many, breaks the framing.
    """
    match = _CHUNK_DIGITS.match(line)
    if match is None or len(match.group(1)) > 16:
        return None
    return int(match.group(1), 16)
