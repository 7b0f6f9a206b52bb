"""FlowParser's reading of who is the client and which protocol a TCP flow speaks, by content:
a capture that begins with the server's answer, DNS over TCP off port 53, HTTP on port 53."""

from __future__ import annotations

import dns.message
import pytest

from lanward.engine.events import DnsQuery, FlowKey, HttpTransaction
from tests.engine.applayer.build import Conversation, feed, http_response


def transactions(events: list) -> list[HttpTransaction]:
    return [e for e in events if isinstance(e, HttpTransaction)]


def dns_tcp(name: str, kind: str = "A") -> bytes:
    wire = dns.message.make_query(name, kind).to_wire()
    return len(wire).to_bytes(2, "big") + wire


def test_capture_that_begins_with_the_response_turns_the_flow_round() -> None:
    """bug-7552-01, detect-pcre-05: the meter names the first sender (the server, port 8080,
    talking to an ephemeral port) the client; the bytes say otherwise."""
    c = Conversation(client_port=51297, server_port=8080)
    c.client(b"GET /before HTTP/1.0\r\n\r\n")  # sent before the capture began
    seen = len(c.packets)
    c.server(b"HTTP/1.0 200 OK\r\nContent-Length: 12\r\n\r\nHello People", mss=20)
    c.client(b"GET /next HTTP/1.0\r\nHost: h\r\n\r\n")
    c.server(http_response(b"again", {"Content-Length": "5"}))
    meter_key = FlowKey(c.server_ip, 8080, c.client_ip, 51297, 6, flow_id=1)
    events, parser = feed(meter_key, c.packets[seen:])
    first, second = transactions(events)
    assert (first.method, first.status, first.response_body) == ("", 200, b"Hello People")
    assert (second.uri, second.status, second.response_body) == ("/next", 200, b"again")
    for tx in (first, second):
        assert (tx.flow.src_ip, tx.flow.src_port) == (c.client_ip, 51297)
        assert (tx.flow.dst_ip, tx.flow.dst_port, tx.flow.flow_id) == (c.server_ip, 8080, 1)
    assert parser.reversed and parser.flow == meter_key  # the caller's frame is kept


def test_a_request_first_is_not_turned_round() -> None:
    c = Conversation(client_port=51297, server_port=8080).handshake()
    c.client(b"GET / HTTP/1.0\r\n\r\n").server(http_response(b"x", {"Content-Length": "1"}))
    events, parser = feed(c.key, c.packets)
    (tx,) = transactions(events)
    assert tx.flow == c.key and not parser.reversed


def test_dns_over_tcp_on_another_port_by_content() -> None:
    """dns-incomplete: DNS over TCP on port 5353; the second query comes as its header in one
    segment and its question in the next."""
    c = Conversation(server_port=5353).handshake()
    c.client(dns_tcp("google.net", "TXT"))
    answer = dns.message.make_response(dns.message.make_query("google.net", "TXT")).to_wire()
    c.server(len(answer).to_bytes(2, "big") + answer)
    second = dns_tcp("google.com", "TXT")
    c.client(second[:14]).client(second[14:])
    events, parser = feed(c.key, c.packets)
    assert parser.protocol == "dns"
    assert [(e.name, e.qtype, e.transport) for e in events if isinstance(e, DnsQuery)] == [
        ("google.net", "TXT", "tcp"),
        ("google.com", "TXT", "tcp"),
    ]


def test_a_dns_query_split_into_tiny_segments_off_port_53() -> None:
    c = Conversation(server_port=9953).handshake().client(dns_tcp("a.example", "MX"), mss=3)
    events, _ = feed(c.key, c.packets)
    assert [(e.name, e.qtype) for e in events if isinstance(e, DnsQuery)] == [("a.example", "MX")]


@pytest.mark.parametrize(
    "head",
    [
        b"\x00\x20\x12\x34\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00" + b"\x07" * 20,  # an answer
        b"\x00\x20\x12\x34\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00" + b"\x07" * 20,  # no question
        b"\x00\x10\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\xff\xff",  # a bad name
        b"\x40\x00" + b"\x00" * 40,  # longer than any query
    ],
)
def test_binary_that_is_not_a_dns_query_is_not_taken_for_one(head: bytes) -> None:
    c = Conversation(server_port=5353).handshake().client(head)
    events, parser = feed(c.key, c.packets)
    assert events == [] and parser.protocol == ""


def test_http_to_port_53_is_http() -> None:
    """detect-uricontent-02: 'POST /oneself' to TCP port 53 is an HTTP request, not DNS."""
    c = Conversation(server_port=53)
    c.client(b"POST /oneself HTTP/1.0\r\nUser-Agent: Mozilla/1.0\r\nCookie: hellocatch\r\n\r\n")
    events, parser = feed(c.key, c.packets)
    (tx,) = transactions(events)
    assert (tx.method, tx.uri, parser.protocol) == ("POST", "/oneself", "http")


def test_dns_to_port_53_is_still_read_at_once() -> None:
    c = Conversation(server_port=53).handshake().client(dns_tcp("b.example"), mss=1)
    events, parser = feed(c.key, c.packets)
    assert parser.protocol == "dns"
    assert [e.name for e in events if isinstance(e, DnsQuery)] == ["b.example"]
