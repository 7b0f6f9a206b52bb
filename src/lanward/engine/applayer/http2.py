"""HTTP/2 in clear text (h2c): the frames of both directions in, one HttpTransaction per stream.

A connection speaks HTTP/2 from its first byte when the client opens with the preface
(`PREFACE`, "prior knowledge"), or from just after a `101 Switching Protocols` that upgraded an
HTTP/1.1 request to h2c: that request is then stream 1, and its answer comes on stream 1
(RFC 7540 3.2; http.py hands it over as `HttpParser.h2c`).

Frames are cut by hyperframe and header blocks (HEADERS or PUSH_PROMISE, then CONTINUATION)
decoded by hpack, one decoder per direction, its table bounded by what the other side's
SETTINGS allow. DATA payloads stream into the stream's bodies (http.py's `Request`, body.py's
`Body`: content coding undone, hashed, the first bytes kept) and are never buffered whole, so a
long frame costs nothing; other frames are buffered up to MAX_FRAME_BUFFER. A stream is reported
when the server ends it, either side resets it, a server's GOAWAY says it was never processed,
more than MAX_OPEN_STREAMS are open (the oldest goes), or the flow ends. A pushed response's
request is its PUSH_PROMISE's.

An observer cannot step over what it did not decode: a header block that does not decode (or is
too large, or is interrupted), a malformed frame or a capture gap outside a body leaves the
HPACK tables or the framing unknown. Then the streams seen so far are reported as they are,
`stopped` says why, and the flow is read no further (`done`).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field

import hpack
from hyperframe.exceptions import HyperframeError
from hyperframe.frame import (
    ContinuationFrame,
    DataFrame,
    Frame,
    GoAwayFrame,
    HeadersFrame,
    PushPromiseFrame,
    RstStreamFrame,
    SettingsFrame,
)

from lanward.engine.applayer.body import Body
from lanward.engine.applayer.http import (
    FLOW_BODY_BUDGET,
    RESPONSE_BODY_KEEP,
    RESPONSE_BODY_KEEP_MIN,
    Headers,
    Request,
    header,
    start_request,
    transaction_events,
)
from lanward.engine.applayer.http1 import MAX_HEADER_BYTES, MAX_HEADER_LINES
from lanward.engine.events import AppEvent, FlowKey

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
VERSION = "HTTP/2"
MAX_OPEN_STREAMS = 100  # past it, the oldest open stream is reported as it is
MAX_FRAME_BUFFER = 256 * 1024  # a frame other than DATA is buffered whole up to this
MAX_HEADER_BLOCK = 256 * 1024  # a header block, HEADERS and CONTINUATIONs together
MAX_HEADER_LIST = 256 * 1024  # decoded (hpack's count, 32 bytes per field more than its text)
MAX_TABLE_SIZE = 64 * 1024  # HPACK dynamic table a SETTINGS may ask for (browsers ask 64 KiB)
HEADER_BUDGET = 2 * 1024 * 1024  # header text the open streams keep in all
HEADER_KEEP_MIN = 4 * 1024  # of one header list once the budget is spent

_HEADER_SIZE = 9
_PREFACE, _HEADER, _PAYLOAD, _PAD_LENGTH, _DATA, _SKIP = range(6)
_BUFFERED = (
    HeadersFrame,
    ContinuationFrame,
    PushPromiseFrame,
    SettingsFrame,
    RstStreamFrame,
    GoAwayFrame,
)
_HEADER_BLOCK = (HeadersFrame, ContinuationFrame, PushPromiseFrame)
_HPACK_ERRORS = (hpack.HPACKError, ValueError, IndexError)


def starts_server_preface(data: bytes) -> bool:
    """Whether bytes a server sent first look like its preface, a SETTINGS frame on stream 0
    (an h2c server may speak before the client's preface arrives)."""
    if len(data) < _HEADER_SIZE:
        return False
    length = int.from_bytes(data[:3], "big")
    return data[3] == 0x04 and data[4] == 0 and data[5:9] == b"\0\0\0\0" and length % 6 == 0


def _text(value: bytes | str) -> str:
    """Header text as the HTTP/1 parser keeps it: each byte one Latin-1 character."""
    return value.decode("latin-1") if isinstance(value, bytes) else value


@dataclass
class _Stream:
    request: Request
    request_ended: bool = False
    status: int = 0
    response_headers: Headers = field(default_factory=list)
    body: Body | None = None  # the final response's, once its headers came
    header_bytes: int = 0  # of the flow's header budget


class _Side:
    """One direction: where its frames are cut, and its HPACK decoder."""

    def __init__(self, client: bool) -> None:
        self.client = client
        self.state = _PREFACE if client else _HEADER
        self.buf = bytearray()
        self.frame: Frame | None = None
        self.length = 0  # of the current frame's payload
        self.left = 0  # bytes of DATA content, or to skip, still to come
        self.pad = 0  # padding after the current DATA content
        self.decoder = hpack.Decoder(MAX_HEADER_LIST)
        self.block: bytearray | None = None  # a header block waiting for its CONTINUATIONs
        self.block_frame: HeadersFrame | PushPromiseFrame | None = None


class Http2Parser:
    def __init__(self, flow: FlowKey, upgraded: Request | None = None) -> None:
        self.flow = flow
        self.events: list[AppEvent] = []
        self.streams: dict[int, _Stream] = {}  # open streams, oldest first
        self.sides = {True: _Side(True), False: _Side(False)}
        self.ts_ms = 0
        self.body_budget = FLOW_BODY_BUDGET
        self.header_budget = HEADER_BUDGET
        self.done = False
        self.handoff: tuple[bytes, bytes] | None = None  # HTTP/2 hands nothing on
        self.stopped = ""  # why the flow is no longer read, when it stopped early
        if upgraded is not None:
            self._upgrade(upgraded)

    # --- the FlowParser's interface ------------------------------------------------------

    def feed(self, to_server: bool, data: bytes, ts_ms: int) -> list[AppEvent]:
        if not self.done and data:
            self.ts_ms = ts_ms
            self._read(self.sides[to_server], data)
        return self._take()

    def gap(self, to_server: bool, size: int, ts_ms: int) -> list[AppEvent]:
        """Bytes not captured: only inside a body (or bytes skipped anyway) can reading go on."""
        side = self.sides[to_server]
        if self.done or size <= 0:
            return self._take()
        self.ts_ms = ts_ms
        if side.state in (_DATA, _SKIP) and size <= side.left and not side.buf:
            if side.state == _DATA:
                stream = self._data_stream(side)
                if stream is not None:
                    self._missed(side, stream, size)
            side.left -= size
            if side.left == 0:
                self._content_end(side)
        else:
            self._stop("a capture gap outside a body")
        return self._take()

    def close(self, ts_ms: int) -> list[AppEvent]:
        self.ts_ms = ts_ms
        if not self.done:
            for stream_id in list(self.streams):
                self._report(stream_id, complete=False)
            self.done = True
        return self._take()

    # --- frames ----------------------------------------------------------------------------

    def _read(self, side: _Side, data: bytes) -> None:
        view = memoryview(data)
        pos, end = 0, len(data)
        while pos < end and not self.done:
            state = side.state
            if state == _DATA or state == _SKIP:
                take = min(side.left, end - pos)
                if state == _DATA:
                    stream = self._data_stream(side)
                    if stream is not None:
                        whole = pos == 0 and take == end  # the common case: no copy
                        self._content(
                            side, stream, data if whole else bytes(view[pos : pos + take])
                        )
                pos += take
                side.left -= take
                if side.left == 0:
                    self._content_end(side)
                continue
            if state == _PREFACE:
                need = len(PREFACE)
            elif state == _HEADER:
                need = _HEADER_SIZE
            elif state == _PAD_LENGTH:
                need = 1
            else:
                need = side.length
            if side.buf or end - pos < need:
                take = min(need - len(side.buf), end - pos)
                side.buf += view[pos : pos + take]
                pos += take
                if len(side.buf) < need:
                    if state == _PREFACE and not PREFACE.startswith(side.buf):
                        self._stop("no client preface")
                    break
                unit = bytes(side.buf)
                side.buf.clear()
            else:
                unit = bytes(view[pos : pos + need])
                pos += need
            if state == _PREFACE:
                if unit != PREFACE:
                    self._stop("no client preface")
                side.state = _HEADER
            elif state == _HEADER:
                self._frame_header(side, unit)
            elif state == _PAD_LENGTH:
                self._pad_length(side, unit[0])
            else:
                self._payload(side, unit)

    def _frame_header(self, side: _Side, raw: bytes) -> None:
        try:
            frame, length = Frame.parse_frame_header(memoryview(raw))
        except HyperframeError:
            self._stop("a malformed frame header")
            return
        if side.block is not None and not (
            isinstance(frame, ContinuationFrame) and frame.stream_id == self._block_stream(side)
        ):
            self._stop("a header block interrupted")
            return
        if side.block is None and isinstance(frame, ContinuationFrame):
            self._stop("a CONTINUATION outside a header block")
            return
        side.frame, side.length = frame, length
        if isinstance(frame, DataFrame):
            if "PADDED" in frame.flags:
                if length == 0:
                    self._stop("a padded DATA frame without its pad length")
                    return
                side.state = _PAD_LENGTH
            else:
                self._start_content(side, _DATA, length, 0)
        elif isinstance(frame, _BUFFERED) and length <= MAX_FRAME_BUFFER:
            side.state = _PAYLOAD
            if length == 0:
                self._payload(side, b"")
        elif isinstance(frame, _HEADER_BLOCK):
            self._stop("a header block frame too large to read")
        else:  # PING, PRIORITY, WINDOW_UPDATE, extensions, an oversized GOAWAY: not needed
            self._start_content(side, _SKIP, length, 0)

    def _pad_length(self, side: _Side, pad: int) -> None:
        content = side.length - 1 - pad
        if content < 0:
            self._stop("DATA padding longer than the frame")
            return
        self._start_content(side, _DATA, content, pad)

    def _start_content(self, side: _Side, state: int, size: int, pad: int) -> None:
        side.state, side.left, side.pad = state, size, pad
        if size == 0:
            self._content_end(side)

    def _content_end(self, side: _Side) -> None:
        """The DATA content, its padding, or a skipped frame is over."""
        if side.state == _DATA and side.pad:
            side.state, side.left, side.pad = _SKIP, side.pad, 0
            return
        frame = side.frame
        side.state, side.frame = _HEADER, None
        if isinstance(frame, DataFrame) and "END_STREAM" in frame.flags:
            self._end_stream(side.client, frame.stream_id)

    def _payload(self, side: _Side, payload: bytes) -> None:
        frame = side.frame
        side.state, side.frame = _HEADER, None
        if frame is None:
            return
        try:
            frame.parse_body(memoryview(payload))
        except HyperframeError:
            self._stop(f"a malformed {type(frame).__name__}")
            return
        if isinstance(frame, (HeadersFrame, PushPromiseFrame)):
            side.block, side.block_frame = bytearray(frame.data), frame
        elif isinstance(frame, ContinuationFrame) and side.block is not None:
            side.block += frame.data
        elif isinstance(frame, SettingsFrame):
            self._settings(side.client, frame.settings)
        elif isinstance(frame, RstStreamFrame):
            self._report(frame.stream_id, complete=False)
        elif isinstance(frame, GoAwayFrame) and not side.client:
            refused = [n for n, s in self.streams.items() if n % 2 and n > frame.last_stream_id]
            for stream_id in refused:
                if self.streams[stream_id].body is None:
                    self._report(stream_id, complete=False)
        if isinstance(frame, _HEADER_BLOCK) and side.block is not None:
            if len(side.block) > MAX_HEADER_BLOCK:
                self._stop("a header block too large to read")
            elif "END_HEADERS" in frame.flags:
                self._header_block(side)

    def _block_stream(self, side: _Side) -> int:
        return side.block_frame.stream_id if side.block_frame is not None else -1

    def _settings(self, from_client: bool, settings: dict[int, int]) -> None:
        """A side's SETTINGS_HEADER_TABLE_SIZE bounds the table the other side encodes with.
        Only ever raised here: an observer cannot tell when a lower one took effect."""
        size = settings.get(SettingsFrame.HEADER_TABLE_SIZE)
        if size is not None:
            decoder = self.sides[not from_client].decoder
            decoder.max_allowed_table_size = max(
                decoder.max_allowed_table_size, min(size, MAX_TABLE_SIZE)
            )

    # --- header blocks ---------------------------------------------------------------------

    def _header_block(self, side: _Side) -> None:
        frame, block = side.block_frame, bytes(side.block or b"")
        side.block, side.block_frame = None, None
        try:
            decoded = side.decoder.decode(block, raw=True)
        except _HPACK_ERRORS:
            self._stop("a header block that does not decode")
            return
        pseudo: dict[str, str] = {}
        headers: Headers = []
        for raw_name, raw_value in decoded:
            name, value = _text(raw_name), _text(raw_value)
            if name.startswith(":"):
                pseudo.setdefault(name, value)
            else:
                headers.append((name, value))
        if isinstance(frame, PushPromiseFrame):
            if not side.client:
                self._promise(frame.promised_stream_id, pseudo, headers)
        elif isinstance(frame, HeadersFrame):
            end_stream = "END_STREAM" in frame.flags
            if side.client:
                self._request_headers(frame.stream_id, pseudo, headers, end_stream)
            else:
                self._response_headers(frame.stream_id, pseudo, headers, end_stream)

    def _kept(self, stream: _Stream, headers: Headers) -> Headers:
        """The headers a stream keeps: at most as many as HTTP/1 keeps, within the budget."""
        limit = max(HEADER_KEEP_MIN, min(MAX_HEADER_BYTES, self.header_budget))
        kept: Headers = []
        size = 0
        for name, value in headers[:MAX_HEADER_LINES]:
            if size + len(name) + len(value) > limit:
                break
            size += len(name) + len(value)
            kept.append((name, value))
        self.header_budget -= size
        stream.header_bytes += size
        return kept

    def _new_request(self, pseudo: dict[str, str], headers: Headers) -> tuple[_Stream, Request]:
        stream = _Stream(Request(self.ts_ms))
        headers = self._kept(stream, headers)
        method = pseudo.get(":method", "")
        uri = pseudo.get(":path") or (pseudo.get(":authority", "") if method == "CONNECT" else "")
        request = start_request(self.ts_ms, method, uri, VERSION, headers)
        request.authority = pseudo.get(":authority", "")
        stream.request = request
        return stream, request

    def _request_headers(
        self, stream_id: int, pseudo: dict[str, str], headers: Headers, end_stream: bool
    ) -> None:
        stream = self.streams.get(stream_id)
        if ":method" in pseudo and (stream is None or not stream.request.method):
            new, request = self._new_request(pseudo, headers)
            if stream is None:
                self._open(stream_id, new)
                stream = new
            else:  # the answer was read first (the capture's order): the request joins it
                stream.request, stream.request_ended = request, False
                stream.header_bytes += new.header_bytes
        if stream is not None and end_stream and not stream.request_ended:
            stream.request_ended = True
            stream.request.end(True)

    def _promise(self, promised_id: int, pseudo: dict[str, str], headers: Headers) -> None:
        if promised_id in self.streams:
            return
        stream, _ = self._new_request(pseudo, headers)
        stream.request_ended = True
        self._open(promised_id, stream)

    def _response_headers(
        self, stream_id: int, pseudo: dict[str, str], headers: Headers, end_stream: bool
    ) -> None:
        stream = self.streams.get(stream_id)
        status_text = pseudo.get(":status", "")
        digits = len(status_text) == 3 and status_text.isascii() and status_text.isdigit()
        status = int(status_text) if digits else 0
        if stream is None and ":status" in pseudo:
            stream = _Stream(Request(self.ts_ms), request_ended=True)  # its request not seen
            self._open(stream_id, stream)
        if stream is None:
            return
        if stream.body is None and ":status" in pseudo and not 100 <= status < 200:
            stream.status = status
            stream.response_headers = self._kept(stream, headers)
            stream.body = Body(RESPONSE_BODY_KEEP, header(headers, "Content-Encoding"))
        if end_stream:
            self._report(stream_id, complete=True)

    # --- streams ---------------------------------------------------------------------------

    def _upgrade(self, request: Request) -> None:
        """An HTTP/1.1 request upgraded to h2c: stream 1, whole already. Its HTTP2-Settings
        header carries the client's first SETTINGS."""
        request.version = VERSION
        self.streams[1] = _Stream(request, request_ended=True)
        value = header(request.headers, "HTTP2-Settings").strip()
        try:
            payload = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
            settings = SettingsFrame(0)
            settings.parse_body(memoryview(payload))
        except (binascii.Error, ValueError, HyperframeError):
            return
        self._settings(True, settings.settings)

    def _open(self, stream_id: int, stream: _Stream) -> None:
        while len(self.streams) >= MAX_OPEN_STREAMS:
            self._report(next(iter(self.streams)), complete=False)
        self.streams[stream_id] = stream

    def _data_stream(self, side: _Side) -> _Stream | None:
        frame = side.frame
        return self.streams.get(frame.stream_id) if frame is not None else None

    def _content(self, side: _Side, stream: _Stream, data: bytes) -> None:
        if side.client:
            if not stream.request_ended:
                stream.request.feed(data)
        elif stream.body is not None:
            # The flow's budget for kept response bytes (http.py's), shared by the streams
            # as their bytes come: what one keeps is taken from it as it is kept.
            body = stream.body
            before = len(body.kept)
            if self.body_budget < RESPONSE_BODY_KEEP and before < body.keep:
                body.keep = max(RESPONSE_BODY_KEEP_MIN, before + self.body_budget)
            body.feed(data)
            self.body_budget = max(0, self.body_budget - (len(body.kept) - before))

    def _missed(self, side: _Side, stream: _Stream, size: int) -> None:
        if side.client:
            if not stream.request_ended:
                stream.request.missed(size)
        elif stream.body is not None:
            stream.body.missed(size)

    def _end_stream(self, from_client: bool, stream_id: int) -> None:
        stream = self.streams.get(stream_id)
        if stream is None:
            return
        if not from_client:
            self._report(stream_id, complete=True)
        elif not stream.request_ended:
            stream.request_ended = True
            stream.request.end(True)

    def _report(self, stream_id: int, complete: bool) -> None:
        stream = self.streams.pop(stream_id, None)
        if stream is None:
            return
        if not stream.request_ended:
            stream.request.end(False)  # answered, reset or cut before the client finished
        body = stream.body
        if body is not None and not complete:
            body.complete = False
        self.header_budget += stream.header_bytes
        self.events += transaction_events(
            self.flow, stream.request, stream.status, stream.response_headers, body
        )

    def _stop(self, why: str) -> None:
        """The framing or the HPACK state is lost: report what was seen, read no further."""
        for stream_id in list(self.streams):
            self._report(stream_id, complete=False)
        self.stopped = why
        self.done = True

    def _take(self) -> list[AppEvent]:
        events, self.events = self.events, []
        return events
