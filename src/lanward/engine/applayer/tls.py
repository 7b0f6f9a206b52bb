"""The TLS handshake while it is in clear: the client's hello and the server's answer.

ClientHello: server name, offered versions, ALPN and the JA3 fingerprint. The hello may be cut
into several records and those into several segments; the handshake bytes are gathered up to
`MAX_HELLO`. JA3 (github.com/salesforce/ja3) is "version,ciphers,extensions,groups,point
formats", each list dash-joined in decimal in the order sent, GREASE values (RFC 8701) left out,
and its MD5. A legacy SSLv2-format hello has no extensions; it is reported with its version and
no JA3, as ja3 and nDPI do.

ServerHello and Certificate: the chosen version (supported_versions for TLS 1.3), cipher, ALPN,
JA3S ("version,cipher,extensions" and its MD5) and, up to TLS 1.2, the certificate chain. The
certificates are read with `cryptography`'s X.509 parser (never by hand); the records and
handshake framing around them with struct: the ja3/pyja3 packages are unmaintained and parse
whole pcaps."""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import struct
import warnings
from typing import Any

from cryptography import x509
from cryptography.utils import CryptographyDeprecationWarning
from pyasn1.codec.der import decoder as der_decoder
from pyasn1.type import char
from pyasn1_modules import rfc5280

from lanward.engine.events import (
    AppEvent,
    FlowKey,
    TlsCertificate,
    TlsClientHello,
    TlsServerHello,
)

MAX_HELLO = 64 * 1024
MAX_RECORD = (1 << 14) + 2048
MAX_CHAIN = 128 * 1024  # the server's Certificate message; past it, no certificates
MAX_CERTIFICATES = 10
MAX_DER_KEPT = 16 * 1024  # of a chain's certificates, for tls.certs rules
MAX_NAMES = 100  # subjectAltName DNS names kept per certificate

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


class _Records:
    """One direction's TLS records -> its handshake messages (type, body), in clear only.

    `closed` turns True at the first record that is not a handshake (ChangeCipherSpec, alert,
    application data: from there on the handshake is encrypted or over) or at anything
    malformed or over the bounds.
    """

    def __init__(self, max_message: int) -> None:
        self.buf = bytearray()
        self.handshake = bytearray()
        self.max_message = max_message
        self.closed = False

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        if self.closed:
            return []
        self.buf += data
        out: list[tuple[int, bytes]] = []
        while len(self.buf) >= 5 and not self.closed:
            kind, major, _minor, length = struct.unpack_from("!BBBH", self.buf)
            if kind != 0x16 or major != 3 or length > MAX_RECORD:
                self.closed = True
                break
            if len(self.buf) < 5 + length:
                break
            self.handshake += self.buf[5 : 5 + length]
            del self.buf[: 5 + length]
            while len(self.handshake) >= 4:
                size = int.from_bytes(self.handshake[1:4], "big")
                if size > self.max_message:
                    self.closed = True
                    break
                if len(self.handshake) < 4 + size:
                    break
                out.append((self.handshake[0], bytes(self.handshake[4 : 4 + size])))
                del self.handshake[: 4 + size]
        if len(self.buf) > MAX_RECORD + 5 or len(self.handshake) > self.max_message + 4:
            self.closed = True
        return out


