"""The TLS ClientHello: server name, offered versions, ALPN and the JA3 fingerprint.

The hello may be cut into several records and those into several segments; the handshake
bytes are gathered up to `MAX_HELLO`. JA3 (github.com/salesforce/ja3) is
"version,ciphers,extensions,groups,point formats", each list dash-joined in decimal in the
order sent, GREASE values (RFC 8701) left out, and its MD5. A legacy SSLv2-format hello has
no extensions; it is reported with its version and no JA3, as ja3 and nDPI do.
Written with struct: the ja3/pyja3 packages are unmaintained and parse whole pcaps.
"""

from __future__ import annotations

import hashlib
import struct

from lanward.engine.events import AppEvent, FlowKey, TlsClientHello

MAX_HELLO = 64 * 1024
MAX_RECORD = (1 << 14) + 2048

VERSIONS = {
    0x0002: "SSL 2.0",
    0x0200: "SSL 2.0",
    0x0300: "SSL 3.0",
    0x0301: "TLS 1.0",
    0x0302: "TLS 1.1",
    0x0303: "TLS 1.2",
    0x0304: "TLS 1.3",
}

_SERVER_NAME, _GROUPS, _POINT_FORMATS, _ALPN, _SUPPORTED_VERSIONS = 0, 10, 11, 16, 43


def is_grease(value: int) -> bool:
    return (value & 0x0F0F) == 0x0A0A and (value >> 8) == (value & 0xFF)


def looks_like_hello(head: bytes) -> bool | None:
    """True/False when the client's first bytes are/aren't a TLS or SSLv2 hello; None: wait."""
    if not head:
        return None
    if head[0] == 0x16:
        if len(head) < 6:
            return None
        return head[1] == 3 and head[2] <= 4 and head[5] == 1
    if head[0] & 0x80:
        if len(head) < 5:
            return None
        return head[2] == 1 and head[3:5] in (
            b"\x00\x02",
            b"\x03\x00",
            b"\x03\x01",
            b"\x03\x02",
            b"\x03\x03",
        )
    return False


def version_name(value: int) -> str:
    return VERSIONS.get(value, f"0x{value:04x}")


class TlsParser:
    """Reads the client's side until its ClientHello is complete; ignores the server."""

    def __init__(self, flow: FlowKey) -> None:
        self.flow = flow
        self.buf = bytearray()
        self.handshake = bytearray()
        self.done = False
        self.handoff: tuple[bytes, bytes] | None = None

    def feed(self, to_server: bool, data: bytes, ts_ms: int) -> list[AppEvent]:
        if not to_server or self.done:
            return []
        self.buf += data
        if self.buf[:1] != b"\x16" and self.buf and self.buf[0] & 0x80:
            return self._sslv2(ts_ms)
        while len(self.buf) >= 5:
            kind, _major, _minor, length = struct.unpack_from("!BBBH", self.buf)
            if kind != 0x16 or length > MAX_RECORD:
                self.done = True
                return []
            if len(self.buf) < 5 + length:
                break
            self.handshake += self.buf[5 : 5 + length]
            del self.buf[: 5 + length]
            if len(self.handshake) >= 4:
                if self.handshake[0] != 1:
                    self.done = True
                    return []
                size = int.from_bytes(self.handshake[1:4], "big")
                if size > MAX_HELLO:
                    self.done = True
                    return []
                if len(self.handshake) >= 4 + size:
                    self.done = True
                    hello = client_hello(self.flow, ts_ms, bytes(self.handshake[4 : 4 + size]))
                    return [hello] if hello is not None else []
        if len(self.buf) + len(self.handshake) > MAX_HELLO + MAX_RECORD:
            self.done = True
        return []

    def _sslv2(self, ts_ms: int) -> list[AppEvent]:
        if len(self.buf) < 2:
            return []
        length = ((self.buf[0] & 0x7F) << 8) | self.buf[1]
        if len(self.buf) < 2 + length:
            return [] if length <= MAX_RECORD else self._give_up()
        self.done = True
        body = bytes(self.buf[2 : 2 + length])
        if len(body) < 9 or body[0] != 1:
            return []
        version = int.from_bytes(body[1:3], "big")
        return [TlsClientHello(self.flow, ts_ms, version=version_name(version))]

    def _give_up(self) -> list[AppEvent]:
        self.done = True
        return []

    def gap(self, to_server: bool, size: int, ts_ms: int) -> list[AppEvent]:
        if to_server:
            self.done = True
        return []

    def close(self, ts_ms: int) -> list[AppEvent]:
        self.done = True
        return []


