"""DNS queries and answers, over UDP (one message per datagram) and TCP (two-byte length framing).

A query is a message with the QR bit clear, whichever way it travels: only its question section
is decoded (dnspython, `question_only`). A response (QR set, standard query opcode) becomes a
`DnsAnswer` per question: the rcode, the A/AAAA addresses of the answer section and the zone of
the authority section's SOA. A response whose records do not decode still gives its rcode and
question (the header and question are read on their own). `messages` picks the one or the other.
"""

from __future__ import annotations

import dataclasses
import struct

import dns.exception
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdatatype

from lanward.engine.events import AppEvent, DnsAnswer, DnsQuery, FlowKey

DNS_PORT = 53
MAX_QUESTIONS = 8
MAX_TCP_MESSAGE = 65535
MAX_TCP_MESSAGES = 1024  # per flow; past it the flow is no longer read
MAX_PROBED_MESSAGE = 4096  # a first message longer than this is not taken for a DNS query
MAX_ADDRESSES = 32  # per answer
# What dnspython raises on bytes that are not a DNS message (struct.error: belt and braces).
_BAD_WIRE = (dns.exception.DNSException, ValueError, IndexError, UnicodeError, struct.error)
_ADDRESS_TYPES = (dns.rdatatype.A, dns.rdatatype.AAAA)


def messages(
    flow: FlowKey, payload: bytes, ts_ms: int, transport: str, to_server: bool
) -> list[AppEvent]:
    """The events of one DNS message: its questions (a query) or its answers (a response)."""
    if len(payload) >= 12 and payload[2] & 0x80:
        return answers(flow, payload, ts_ms, transport, to_server)
    return queries(flow, payload, ts_ms, transport)


def queries(flow: FlowKey, payload: bytes, ts_ms: int, transport: str) -> list[AppEvent]:
    """The questions of one DNS message, if it is a query; [] for answers and garbage."""
    if len(payload) < 12 or payload[2] & 0x80:
        return []
    try:
        message = dns.message.from_wire(payload, question_only=True, ignore_trailing=True)
    except _BAD_WIRE:
        return []
    out: list[AppEvent] = []
    for rrset in message.question[:MAX_QUESTIONS]:
        out.append(
            DnsQuery(
                flow=flow,
                ts_ms=ts_ms,
                name=_text(rrset.name),
                qtype=dns.rdatatype.to_text(rrset.rdtype),
                transport=transport,
            )
        )
    return out


def answers(
    flow: FlowKey, payload: bytes, ts_ms: int, transport: str, to_server: bool = False
) -> list[AppEvent]:
    """One DnsAnswer per question of a response; [] for queries and garbage.

    `to_server`: the message travelled from the flow's src to its dst. A response does so only
    when the key has the sides the wrong way round (the capture missed the query): the event
    then carries the key turned, so that its src is still the client that asked.
    """
    if len(payload) < 12 or not payload[2] & 0x80:
        return []
    try:
        message = dns.message.from_wire(payload, ignore_trailing=True)
    except _BAD_WIRE:
        try:  # records that do not decode: the header and the question still say what failed
            message = dns.message.from_wire(payload, question_only=True, ignore_trailing=True)
        except _BAD_WIRE:
            return []
    if message.opcode() != dns.opcode.QUERY or not message.question:
        return []  # UPDATE and NOTIFY answers are about zones, not lookups
    if to_server:
        flow = dataclasses.replace(
            flow,
            src_ip=flow.dst_ip,
            src_port=flow.dst_port,
            dst_ip=flow.src_ip,
            dst_port=flow.src_port,
            src_mac=flow.dst_mac,
            dst_mac=flow.src_mac,
        )
    addresses = tuple(
        rdata.to_text()
        for rrset in message.answer
        if rrset.rdtype in _ADDRESS_TYPES
        for rdata in rrset
    )[:MAX_ADDRESSES]
    soa = next(
        (_text(rrset.name) for rrset in message.authority if rrset.rdtype == dns.rdatatype.SOA),
        "",
    )
    rcode = dns.rcode.to_text(message.rcode())
    return [
        DnsAnswer(
            flow=flow,
            ts_ms=ts_ms,
            name=_text(rrset.name),
            qtype=dns.rdatatype.to_text(rrset.rdtype),
            rcode=rcode,
            addresses=addresses,
            soa=soa,
            transport=transport,
        )
        for rrset in message.question[:MAX_QUESTIONS]
    ]


def _text(name: dns.name.Name) -> str:
    """Lower case, no trailing dot; the root is ""."""
    return "" if name == dns.name.root else name.to_text(omit_final_dot=True).lower()


def looks_like_tcp_query(head: bytes) -> bool | None:
    """Whether a client's first bytes are a DNS query over TCP, on whatever port; None while
    they are too few to tell.

    The length prefix must be small, the header a plain query (QR clear, a standard opcode,
    one to MAX_QUESTIONS questions, no answers), and a whole first message must decode.
    """
    if not head or head[0] > MAX_PROBED_MESSAGE >> 8:
        return False
    if len(head) < 14:
        return None
    size = int.from_bytes(head[:2], "big")
    flags, questions, answers = int.from_bytes(head[4:6], "big"), head[6:8], head[8:10]
    opcode = (flags >> 11) & 0x0F
    count = int.from_bytes(questions, "big")
    if not 12 <= size <= MAX_PROBED_MESSAGE or flags & 0x8000 or opcode not in (0, 1, 2, 4, 5):
        return False
    if not 1 <= count <= MAX_QUESTIONS or answers != b"\0\0":
        return False
    if len(head) < 2 + size:
        return None
    try:
        message = dns.message.from_wire(head[2 : 2 + size], question_only=True)
    except _BAD_WIRE:
        return False
    return len(message.question) == count


class DnsTcpParser:
    """DNS over TCP: each direction is a run of length-prefixed messages (queries one way,
    answers the other)."""

    def __init__(self, flow: FlowKey) -> None:
        self.flow = flow
        self.buffers = {True: bytearray(), False: bytearray()}
        self.messages = 0
        self.done = False
        self.handoff: tuple[bytes, bytes] | None = None

    def feed(self, to_server: bool, data: bytes, ts_ms: int) -> list[AppEvent]:
        buf = self.buffers[to_server]
        buf += data
        out: list[AppEvent] = []
        while len(buf) >= 2 and not self.done:
            size = int.from_bytes(buf[:2], "big")
            if len(buf) < 2 + size:
                break
            out.extend(messages(self.flow, bytes(buf[2 : 2 + size]), ts_ms, "tcp", to_server))
            del buf[: 2 + size]
            self.messages += 1
            if self.messages >= MAX_TCP_MESSAGES:
                self.done = True
        return out

    def gap(self, to_server: bool, size: int, ts_ms: int) -> list[AppEvent]:
        self.done = True  # the framing is lost; there is no marker to find it again
        return []

    def close(self, ts_ms: int) -> list[AppEvent]:
        self.done = True
        return []