class TlsParser:
    """Both sides of the handshake, while it is in clear: the client's hello (reported as soon
    as it is complete), then the server's hello and certificates (reported when the server's
    clear part ends: its ServerHelloDone, a ChangeCipherSpec or encrypted record, TLS 1.3 being
    chosen, a gap, or the flow's end)."""

    def __init__(self, flow: FlowKey) -> None:
        self.flow = flow
        self.client = _Records(MAX_HELLO)
        self.server = _Records(MAX_CHAIN)
        self.hello: TlsClientHello | None = None
        self.client_done = False
        self.server_done = False
        self.server_hello: dict[str, object] | None = None
        self.certificates: list[TlsCertificate] = []
        self.done = False
        self.handoff: tuple[bytes, bytes] | None = None

    def feed(self, to_server: bool, data: bytes, ts_ms: int) -> list[AppEvent]:
        if self.done:
            return []
        if to_server:
            out = self._client(data, ts_ms)
        else:
            out = self._server(data, ts_ms)
        self.done = self.client_done and self.server_done
        return out

    def _client(self, data: bytes, ts_ms: int) -> list[AppEvent]:
        if self.client_done:
            return []
        first = self.client.buf[:1] or data[:1]
        if first and first[0] != 0x16 and first[0] & 0x80:
            self.client.buf += data
            return self._sslv2(ts_ms)
        for kind, body in self.client.feed(data):
            self.client_done = True
            if kind != 1:
                self.server_done = True  # not a TLS client: nothing more to read
                return []
            self.hello = client_hello(self.flow, ts_ms, body)
            return [self.hello] if self.hello is not None else []
        if self.client.closed:
            self.client_done = True
        return []

    def _server(self, data: bytes, ts_ms: int) -> list[AppEvent]:
        if self.server_done:
            return []
        for kind, body in self.server.feed(data):
            if self.server_hello is None:
                if kind != 2:
                    return self._server_end(ts_ms)
                self.server_hello = server_hello(body)
                if self.server_hello is None or self.server_hello["version"] == 0x0304:
                    return self._server_end(ts_ms)  # TLS 1.3: the rest is encrypted
            elif kind == 11 and not self.certificates:
                self.certificates = certificates(body)
            elif kind == 14:
                return self._server_end(ts_ms)
        if self.server.closed:
            return self._server_end(ts_ms)
        return []

    def _server_end(self, ts_ms: int) -> list[AppEvent]:
        self.server_done = True
        self.done = self.client_done
        hello = self.server_hello
        if hello is None:
            return []
        version = int(str(hello["version"]))
        return [
            TlsServerHello(
                flow=self.flow,
                ts_ms=ts_ms,
                version=version_name(version),
                cipher=int(str(hello["cipher"])),
                ja3s=str(hello["ja3s"]),
                ja3s_hash=hashlib.md5(
                    str(hello["ja3s"]).encode(), usedforsecurity=False
                ).hexdigest(),
                alpn=str(hello["alpn"]),
                certificates=tuple(self.certificates),
                client=self.hello,
            )
        ]

    def _sslv2(self, ts_ms: int) -> list[AppEvent]:
        buf = self.client.buf
        if len(buf) < 2:
            return []
        length = ((buf[0] & 0x7F) << 8) | buf[1]
        if len(buf) < 2 + length:
            if length > MAX_RECORD:
                self.client_done = self.server_done = self.done = True
            return []
        # An SSLv2 hello: no TLS server side worth reading follows.
        self.client_done = self.server_done = self.done = True
        body = bytes(buf[2 : 2 + length])
        if len(body) < 9 or body[0] != 1:
            return []
        version = int.from_bytes(body[1:3], "big")
        self.hello = TlsClientHello(self.flow, ts_ms, version=version_name(version))
        return [self.hello]

    def gap(self, to_server: bool, size: int, ts_ms: int) -> list[AppEvent]:
        if to_server:
            self.client_done = True
            self.done = self.server_done
            return []
        out = [] if self.server_done else self._server_end(ts_ms)
        self.done = self.client_done
        return out

    def close(self, ts_ms: int) -> list[AppEvent]:
        out = [] if self.server_done or self.done else self._server_end(ts_ms)
        self.done = True
        return out


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
    for kind, data in _extensions(body, pos):
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


def _extensions(body: bytes, pos: int) -> list[tuple[int, bytes]]:
    """A hello's extensions (type, data) from `pos`, where their 2-byte total length is."""
    out: list[tuple[int, bytes]] = []
    if pos + 2 > len(body):
        return out
    end = min(len(body), pos + 2 + struct.unpack_from("!H", body, pos)[0])
    pos += 2
    while pos + 4 <= end:
        kind, size = struct.unpack_from("!HH", body, pos)
        out.append((kind, body[pos + 4 : pos + 4 + size]))
        pos += 4 + size
    return out


def _alpn(data: bytes) -> list[str]:
    out: list[str] = []
    pos = 0
    while pos < len(data) and len(out) < 16:
        size = data[pos]
        out.append(data[pos + 1 : pos + 1 + size].decode("ascii", "replace"))
        pos += 1 + size
    return out


def server_hello(body: bytes) -> dict[str, object] | None:
    """The ServerHello's chosen version, cipher, ALPN and JA3S string; None when malformed."""
    try:
        (legacy_version,) = struct.unpack_from("!H", body, 0)
        pos = 2 + 32
        pos += 1 + body[pos]  # session id
        (cipher,) = struct.unpack_from("!H", body, pos)
        pos += 3  # cipher, compression method
        extensions: list[int] = []
        version = legacy_version
        alpn = ""
        for kind, data in _extensions(body, pos):
            extensions.append(kind)
            if kind == _SUPPORTED_VERSIONS and len(data) == 2:
                version = struct.unpack_from("!H", data)[0]
            elif kind == _ALPN and len(data) >= 3:
                picked = _alpn(data[2 : 2 + struct.unpack_from("!H", data)[0]])
                alpn = picked[0] if picked else ""
    except (struct.error, IndexError):
        return None
    ja3s = ",".join(
        (
            str(legacy_version),
            str(cipher),
            "-".join(str(e) for e in extensions if not is_grease(e)),
        )
    )
    return {"version": version, "cipher": cipher, "alpn": alpn, "ja3s": ja3s}


