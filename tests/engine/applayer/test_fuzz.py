"""Garbage in, no exception out: random packets, random segment orders, random protocol bytes.

A FlowParser catches its parsers' exceptions (so one flow cannot stop a capture) and records
them in `failure`; these tests assert there is none, so a parser bug fails here.
"""

from __future__ import annotations

import struct

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lanward.engine.applayer import FlowParser
from lanward.engine.applayer.dns import DnsTcpParser
from lanward.engine.applayer.http import HttpParser
from lanward.engine.applayer.mail import MailParser
from lanward.engine.applayer.telnet import TelnetParser
from lanward.engine.applayer.tls import TlsParser
from lanward.engine.events import FlowKey

KEY = FlowKey("10.0.0.2", 40000, "10.0.0.1", 80, 6)
PREFIXES = [
    b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 10\r\n\r\n",
    b"POST /l HTTP/1.1\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 99\r\n\r\n--b\r\n",
    b"\x16\x03\x01\x00\xff\x01\x00\x00\xfb\x03\x03",
    b"220 FTP\r\nUSER a\r\nPASS b\r\n",
    b"* OK\r\na LOGIN {5}\r\n",
    b"\xff\xfb\x01\xff\xfa\x18",
    b"login: ",
    b"\x00\x1c",
    b"",
]
payloads = st.builds(lambda p, r: p + r, st.sampled_from(PREFIXES), st.binary(max_size=300))


def tcp_packet(to_server: bool, seq: int, ack: int, flags: int, payload: bytes) -> bytes:
    sport, dport = (40000, 80) if to_server else (80, 40000)
    src, dst = (b"\x0a\x00\x00\x02", b"\x0a\x00\x00\x01")[:: 1 if to_server else -1]
    tcp = struct.pack(
        "!HHIIBBHHH", sport, dport, seq % 2**32, ack % 2**32, 5 << 4, flags, 65535, 0, 0
    )
    total = 20 + len(tcp) + len(payload)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 0, 0, 64, 6, 0, src, dst)
    return ip + tcp + payload


segments = st.lists(
    st.tuples(
        st.booleans(),
        st.integers(min_value=-50, max_value=3000),
        st.integers(min_value=-50, max_value=3000),
        st.sampled_from([0x10, 0x18, 0x02, 0x12, 0x11, 0x04, 0x00, 0xFF]),
        payloads,
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(segments=segments, port=st.sampled_from([80, 443, 21, 23, 25, 53, 110, 143, 9999]))
def test_random_segments_in_random_order(segments, port) -> None:  # type: ignore[no-untyped-def]
    key = FlowKey("10.0.0.2", 40000, "10.0.0.1", port, 6)
    parser = FlowParser(key)
    for to_server, seq, ack, flags, payload in segments:
        parser.packet(0, to_server, tcp_packet(to_server, 1000 + seq, 5000 + ack, flags, payload))
    parser.close(1)
    assert parser.failure is None


@settings(max_examples=300, deadline=None)
@given(packet=st.binary(max_size=200), to_server=st.booleans())
def test_random_ip_packets(packet: bytes, to_server: bool) -> None:
    for protocol in (6, 17):
        parser = FlowParser(FlowKey("10.0.0.2", 40000, "10.0.0.1", 53, protocol))
        for head in (b"", b"\x45", b"\x60"):
            parser.packet(0, to_server, head + packet)
        parser.close(0)
        assert parser.failure is None


@settings(max_examples=300, deadline=None)
@given(
    chunks=st.lists(
        st.tuples(st.booleans(), payloads, st.integers(min_value=0, max_value=40)), max_size=20
    )
)
def test_each_protocol_parser_on_random_bytes_and_gaps(chunks) -> None:  # type: ignore[no-untyped-def]
    for make in (HttpParser, TlsParser, DnsTcpParser, TelnetParser, MailParser):
        parser = make(KEY)
        for to_server, data, gap in chunks:
            if gap:
                parser.gap(to_server, gap, 0)
            parser.feed(to_server, data, 0)
        parser.close(0)
