"""HTTP/1.x transactions: requests paired with their responses, bodies decoded and hashed.

Both directions are read by `http1.Reader`; requests queue up (pipelining, keep-alive) and
each response takes the oldest. A transaction is reported when its response ends, or at the
end of the flow (then without a response, or with its body marked incomplete). Sign-ins in the
request (Basic/Digest headers, login form fields) are reported beside it, with the answer's
verdict where the status tells it. `start_request` and `transaction_events` are shared with
the HTTP/2 parser (http2.py), which takes over a connection upgraded to h2c (`h2c`).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import multipart

from lanward.engine.applayer import creds, http1
from lanward.engine.applayer.body import Body, file_name
from lanward.engine.events import AppEvent, CredentialSeen, FileInfo, FlowKey, HttpTransaction

REQUEST_BODY_KEEP = 8 * 1024
# Of a response body, this much is kept for inspection (Suricata's default response-body-limit);
# the hashes cover all of it. A flow's responses keep at most FLOW_BODY_BUDGET in all (the
# events wait on the flow until it ends), then only RESPONSE_BODY_KEEP_MIN each.
RESPONSE_BODY_KEEP = 100 * 1024
RESPONSE_BODY_KEEP_MIN = 8 * 1024
FLOW_BODY_BUDGET = 1024 * 1024
FORM_SCAN_BYTES = 16 * 1024  # of a urlencoded body, read for login fields
MAX_PENDING = 32  # requests waiting for a response; past it the oldest is reported without one
MAX_UPLOADS = 16
MAX_FORM_PARTS = 64
MAX_PART_VALUE = 1024

Headers = list[tuple[str, str]]


@dataclass
class Request:
    ts_ms: int
    method: str = ""
    uri: str = ""
    version: str = ""
    headers: Headers = field(default_factory=list)
    body: Body = field(default_factory=lambda: Body(REQUEST_BODY_KEEP, hash_file=False))
    form: bytearray | None = None
    fields: list[tuple[str, str]] = field(default_factory=list)
    parts: _Uploads | None = None
    authority: str = ""  # HTTP/2's :authority, which names the host before any Host header

    def feed(self, data: bytes) -> None:
        """Bytes of the body (after transfer decoding)."""
        self.body.feed(data)
        if self.form is not None and len(self.form) < FORM_SCAN_BYTES:
            self.form += data[: FORM_SCAN_BYTES - len(self.form)]
        if self.parts is not None:
            self.parts.feed(data)

    def missed(self, size: int) -> None:
        self.body.missed(size)
        if self.parts is not None:
            self.parts.stop()

    def end(self, complete: bool) -> None:
        if self.parts is not None:
            if complete:
                self.parts.feed(b"")  # end of input: closes the last part
            self.parts.stop()
        if not complete:
            self.body.complete = False


def start_request(ts_ms: int, method: str, uri: str, version: str, headers: Headers) -> Request:
    """A request whose body is read as its headers say: decoded, kept, scanned for sign-ins
    (urlencoded or multipart forms), hashed as a file when it is an upload (PUT)."""
    request = Request(ts_ms, method, uri, version, headers)
    content_type = header(headers, "Content-Type").lower()
    encoding = header(headers, "Content-Encoding")
    if encoding:  # a compressed request body is inspected inflated, as Suricata does
        request.body = Body(REQUEST_BODY_KEEP, encoding, hash_file=False)
    if method.upper() == "PUT":
        request.body = Body(REQUEST_BODY_KEEP, encoding)
    elif "x-www-form-urlencoded" in content_type:
        request.form = bytearray()
    elif "multipart/form-data" in content_type:
        boundary = multipart.parse_options_header(header(headers, "Content-Type"))[1].get(
            "boundary", ""
        )
        try:
            request.parts = _Uploads(boundary) if boundary else None
        except multipart.MultipartError:
            request.parts = None
    return request


def transaction_events(
    flow: FlowKey, request: Request, status: int, response_headers: Headers, body: Body | None
) -> list[AppEvent]:
    """The HttpTransaction of a request and, when `body` is not None, its response; then the
    sign-ins it carried."""
    has_response = body is not None
    status = status if has_response else 0
    file = None
    if body is not None:
        file = body.file(
            file_name(header(response_headers, "Content-Disposition"), request.uri),
            header(response_headers, "Content-Type"),
            "to_client",
        )
    uploads: list[FileInfo] = []
    if request.parts is not None:
        uploads.extend(request.parts.files)
    if request.method.upper() == "PUT":
        put = request.body.file(file_name("", request.uri), "", "to_server")
        if put is not None:
            uploads.append(put)
    events: list[AppEvent] = [
        HttpTransaction(
            flow=flow,
            ts_ms=request.ts_ms,
            method=request.method,
            uri=request.uri,
            version=request.version,
            host=request_host(request.headers, request.uri, request.authority),
            user_agent=header(request.headers, "User-Agent"),
            request_headers=tuple(request.headers),
            request_body=bytes(request.body.kept),
            status=status,
            response_headers=tuple(response_headers) if has_response else (),
            response_body=bytes(body.kept) if body is not None else b"",
            file=file,
            uploads=tuple(uploads),
        )
    ]
    events += _credentials(flow, request, status if has_response else None)
    return events


def _credentials(flow: FlowKey, request: Request, status: int | None) -> list[AppEvent]:
    found: list[tuple[str, str, str]] = []
    for name in ("Authorization", "Proxy-Authorization"):
        value = header(request.headers, name)
        seen = creds.authorization(value) if value else None
        if seen is not None:
            found.append((seen[0], seen[1], f"{name} header"))
    if request.form is not None:
        user = creds.form_login(creds.form_fields(request.form.decode("latin-1")))
        if user is not None:
            found.append(("http-form", user, f"{request.method} form body"))
    if request.parts is not None and request.parts.fields:
        user = creds.form_login(request.parts.fields)
        if user is not None:
            found.append(("http-form", user, f"{request.method} multipart form"))
    if "?" in request.uri:
        user = creds.form_login(creds.form_fields(request.uri.split("?", 1)[1]))
        if user is not None:
            found.append(("http-form", user, "URI query"))
    events: list[AppEvent] = []
    for protocol, user, detail in found:
        success = None
        if status and protocol in ("http-basic", "http-digest"):
            refused = 407 if detail.startswith("Proxy") else 401
            success = status != refused if status < 500 else None
        events.append(CredentialSeen(flow, request.ts_ms, protocol, user, detail, success))
    return events


class _Uploads:
    """The file parts of a multipart/form-data body, hashed as they stream; small fields kept."""

    def __init__(self, boundary: str) -> None:
        self.parser = multipart.PushMultipartParser(boundary, max_header_count=16)
        self.files: list[FileInfo] = []
        self.fields: list[tuple[str, str]] = []
        self.part: multipart.MultipartSegment | None = None
        self.body: Body | None = None
        self.value = bytearray()

    def feed(self, data: bytes) -> None:
        if self.parser is None:
            return
        try:
            for event in self.parser.parse(data):
                if isinstance(event, multipart.MultipartSegment):
                    self.part, self.value = event, bytearray()
                    self.body = Body(0) if event.filename is not None else None
                elif isinstance(event, (bytes, bytearray)):
                    if self.body is not None:
                        self.body.feed(bytes(event))
                    elif len(self.value) < MAX_PART_VALUE:
                        self.value += event[: MAX_PART_VALUE - len(self.value)]
                elif self.part is not None:
                    self._part_end(True)
        except multipart.MultipartError:
            self.stop()

    def _part_end(self, complete: bool) -> None:
        part = self.part
        if part is None:
            return
        if self.body is not None:
            self.body.complete = self.body.complete and complete
            info = self.body.file(part.filename or "", part.content_type or "", "to_server")
            if info is not None and len(self.files) < MAX_UPLOADS:
                self.files.append(info)
        elif len(self.fields) < MAX_FORM_PARTS and part.name:
            self.fields.append((part.name, self.value.decode("utf-8", "replace")))
        self.part, self.body = None, None

    def stop(self) -> None:
        self._part_end(False)
        self.parser = None  # type: ignore[assignment]


def header(headers: Headers, name: str) -> str:
    """The first value of the header `name` (any case), or ''."""
    lower = name.lower()
    for key, value in headers:
        if key.lower() == lower:
            return value
    return ""


def _framing(headers: Headers) -> tuple[int, int]:
    if "chunked" in header(headers, "Transfer-Encoding").lower():
        return http1.CHUNKED, 0
    length = header(headers, "Content-Length").split(",")[0].strip()
    if length.isdigit():
        return http1.LENGTH, int(length)
    return -1, 0


def _to_h2c(request_headers: Headers, response_headers: Headers) -> bool:
    """A 101 that switches to HTTP/2 in clear text (RFC 7540 3.2): the request offered h2c and
    the answer names it (or names nothing, when h2c was all that was offered)."""
    offered = [t.strip().lower() for t in header(request_headers, "Upgrade").split(",")]
    chosen = header(response_headers, "Upgrade").strip().lower()
    return "h2c" in offered and (chosen == "h2c" or (not chosen and offered == ["h2c"]))


def request_host(headers: Headers, uri: str, authority: str = "") -> str:
    """The host a request is for, lower case, without port or trailing dot: HTTP/2's
    :authority, else the Host header, else the host of an absolute URI."""
    host = (authority.rsplit("@", 1)[-1] or header(headers, "Host")).strip()
    if not host and "://" in uri:
        try:
            host = urlsplit(uri).netloc.rsplit("@", 1)[-1]
        except ValueError:
            host = ""
    if host.startswith("["):
        return host[1:].split("]", 1)[0].lower()
    name, colon, port = host.rpartition(":")
    if colon and (port.isdigit() or not port) and ":" not in name:
        host = name
    return host.lower().rstrip(".")


class HttpParser:
    def __init__(self, flow: FlowKey) -> None:
        self.flow = flow
        self.events: list[AppEvent] = []
        self.pending: deque[Request] = deque()
        self.request: Request | None = None  # the request being read
        self.answering: Request | None = None  # the request the response being read answers
        self.status = 0
        self.response_headers: Headers = []
        self.response_body: Body | None = None
        self.ts_ms = 0
        self.body_budget = FLOW_BODY_BUDGET  # response body bytes this flow may still keep
        self.done = False
        self.tunnel = False
        self.h2c: Request | None = None  # the request a 101 answered with an upgrade to h2c
        self.handoff: tuple[bytes, bytes] | None = None
        self.requests = http1.Reader(
            False,
            self._request_headers,
            self._request_body,
            self._request_missed,
            self._request_end,
        )
        self.responses = http1.Reader(
            True,
            self._response_headers,
            self._response_body,
            self._response_missed,
            self._response_end,
        )

    # --- the FlowParser's interface ------------------------------------------------------

    def feed(self, to_server: bool, data: bytes, ts_ms: int) -> list[AppEvent]:
        self.ts_ms = ts_ms
        (self.requests if to_server else self.responses).feed(data)
        self._check_tunnel()
        return self._take()

    def gap(self, to_server: bool, size: int, ts_ms: int) -> list[AppEvent]:
        self.ts_ms = ts_ms
        (self.requests if to_server else self.responses).gap(size)
        return self._take()

    def close(self, ts_ms: int) -> list[AppEvent]:
        self.ts_ms = ts_ms
        self.requests.close()
        self.responses.close()
        while self.pending:
            self._report(self.pending.popleft(), None)
        self.done = True
        return self._take()

    # --- requests --------------------------------------------------------------------------

    def _request_headers(self, start: str, headers: Headers) -> tuple[int, int]:
        method, uri, version = http1.request_line(start)
        request = start_request(self.ts_ms, method, uri, version, headers)
        self.request = request
        self.pending.append(request)
        if len(self.pending) > MAX_PENDING:
            self._report(self.pending.popleft(), None)
        if method.upper() == "CONNECT":
            return http1.PAUSE, 0
        framing, length = _framing(headers)
        return (framing, length) if framing >= 0 else (http1.NONE, 0)

    def _request_body(self, data: bytes) -> None:
        if self.request is not None:
            self.request.feed(data)

    def _request_missed(self, size: int) -> None:
        if self.request is not None:
            self.request.missed(size)

    def _request_end(self, complete: bool) -> None:
        if self.request is not None:
            self.request.end(complete)
        self.request = None

    # --- responses -------------------------------------------------------------------------

    def _response_headers(self, start: str, headers: Headers) -> tuple[int, int]:
        parts = start.split(" ", 2)
        code = parts[1][:3] if len(parts) > 1 else ""
        status = int(code) if code.isascii() and code.isdigit() else 0  # "200x", "2²0" too
        request = self.pending[0] if self.pending else None
        method = request.method.upper() if request is not None else ""
        if 100 <= status < 200 and status != 101:
            self.answering = None
            return http1.NONE, 0  # an interim answer; the final one follows
        if request is not None:
            self.pending.popleft()
        self.answering = request or Request(self.ts_ms)
        self.status, self.response_headers = status, headers
        keep = max(RESPONSE_BODY_KEEP_MIN, min(RESPONSE_BODY_KEEP, self.body_budget))
        self.response_body = Body(keep, header(headers, "Content-Encoding"))
        if status == 101 or (method == "CONNECT" and 200 <= status < 300):
            self.tunnel = True
            if status == 101 and request is not None and _to_h2c(request.headers, headers):
                self.h2c = request
            return http1.TUNNEL, 0
        if method == "CONNECT":
            self.requests.resume()
        if method == "HEAD" or status in (204, 304):
            return http1.NONE, 0
        framing, length = _framing(headers)
        return (framing, length) if framing >= 0 else (http1.UNTIL_CLOSE, 0)

    def _response_body(self, data: bytes) -> None:
        if self.response_body is not None:
            self.response_body.feed(data)

    def _response_missed(self, size: int) -> None:
        if self.response_body is not None:
            self.response_body.missed(size)

    def _response_end(self, complete: bool) -> None:
        request = self.answering
        if request is None:
            return
        body = self.response_body
        if body is not None and not complete:
            body.complete = False
        if request is not self.h2c:  # an upgraded request is HTTP/2's stream 1: reported there
            self._report(request, body)
        self.answering, self.response_body = None, None

    def _check_tunnel(self) -> None:
        if self.tunnel and self.responses.tunnel:
            self.handoff = (self.requests.stop(), self.responses.stop())
            self.done = True

    # --- reporting -------------------------------------------------------------------------

    def _report(self, request: Request, body: Body | None) -> None:
        if body is not None:
            self.body_budget = max(0, self.body_budget - len(body.kept))
        status = self.status if body is not None else 0
        self.events += transaction_events(self.flow, request, status, self.response_headers, body)

    def _take(self) -> list[AppEvent]:
        events, self.events = self.events, []
        return events
