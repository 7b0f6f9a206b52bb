"""The HTTP buffers of one transaction, as Suricata builds them from libhtp's view of it.

A header buffer (http.header, http.content_type...) is the request's in a rule that inspects
the request and the response's in one that inspects the response (flow:to_client). The event
keeps the text of header lines as Latin-1 (how the HTTP parser decodes them), so `_wire` gives
back the bytes that were sent.
"""

from __future__ import annotations

from collections.abc import Callable

from lanward.engine.events import HttpTransaction
from lanward.engine.rules.uri import normalize_uri

Headers = tuple[tuple[str, str], ...]
Extract = Callable[[HttpTransaction, bool], bytes | None]  # (event, to_client) -> buffer


def _wire(value: str) -> bytes:
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogateescape")


def merged_headers(headers: Headers) -> list[tuple[str, str]]:
    """Repeated headers folded into the first, values joined with ', ' (as libhtp does)."""
    out: list[tuple[str, str]] = []
    where: dict[str, int] = {}
    for name, value in headers:
        key = name.lower()
        if key in where:
            first_name, first_value = out[where[key]]
            out[where[key]] = (first_name, f"{first_value}, {value.strip()}")
        else:
            where[key] = len(out)
            out.append((name, value.strip()))
    return out


def header_value(headers: Headers, name: str) -> bytes | None:
    for key, value in merged_headers(headers):
        if key.lower() == name:
            return _wire(value)
    return None


def _side(event: HttpTransaction, to_client: bool) -> Headers:
    return event.response_headers if to_client else event.request_headers


def header_buffer(event: HttpTransaction, to_client: bool) -> bytes | None:
    """http.header: 'Name: value\\r\\n' per header, Cookie (Set-Cookie) left out."""
    headers = _side(event, to_client)
    if not headers:
        return None
    skip = "set-cookie" if to_client else "cookie"
    return b"".join(
        _wire(f"{name}: {value}\r\n")
        for name, value in merged_headers(headers)
        if name.lower() != skip
    )


def header_names(event: HttpTransaction, to_client: bool) -> bytes | None:
    """http.header_names: '\\r\\n' + each name + '\\r\\n', then a closing '\\r\\n'."""
    headers = _side(event, to_client)
    if not headers:
        return None
    names = b"".join(_wire(name) + b"\r\n" for name, _ in merged_headers(headers))
    return b"\r\n" + names + b"\r\n"


def side_header(name: str) -> Extract:
    def extract(event: HttpTransaction, to_client: bool) -> bytes | None:
        return header_value(_side(event, to_client), name)

    return extract


def request_header(name: str) -> Extract:
    def extract(event: HttpTransaction, to_client: bool) -> bytes | None:
        return header_value(event.request_headers, name)

    return extract


def response_header(name: str) -> Extract:
    def extract(event: HttpTransaction, to_client: bool) -> bytes | None:
        return header_value(event.response_headers, name) if event.status else None

    return extract


def cookie(event: HttpTransaction, to_client: bool) -> bytes | None:
    return header_value(_side(event, to_client), "set-cookie" if to_client else "cookie")


def host(event: HttpTransaction, to_client: bool) -> bytes | None:
    return _wire(event.host.lower().rstrip(".")) if event.host else None


def host_raw(event: HttpTransaction, to_client: bool) -> bytes | None:
    value = header_value(event.request_headers, "host")
    if value is None and event.host:
        return _wire(event.host)
    return value


def user_agent(event: HttpTransaction, to_client: bool) -> bytes | None:
    value = header_value(event.request_headers, "user-agent")
    if value is None and not event.request_headers and event.user_agent:
        return _wire(event.user_agent)
    return value


def raw_uri(event: HttpTransaction, to_client: bool) -> bytes | None:
    return _wire(event.uri) if event.uri else None


def uri(event: HttpTransaction, to_client: bool) -> bytes | None:
    return normalize_uri(_wire(event.uri)) if event.uri else None


def method(event: HttpTransaction, to_client: bool) -> bytes | None:
    return _wire(event.method) if event.method else None


def protocol(event: HttpTransaction, to_client: bool) -> bytes | None:
    return _wire(event.version) if event.version else None


def request_line(event: HttpTransaction, to_client: bool) -> bytes | None:
    if not event.method:
        return None
    parts = [event.method, event.uri] + ([event.version] if event.version else [])
    return _wire(" ".join(parts))


def start(event: HttpTransaction, to_client: bool) -> bytes | None:
    """http.start (request side): the request line and every header line as sent, unmerged
    and with Cookie, then the blank line that ends them."""
    line = request_line(event, to_client)
    if line is None:
        return None
    headers = b"".join(_wire(f"{name}: {value}\r\n") for name, value in event.request_headers)
    return line + b"\r\n" + headers + b"\r\n"


def request_body(event: HttpTransaction, to_client: bool) -> bytes | None:
    return event.request_body or None


def response_body(event: HttpTransaction, to_client: bool) -> bytes | None:
    return event.response_body or None


def file_data(event: HttpTransaction, to_client: bool) -> bytes | None:
    return (event.response_body if to_client else event.request_body) or None


def stat_code(event: HttpTransaction, to_client: bool) -> bytes | None:
    return str(event.status).encode() if event.status else None
