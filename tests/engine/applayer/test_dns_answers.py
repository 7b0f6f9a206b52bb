"""DNS answers (`DnsAnswer`) over UDP and TCP: real responses built with dnspython, damaged and
random ones (nothing may raise), and the nDPI corpus captures checked against scapy's DNS
dissector as an independent oracle."""

from __future__ import annotations

import dns.edns
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rrset
import dns.update
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scapy.layers.dns import DNS
from scapy.layers.inet import IP, UDP
from scapy.layers.inet6 import IPv6
from scapy.utils import rdpcap

from lanward.engine.applayer import FlowParser
from lanward.engine.applayer import dns as dnsparse
from lanward.engine.dns import answers as block_answers
from lanward.engine.dns.policy import Decision
from lanward.engine.events import DnsAnswer, DnsQuery, FlowKey
from tests.engine.applayer.build import Conversation, feed, udp
from tests.engine.applayer.pcaps import run_pcap
from tests.ndpi_corpus import PCAPS, require_corpus

CLIENT, SERVER = "192.168.1.20", "192.168.1.1"
KEY = FlowKey(CLIENT, 40000, SERVER, 53, 17)


def nxdomain(name: str, qtype: str = "A") -> dns.message.Message:
    """What a resolver answers for a name nobody registered: NXDOMAIN and the TLD's SOA."""
    query = dns.message.make_query(name, qtype)
    response = dns.message.make_response(query)
    response.set_rcode(dns.rcode.NXDOMAIN)
    tld = dns.name.from_text(name).split(2)[1]
    response.authority.append(
        dns.rrset.from_text(
            tld,
            900,
            "IN",
            "SOA",
            "a.gtld-servers.net. nstld.verisign-grs.com. 1 1800 900 604800 86400",
        )
    )
    return response


def resolved(name: str) -> dns.message.Message:
    query = dns.message.make_query(name, "A")
    response = dns.message.make_response(query)
    response.answer.append(dns.rrset.from_text(name, 60, "IN", "CNAME", "edge.cdn.example."))
    response.answer.append(
        dns.rrset.from_text("edge.cdn.example.", 60, "IN", "A", "93.184.216.34", "93.184.216.35")
    )
    return response


def exchange(query: dns.message.Message, response: dns.message.Message) -> list[object]:
    events, _ = feed(
        KEY,
        [
            udp(CLIENT, 40000, SERVER, 53, query.to_wire()),
            udp(SERVER, 53, CLIENT, 40000, response.to_wire()),
        ],
    )
    return events


def test_nxdomain_over_udp_after_its_query() -> None:
    response = nxdomain("LeaveBlue.ru.")
    query = dns.message.make_query("LeaveBlue.ru.", "A")
    query.id = response.id
    events = exchange(query, response)
    assert [type(e) for e in events] == [DnsQuery, DnsAnswer]
    answer = events[1]
    assert answer == DnsAnswer(KEY, 1_700_000_000_000, "leaveblue.ru", "A", "NXDOMAIN", (), "ru")
    assert answer.flow.src_ip == CLIENT  # the device that asked, as for its query


def test_addresses_follow_the_cname_chain_and_aaaa() -> None:
    response = resolved("www.example.com.")
    response.answer.append(
        dns.rrset.from_text("edge.cdn.example.", 60, "IN", "AAAA", "2001:db8::1")
    )
    (answer,) = dnsparse.answers(KEY, response.to_wire(), 5, "udp")
    assert isinstance(answer, DnsAnswer)
    assert answer.rcode == "NOERROR" and answer.soa == ""
    assert sorted(answer.addresses) == ["2001:db8::1", "93.184.216.34", "93.184.216.35"]


def test_extended_rcode_from_edns() -> None:
    query = dns.message.make_query("a.example.", "A", use_edns=0)
    response = dns.message.make_response(query)
    response.set_rcode(dns.rcode.BADVERS)  # 16: the upper bits travel in the OPT record
    (answer,) = dnsparse.answers(KEY, response.to_wire(), 5, "udp")
    assert isinstance(answer, DnsAnswer) and answer.rcode == "BADVERS"


def test_servfail_and_refused_are_reported_as_such() -> None:
    for rcode in (dns.rcode.SERVFAIL, dns.rcode.REFUSED):
        response = dns.message.make_response(dns.message.make_query("b.example.", "MX"))
        response.set_rcode(rcode)
        (answer,) = dnsparse.answers(KEY, response.to_wire(), 5, "udp")
        assert isinstance(answer, DnsAnswer)
        assert (answer.rcode, answer.qtype) == (dns.rcode.to_text(rcode), "MX")


