"""DNS queries over UDP and TCP."""

from __future__ import annotations

import dns.message

from lanward.engine.events import DnsQuery, FlowKey
from tests.engine.applayer.build import Conversation, feed, udp


def test_udp_query_lowercase_without_dot() -> None:  # answers: test_dns_answers.py
    query = dns.message.make_query("WWW.Example.COM.", "AAAA")
    answer = dns.message.make_response(query)
    key = FlowKey("10.0.0.2", 5555, "10.0.0.1", 53, 17)
    packets = [
        udp("10.0.0.2", 5555, "10.0.0.1", 53, query.to_wire()),
        udp("10.0.0.1", 53, "10.0.0.2", 5555, answer.to_wire()),
        udp("10.0.0.2", 5555, "10.0.0.1", 53, b"\x00garbage"),
    ]
    events, _ = feed(key, packets)
    queries = [e for e in events if isinstance(e, DnsQuery)]
    assert queries == [DnsQuery(key, 1_700_000_000_000, "www.example.com", "AAAA", "udp")]


def test_udp_on_other_ports_is_not_read() -> None:
    query = dns.message.make_query("a.example", "A")
    key = FlowKey("10.0.0.2", 5555, "10.0.0.1", 5353, 17)
    assert feed(key, [udp("10.0.0.2", 5555, "10.0.0.1", 5353, query.to_wire())])[0] == []


def test_tcp_queries_split_and_joined_across_segments() -> None:
    wires = [
        dns.message.make_query(name, kind).to_wire()
        for name, kind in (("a.example", "MX"), ("b.example.", "TXT"))
    ]
    stream = b"".join(len(w).to_bytes(2, "big") + w for w in wires)
    c = Conversation(server_port=53).handshake().client(stream, mss=5)
    events, _ = feed(c.key, c.packets)
    assert [(e.name, e.qtype, e.transport) for e in events if isinstance(e, DnsQuery)] == [
        ("a.example", "MX", "tcp"),
        ("b.example", "TXT", "tcp"),
    ]
