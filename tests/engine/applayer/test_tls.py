"""The TLS ClientHello: SNI, version, ALPN, JA3; records and segments split; SSLv2 hellos."""

from __future__ import annotations

import hashlib

from scapy.layers.tls.extensions import (
    ProtocolName,
    ServerName,
    TLS_Ext_ALPN,
    TLS_Ext_ServerName,
    TLS_Ext_SupportedGroups,
    TLS_Ext_SupportedPointFormat,
    TLS_Ext_SupportedVersion_CH,
)
from scapy.layers.tls.handshake import TLSClientHello

from lanward.engine.applayer.tls import TlsParser, is_grease
from lanward.engine.events import TlsClientHello
from tests.engine.applayer.build import Conversation, feed, shuffled_data

CIPHERS = [0x1A1A, 0x1301, 0x1302, 0xC02B, 0x00FF]
GROUPS = [0x2A2A, 29, 23, 24]


def hello_body(sni: str = "www.example.org") -> bytes:
    hello = TLSClientHello(
        version=0x0303,
        ciphers=CIPHERS,
        ext=[
            TLS_Ext_ServerName(servernames=[ServerName(servername=sni.encode())]),
            TLS_Ext_SupportedGroups(groups=GROUPS),
            TLS_Ext_SupportedPointFormat(ecpl=[0]),
            TLS_Ext_ALPN(
                protocols=[ProtocolName(protocol=b"h2"), ProtocolName(protocol=b"http/1.1")]
            ),
            TLS_Ext_SupportedVersion_CH(versions=[0x3A3A, 0x0304, 0x0303]),
        ],
    )
    return bytes(hello)


def client_hello_record(sni: str = "www.example.org", records: int = 1) -> bytes:
    """The ClientHello handshake message, cut into `records` TLS records."""
    handshake = hello_body(sni)
    size = -(-len(handshake) // records)
    out = b""
    for start in range(0, len(handshake), size):
        part = handshake[start : start + size]
        out += b"\x16\x03\x01" + len(part).to_bytes(2, "big") + part
    return out


EXPECTED_JA3 = "771,4865-4866-49195-255,0-10-11-16-43,29-23-24,0"


def test_grease_values() -> None:
    assert all(is_grease(v) for v in (0x0A0A, 0x1A1A, 0xFAFA))
    assert not any(is_grease(v) for v in (0x0A0B, 0x1301, 0x0000))


def test_hello_in_one_segment() -> None:
    c = Conversation(server_port=443).handshake().client(client_hello_record())
    (hello,) = feed(c.key, c.packets)[0]
    assert isinstance(hello, TlsClientHello)
    assert hello.sni == "www.example.org"
    assert hello.version == "TLS 1.3"
    assert hello.alpn == ("h2", "http/1.1")
    assert hello.ja3 == EXPECTED_JA3
    assert hello.ja3_hash == hashlib.md5(EXPECTED_JA3.encode()).hexdigest()


def test_hello_over_three_records_in_tiny_shuffled_segments_on_another_port() -> None:
    c = Conversation(server_port=8443).handshake().client(client_hello_record(records=3), mss=7)
    c.server(b"\x16\x03\x03\x00\x02\x02\x00")
    (hello,) = feed(c.key, shuffled_data(c.packets, seed=4))[0]
    assert isinstance(hello, TlsClientHello)
    assert hello.sni == "www.example.org" and hello.ja3 == EXPECTED_JA3


def test_not_a_hello_and_truncated_hello_give_nothing() -> None:
    record = client_hello_record()
    c = Conversation(server_port=443).handshake().client(record[:-10])
    assert feed(c.key, c.packets)[0] == []
    parser = TlsParser(c.key)
    assert parser.feed(True, b"\x16\x03\x01\x00\x05\x02\x00\x00\x01\x00", 0) == []
    assert parser.done


def test_sslv2_compatible_hello() -> None:
    body = b"\x01\x03\x01\x00\x03\x00\x00\x00\x10" + b"\x00\x00\x2f" + b"C" * 16
    record = bytes([0x80 | (len(body) >> 8), len(body) & 0xFF]) + body
    c = Conversation(server_port=443).handshake().client(record)
    (hello,) = feed(c.key, c.packets)[0]
    assert isinstance(hello, TlsClientHello)
    assert (hello.version, hello.sni, hello.ja3) == ("TLS 1.0", "", "")