def test_an_answer_seen_without_its_query_names_the_client_as_src() -> None:
    """A key the wrong way round (its src sent the response): the event's key is turned."""
    turned = FlowKey(SERVER, 53, CLIENT, 40000, 17, "02:00:00:00:00:01", "02:00:00:00:00:02")
    events, _ = feed(turned, [udp(SERVER, 53, CLIENT, 40000, nxdomain("zz.example.").to_wire())])
    (answer,) = events
    assert isinstance(answer, DnsAnswer)
    assert (answer.flow.src_ip, answer.flow.src_port, answer.flow.src_mac) == (
        CLIENT,
        40000,
        "02:00:00:00:00:02",
    )
    assert (answer.flow.dst_ip, answer.flow.dst_port) == (SERVER, 53)


def test_damaged_records_still_give_the_rcode_and_question() -> None:
    wire = nxdomain("gone.example.").to_wire()
    cut = wire[:-7]  # the SOA record is cut short: the authority section no longer decodes
    with pytest.raises(dns.exception.DNSException):
        dns.message.from_wire(cut)
    (answer,) = dnsparse.answers(KEY, cut, 5, "udp")
    assert isinstance(answer, DnsAnswer)
    assert (answer.name, answer.rcode, answer.soa) == ("gone.example", "NXDOMAIN", "")


def test_update_responses_and_questionless_answers_are_not_lookups() -> None:
    update = dns.update.UpdateMessage("example.")
    response = dns.message.make_response(update)
    response.set_rcode(dns.rcode.NXDOMAIN)
    assert dnsparse.answers(KEY, response.to_wire(), 5, "udp") == []
    empty = dns.message.Message()
    empty.flags |= dns.flags.QR
    empty.set_rcode(dns.rcode.FORMERR)
    assert dnsparse.answers(KEY, empty.to_wire(), 5, "udp") == []


def test_queries_and_garbage_are_no_answers() -> None:
    query = dns.message.make_query("a.example.", "A").to_wire()
    assert dnsparse.answers(KEY, query, 5, "udp") == []
    assert dnsparse.answers(KEY, b"\x00\x01\x80", 5, "udp") == []
    assert dnsparse.answers(KEY, b"\x00\x01\x81\x83" + b"\xff" * 30, 5, "udp") == []


def test_tcp_answers_split_and_joined_across_segments() -> None:
    names = ("a.example.", "doorearthdifferent.net.")
    queries = [dns.message.make_query(n, "A") for n in names]
    responses = [resolved(names[0]), nxdomain(names[1])]
    for q, r in zip(queries, responses, strict=True):
        r.id = q.id
    frame = b"".join  # two-byte length framing
    c = Conversation(server_port=53).handshake()
    c.client(frame(len(w).to_bytes(2, "big") + w for w in (q.to_wire() for q in queries)), mss=7)
    c.server(frame(len(w).to_bytes(2, "big") + w for w in (r.to_wire() for r in responses)), mss=5)
    events, _ = feed(c.key, c.finish().packets)
    got = [(e.name, e.rcode, e.transport) for e in events if isinstance(e, DnsAnswer)]
    assert got == [("a.example", "NOERROR", "tcp"), ("doorearthdifferent.net", "NXDOMAIN", "tcp")]
    assert all(e.flow == c.key for e in events)


def test_lanwards_own_block_answer_carries_its_zone() -> None:
    """The station's DNS filter answers blocked names NXDOMAIN with its own SOA; the anomaly
    check skips those by that zone (nxdomain.OWN_BLOCK_ZONE)."""
    from lanward.engine.detect.anomaly import nxdomain as check

    query = dns.message.make_query("ads.tracker.example.", "A")
    blocked = block_answers.blocked(query, Decision("block"), "nxdomain")
    assert blocked is not None
    (answer,) = dnsparse.answers(KEY, blocked.to_wire(), 5, "udp")
    assert isinstance(answer, DnsAnswer)
    assert answer.rcode == "NXDOMAIN" and answer.soa == check.OWN_BLOCK_ZONE
    assert not check.counts(answer)


# --- nothing raises ----------------------------------------------------------------------------