def client_hello(flow: FlowKey, ts_ms: int, body: bytes) -> TlsClientHello | None:
    """The ClientHello handshake body (after type and length), or None when it is malformed."""
    try:
        return _client_hello(flow, ts_ms, body)
    except (struct.error, IndexError, ValueError):
        return None


def _u16_list(data: bytes) -> list[int]:
    return [v for (v,) in struct.iter_unpack("!H", data[: len(data) // 2 * 2])]


def _client_hello(flow: FlowKey, ts_ms: int, body: bytes) -> TlsClientHello | None:
    legacy_version = struct.unpack_from("!H", body, 0)[0]
    pos = 2 + 32
    pos += 1 + body[pos]  # session id
    cipher_len = struct.unpack_from("!H", body, pos)[0]
    ciphers = _u16_list(body[pos + 2 : pos + 2 + cipher_len])
    pos += 2 + cipher_len
    if pos >= len(body):
        return None
    pos += 1 + body[pos]  # compression methods
    extensions: list[int] = []
    groups: list[int] = []
    point_formats: list[int] = []
    sni = ""
    alpn: list[str] = []
    highest = legacy_version
    if pos + 2 <= len(body):
        end = min(len(body), pos + 2 + struct.unpack_from("!H", body, pos)[0])
        pos += 2
        while pos + 4 <= end:
            kind, size = struct.unpack_from("!HH", body, pos)
            data = body[pos + 4 : pos + 4 + size]
            pos += 4 + size
            extensions.append(kind)
            if kind == _SERVER_NAME and len(data) >= 5 and data[2] == 0:
                name_len = struct.unpack_from("!H", data, 3)[0]
                sni = data[5 : 5 + name_len].decode("utf-8", "replace")
            elif kind == _GROUPS and len(data) >= 2:
                groups = _u16_list(data[2 : 2 + struct.unpack_from("!H", data)[0]])
            elif kind == _POINT_FORMATS and data:
                point_formats = list(data[1 : 1 + data[0]])
            elif kind == _ALPN and len(data) >= 2:
                alpn = _alpn(data[2 : 2 + struct.unpack_from("!H", data)[0]])
            elif kind == _SUPPORTED_VERSIONS and data:
                offered = [v for v in _u16_list(data[1 : 1 + data[0]]) if not is_grease(v)]
                if offered:
                    highest = max(offered)
    ja3 = ",".join(
        (
            str(legacy_version),
            "-".join(str(c) for c in ciphers if not is_grease(c)),
            "-".join(str(e) for e in extensions if not is_grease(e)),
            "-".join(str(g) for g in groups if not is_grease(g)),
            "-".join(str(p) for p in point_formats),
        )
    )
    return TlsClientHello(
        flow=flow,
        ts_ms=ts_ms,
        sni=sni,
        version=version_name(highest),
        ja3=ja3,
        ja3_hash=hashlib.md5(ja3.encode(), usedforsecurity=False).hexdigest(),
        alpn=tuple(alpn),
    )


def _alpn(data: bytes) -> list[str]:
    out: list[str] = []
    pos = 0
    while pos < len(data) and len(out) < 16:
        size = data[pos]
        out.append(data[pos + 1 : pos + 1 + size].decode("ascii", "replace"))
        pos += 1 + size
    return out