def certificates(body: bytes) -> list[TlsCertificate]:
    """The chain of a Certificate message (TLS 1.0-1.2), the first MAX_CERTIFICATES of it.
    A certificate the X.509 reader refuses is kept with its bytes and fingerprint only. The
    events wait on their flow until it ends, so a chain keeps at most MAX_DER_KEPT bytes of DER
    (the server's own certificate first); past that a certificate keeps its fields only."""
    out: list[TlsCertificate] = []
    if len(body) < 3:
        return out
    end = min(len(body), 3 + int.from_bytes(body[0:3], "big"))
    pos = 3
    kept = 0
    while pos + 3 <= end and len(out) < MAX_CERTIFICATES:
        size = int.from_bytes(body[pos : pos + 3], "big")
        der = body[pos + 3 : pos + 3 + size]
        pos += 3 + size
        if len(der) != size or not der:
            break
        cert = certificate(der)
        if kept + size > MAX_DER_KEPT and out:
            cert = dataclasses.replace(cert, der=b"")
        else:
            kept += size
        out.append(cert)
    return out


# Attribute names as Suricata (x509-parser) writes them; others by cryptography's RFC 4514 name.
_ATTRIBUTE_NAMES = {
    "2.5.4.3": "CN",
    "2.5.4.5": "serialNumber",
    "2.5.4.6": "C",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "2.5.4.9": "STREET",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "1.2.840.113549.1.9.1": "emailAddress",
    "0.9.2342.19200300.100.1.25": "DC",
    "0.9.2342.19200300.100.1.1": "UID",
}


def _name(name: x509.Name) -> str:
    parts = []
    for rdn in name.rdns:
        for attribute in rdn:
            oid = attribute.oid.dotted_string
            label = _ATTRIBUTE_NAMES.get(oid) or attribute.rfc4514_attribute_name
            value = attribute.value
            text = value if isinstance(value, str) else value.hex()
            parts.append(f"{label}={text}")
    return ", ".join(parts)


def _serial(number: int) -> str:
    size = max(1, (number.bit_length() + 8) // 8)  # DER: a leading zero keeps it positive
    raw = number.to_bytes(size, "big", signed=True)
    return ":".join(f"{b:02X}" for b in raw)


def certificate(der: bytes) -> TlsCertificate:
    fingerprint = ":".join(f"{b:02x}" for b in hashlib.sha1(der, usedforsecurity=False).digest())
    try:
        with warnings.catch_warnings():  # a server's odd serial is its business, not a warning
            warnings.simplefilter("ignore", CryptographyDeprecationWarning)
            cert = x509.load_der_x509_certificate(der)
            subject, issuer = _name(cert.subject), _name(cert.issuer)
            serial = _serial(cert.serial_number)
            not_before = int(cert.not_valid_before_utc.timestamp() * 1000)
            not_after = int(cert.not_valid_after_utc.timestamp() * 1000)
    except Exception:  # noqa: BLE001 - ValueError, InvalidVersion...: any refusal of the bytes
        # cryptography refuses names that break their string type's rules (a NUL inside a
        # PrintableString: the classic trick to fool name checks); those are the ones that
        # must still be seen. pyasn1 reads the DER without judging the strings.
        return _tolerant(der, fingerprint)
    names: tuple[str, ...] = ()
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = tuple(san.get_values_for_type(x509.DNSName))[:MAX_NAMES]
    except Exception:  # noqa: BLE001, S110 - no SAN, or one cryptography cannot read: no names
        names = ()
    return TlsCertificate(
        der=der,
        subject=subject,
        issuer=issuer,
        serial=serial,
        fingerprint=fingerprint,
        not_before_ms=not_before,
        not_after_ms=not_after,
        names=names,
    )


def _tolerant(der: bytes, fingerprint: str) -> TlsCertificate:
    try:
        cert, _rest = der_decoder.decode(der, asn1Spec=rfc5280.Certificate())
        tbs = cert["tbsCertificate"]
        validity = tbs["validity"]
        return TlsCertificate(
            der=der,
            subject=_asn1_name(tbs["subject"]),
            issuer=_asn1_name(tbs["issuer"]),
            serial=_serial(int(tbs["serialNumber"])),
            fingerprint=fingerprint,
            not_before_ms=_asn1_time(validity["notBefore"]),
            not_after_ms=_asn1_time(validity["notAfter"]),
        )
    except Exception:  # noqa: BLE001 - PyAsn1Error and whatever else hostile DER provokes
        return TlsCertificate(der=der, fingerprint=fingerprint)


def _asn1_name(name: Any) -> str:
    parts = []
    for rdn in name[0]:
        for attribute in rdn:
            oid = str(attribute["type"])
            value, _rest = der_decoder.decode(attribute["value"])
            raw = bytes(value.asOctets())
            text = (
                raw.decode("utf-16-be", "replace")
                if isinstance(value, char.BMPString)
                else (raw.decode("utf-8", "surrogateescape"))
            )
            parts.append(f"{_ATTRIBUTE_NAMES.get(oid, oid)}={text}")
    return ", ".join(parts)


def _asn1_time(choice: Any) -> int:
    name = choice.getName()
    moment = choice[name].asDateTime
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return int(moment.timestamp() * 1000)