_SAMPLES = [
    nxdomain("leaveblue.ru.").to_wire(),
    resolved("www.example.com.").to_wire(),
    dns.message.make_response(dns.message.make_query("x.example.", "TXT", use_edns=0)).to_wire(),
]


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    """A real response with bytes flipped, cut or appended, or random bytes with QR set."""
    if draw(st.booleans()):
        head = draw(st.binary(min_size=12, max_size=12))
        return head[:2] + bytes([head[2] | 0x80]) + head[3:] + draw(st.binary(max_size=300))
    wire = bytearray(draw(st.sampled_from(_SAMPLES)))
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, len(wire) - 1))
        wire[at] = draw(st.integers(0, 255))
    wire[2] |= 0x80
    cut = draw(st.integers(12, len(wire)))
    return bytes(wire[:cut]) + draw(st.binary(max_size=20))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged(), st.booleans())
def test_damaged_or_random_responses_never_raise(wire: bytes, to_server: bool) -> None:
    for event in dnsparse.messages(KEY, wire, 5, "udp", to_server):
        assert isinstance(event, DnsAnswer)
        assert event.name == event.name.lower() and not event.name.endswith(".")
        assert len(event.addresses) <= dnsparse.MAX_ADDRESSES
    # and through a FlowParser, over UDP and as a TCP stream: no failure recorded
    feed(KEY, [udp(SERVER, 53, CLIENT, 40000, wire)])
    c = Conversation(server_port=53).handshake()
    c.client(len(_SAMPLES[0]).to_bytes(2, "big") + _SAMPLES[0]).server(
        len(wire).to_bytes(2, "big") + wire, mss=9
    )
    feed(c.key, c.packets)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600))
def test_random_bytes_on_port_53_never_fail_a_parser(payload: bytes) -> None:
    parser = FlowParser(KEY)
    parser.packet(
        1, False, bytes(IP(src=SERVER, dst=CLIENT) / UDP(sport=53, dport=40000) / payload)
    )
    parser.close(2)
    assert parser.failure is None


# --- real captures -----------------------------------------------------------------------------


def _scapy_answers(path: str) -> list[tuple[str, int, tuple[str, ...]]]:
    """(question, rcode, A/AAAA addresses) of each standard response, as scapy reads them."""
    out = []
    for pkt in rdpcap(path):
        if DNS not in pkt or not (IP in pkt or IPv6 in pkt):
            continue
        msg = pkt[DNS]
        if not msg.qr or msg.opcode != 0 or not msg.qdcount or not msg.qd:
            continue
        raw = msg.qd[0].qname.rstrip(b".")
        name = dns.name.Name(raw.split(b".")).to_text(omit_final_dot=True).lower() if raw else ""
        addresses = tuple(str(rr.rdata) for rr in (msg.an or []) if rr.type in (1, 28))
        out.append((name, int(msg.rcode), addresses))
    return sorted(out)


@pytest.mark.parametrize("capture", ["dns.pcap", "bad-dns-traffic.pcap", "dns-tunnel-iodine.pcap"])
def test_corpus_answers_agree_with_scapy(capture: str) -> None:
    require_corpus()
    run = run_pcap(PCAPS / capture)
    assert run.failures == []
    mine = sorted(
        (a.name, int(dns.rcode.from_text(a.rcode)), a.addresses) for a in run.of(DnsAnswer)
    )
    expected = _scapy_answers(str(PCAPS / capture))
    assert expected, "the capture holds DNS responses"
    assert mine == expected
    for answer in run.of(DnsAnswer):  # the client that asked is src, the server port 53
        assert answer.flow.dst_port == 53 != answer.flow.src_port


def test_corpus_servfail_answers() -> None:
    require_corpus()
    failed = [
        a for a in run_pcap(PCAPS / "bad-dns-traffic.pcap").of(DnsAnswer) if a.rcode != "NOERROR"
    ]
    assert [a.rcode for a in failed] == ["SERVFAIL"] * 3


def test_corpus_answers_through_the_capture_edge() -> None:
    """nfstream's flows (daemons/applayer.py): the answer whose query the capture lacks, and the
    one inside PPPoE in QinQ, both name the asking client as src."""
    require_corpus()
    from lanward.daemons import applayer

    events = list(applayer.app_events(str(PCAPS / "dns.pcap")))
    got = sorted(
        (a.name, a.flow.src_ip, a.flow.dst_port) for a in events if isinstance(a, DnsAnswer)
    )
    assert got == [
        ("e7.whatsapp.net", "82.178.113.245", 53),
        ("www.example.com", "192.168.170.8", 53),
        ("www.l.google.com", "192.168.170.8", 53),
    ]
    (whatsapp,) = [a for a in events if isinstance(a, DnsAnswer) and a.name == "e7.whatsapp.net"]
    assert len(whatsapp.addresses) == 8 and whatsapp.flow.src_mac == "d4:94:e8:0e:ad:c1"
