"""The inspection buffers a rule can name, the event each one comes from, and transforms.

Sticky buffers (`http.uri; content:...`) and their legacy content modifiers
(`content:...; http_uri;`) map to one name here. A buffer that the event does not carry (no
User-Agent header, no SNI, no response) is absent: nothing in it matches, not even a negated
content. HTTP buffers come from http_buffers.py; some exist on both sides of a transaction
(`BOTH_SIDES`) and are taken from the side the rule inspects.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from lanward.engine.events import (
    AppEvent,
    DnsQuery,
    HttpTransaction,
    MailTransaction,
    SmbTransaction,
    TlsClientHello,
    TlsServerHello,
)
from lanward.engine.rules import http_buffers as h

# Sticky buffer keyword -> buffer name.
STICKY = {
    "http.uri": "http.uri",
    "http.uri.raw": "http.uri.raw",
    "http.host": "http.host",
    "http.host.raw": "http.host.raw",
    "http.user_agent": "http.user_agent",
    "http.method": "http.method",
    "http.protocol": "http.protocol",
    "http.request_line": "http.request_line",
    "http.start": "http.start",
    "http_start": "http.start",
    "http.request_body": "http.request_body",
    "http.response_body": "http.response_body",
    "http.stat_code": "http.stat_code",
    "http.header": "http.header",
    "http.header_names": "http.header_names",
    "http.cookie": "http.cookie",
    "http.content_type": "http.content_type",
    "http.content_len": "http.content_len",
    "http.connection": "http.connection",
    "http.referer": "http.referer",
    "http.accept": "http.accept",
    "http.accept_enc": "http.accept_enc",
    "http.accept_lang": "http.accept_lang",
    "http.location": "http.location",
    "http.server": "http.server",
    "file.data": "file.data",
    "file_data": "file.data",
    # Suricata 4/5 spellings of the same sticky buffers
    "http_request_line": "http.request_line",
    "http_header_names": "http.header_names",
    "http_content_type": "http.content_type",
    "http_content_len": "http.content_len",
    "http_connection": "http.connection",
    "http_referer": "http.referer",
    "http_accept": "http.accept",
    "http_accept_enc": "http.accept_enc",
    "http_accept_lang": "http.accept_lang",
    "http_protocol": "http.protocol",
    "dns.query": "dns.query",
    "dns_query": "dns.query",
    "tls.sni": "tls.sni",
    "tls_sni": "tls.sni",
    "ja3.hash": "ja3.hash",
    "ja3_hash": "ja3.hash",
    "ja3.string": "ja3.string",
    "ja3_string": "ja3.string",
    "ja3s.hash": "ja3s.hash",
    "ja3s_hash": "ja3s.hash",
    "ja3s.string": "ja3s.string",
    "ja3s_string": "ja3s.string",
    "tls.cert_subject": "tls.cert_subject",
    "tls_cert_subject": "tls.cert_subject",
    "tls.cert_issuer": "tls.cert_issuer",
    "tls_cert_issuer": "tls.cert_issuer",
    "tls.cert_serial": "tls.cert_serial",
    "tls_cert_serial": "tls.cert_serial",
    "tls.cert_fingerprint": "tls.cert_fingerprint",
    "tls_cert_fingerprint": "tls.cert_fingerprint",
    "tls.certs": "tls.certs",
}
# Legacy content modifiers: they move the content just before them into the buffer.
MODIFIERS = {
    "http_uri": "http.uri",
    "http_raw_uri": "http.uri.raw",
    "http_host": "http.host",
    "http_raw_host": "http.host.raw",
    "http_user_agent": "http.user_agent",
    "http_method": "http.method",
    "http_client_body": "http.request_body",
    "http_server_body": "http.response_body",
    "http_stat_code": "http.stat_code",
    "http_header": "http.header",
    "http_cookie": "http.cookie",
}
# Buffers that exist only in a request, only in a response, or on both sides.
# The server's side of a TLS handshake (its hello and certificates).
TLS_SERVER = (
    "ja3s.hash",
    "ja3s.string",
    "tls.cert_subject",
    "tls.cert_issuer",
    "tls.cert_serial",
    "tls.cert_fingerprint",
    "tls.certs",
)
RESPONSE_ONLY = frozenset(
    {"http.stat_code", "http.response_body", "http.location", "http.server", *TLS_SERVER}
)
# Buffers that hold several values (one per certificate of the chain): a rule matches when one
# of them does, as Suricata's multi-buffers.
MULTI = frozenset({"tls.certs"})
BOTH_SIDES = frozenset(
    {
        "http.header",
        "http.header_names",
        "http.cookie",
        "http.content_type",
        "http.content_len",
        "http.connection",
        "http.protocol",
        "file.data",
    }
)

_HTTP: dict[str, h.Extract] = {
    "http.uri": h.uri,
    "http.uri.raw": h.raw_uri,
    "http.host": h.host,
    "http.host.raw": h.host_raw,
    "http.user_agent": h.user_agent,
    "http.method": h.method,
    "http.protocol": h.protocol,
    "http.request_line": h.request_line,
    "http.start": h.start,
    "http.request_body": h.request_body,
    "http.response_body": h.response_body,
    "http.stat_code": h.stat_code,
    "http.header": h.header_buffer,
    "http.header_names": h.header_names,
    "http.cookie": h.cookie,
    "http.content_type": h.side_header("content-type"),
    "http.content_len": h.side_header("content-length"),
    "http.connection": h.side_header("connection"),
    "http.referer": h.request_header("referer"),
    "http.accept": h.request_header("accept"),
    "http.accept_enc": h.request_header("accept-encoding"),
    "http.accept_lang": h.request_header("accept-language"),
    "http.location": h.response_header("location"),
    "http.server": h.response_header("server"),
    "file.data": h.file_data,
}
EVENT_OF_BUFFER = {name: "http" for name in _HTTP}
EVENT_OF_BUFFER.update(
    {"dns.query": "dns", "tls.sni": "tls", "ja3.hash": "tls", "ja3.string": "tls"}
)
# The server's side of the handshake is its own event (it carries the client's hello too).
EVENT_OF_BUFFER.update({name: "tls_server" for name in TLS_SERVER})
EVENT_TYPES: dict[str, type] = {
    "http": HttpTransaction,
    "dns": DnsQuery,
    "tls": TlsClientHello,
    "tls_server": TlsServerHello,
    "mail": MailTransaction,
    "smb": SmbTransaction,
}
# Buffers that other events carry too: file.data is a mail attachment's content, or a file
# copied over SMB, as well as an HTTP body. A tcp/ip rule that inspects only such buffers
# applies to each of these events.
ALSO_IN = {"file.data": ("mail", "smb")}


def _text(value: str) -> bytes | None:
    return value.encode("utf-8", "surrogateescape") if value else None


def extract(name: str, event: AppEvent, to_client: bool) -> bytes | None:
    """The buffer `name` of the event (None when the event does not carry it)."""
    if isinstance(event, HttpTransaction):
        http = _HTTP.get(name)
        return http(event, to_client) if http else None
    if isinstance(event, DnsQuery):
        return _text(event.name) if name == "dns.query" else None
    if isinstance(event, TlsServerHello):
        return _server(name, event)
    if isinstance(event, MailTransaction | SmbTransaction):
        values = _attachments(name, event, to_client)
        return values[0] if values else None
    if isinstance(event, TlsClientHello):
        if name == "tls.sni":
            return _text(event.sni)
        if name == "ja3.hash":
            return _text(event.ja3_hash)
        if name == "ja3.string":
            return _text(event.ja3)
    return None


def extract_all(name: str, event: AppEvent, to_client: bool) -> tuple[bytes, ...] | None:
    """A multi-buffer's values (each certificate of the chain); a single buffer as one value."""
    if name == "tls.certs":
        if not isinstance(event, TlsServerHello) or not event.certificates:
            return None
        return tuple(c.der for c in event.certificates if c.der) or None
    if isinstance(event, MailTransaction | SmbTransaction):
        return _attachments(name, event, to_client)
    value = extract(name, event, to_client)
    return None if value is None else (value,)


def _attachments(
    name: str, event: MailTransaction | SmbTransaction, to_client: bool
) -> tuple[bytes, ...] | None:
    """file.data of a mail or an SMB copy: each file's first bytes (a multi-buffer: Suricata
    inspects file by file), on the side that sent them (SMTP, an SMB write: the client; POP3,
    IMAP, an SMB read: the server)."""
    if name != "file.data":
        return None
    side = "to_client" if to_client else "to_server"
    values = tuple(
        data for data, file in zip(event.body, event.files, strict=False) if file.direction == side
    )
    return values or None


def _server(name: str, event: TlsServerHello) -> bytes | None:
    """The server's buffers; the client's (tls.sni, ja3) from the hello it carries. The cert_*
    buffers are of the server's own certificate, the first of the chain (as Suricata)."""
    if name in ("tls.sni", "ja3.hash", "ja3.string"):
        return extract(name, event.client, False) if event.client is not None else None
    if name == "ja3s.hash":
        return _text(event.ja3s_hash)
    if name == "ja3s.string":
        return _text(event.ja3s)
    if not event.certificates:
        return None
    cert = event.certificates[0]
    value = {
        "tls.cert_subject": cert.subject,
        "tls.cert_issuer": cert.issuer,
        "tls.cert_serial": cert.serial,
        "tls.cert_fingerprint": cert.fingerprint,
    }.get(name, "")
    return _text(value)


# --- transforms (Suricata's keywords that rewrite the sticky buffer before it is inspected) ---


def _url_decode(data: bytes) -> bytes:
    out = bytearray()
    i, n = 0, len(data)
    while i < n:
        c = data[i]
        if c == 0x25 and i + 2 < n:
            try:
                out.append(int(data[i + 1 : i + 3], 16))
                i += 3
                continue
            except ValueError:
                pass
        out.append(0x20 if c == 0x2B else c)
        i += 1
    return bytes(out)


def _compress_whitespace(data: bytes) -> bytes:
    out = bytearray()
    for c in data:
        if c in b" \t\r\n\x0b\x0c":
            if out and out[-1] in b" \t\r\n\x0b\x0c":
                continue
        out.append(c)
    return bytes(out)


TRANSFORMS: dict[str, Callable[[bytes], bytes]] = {
    "dotprefix": lambda b: b"." + b,
    "to_lowercase": bytes.lower,
    "to_uppercase": bytes.upper,
    "strip_whitespace": lambda b: bytes(c for c in b if c not in b" \t\r\n\x0b\x0c"),
    "compress_whitespace": _compress_whitespace,
    "url_decode": _url_decode,
    "to_md5": lambda b: hashlib.md5(b, usedforsecurity=False).digest(),
    "to_sha1": lambda b: hashlib.sha1(b, usedforsecurity=False).digest(),
    "to_sha256": lambda b: hashlib.sha256(b).digest(),
}
