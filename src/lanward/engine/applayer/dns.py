"""DNS queries, over UDP (one message per datagram) and TCP (two-byte length framing).

Only the question section is decoded (dnspython, `question_only`). A query is a message with
the QR bit clear, whichever way it travels; answers are left to the flow meter and resolver.
"""

from __future__ import annotations

import dns.exception
import dns.message
import dns.name
import dns.rdatatype

from lanward.engine.events import AppEvent, DnsQuery, FlowKey

DNS_PORT = 53
MAX_QUESTIONS = 8
MAX_TCP_MESSAGE = 65535
MAX_TCP_MESSAGES = 1024  # per flow; past it the flow is no longer read
MAX_PROBED_MESSAGE = 4096  # a first message longer than this is not taken for a DNS query


def queries(flow: FlowKey, payload: bytes, ts_ms: int, transport: str) -> list[AppEvent]:
    """The questions of one DNS message, if it is a query; [] for answers and garbage."""
    if len(payload) < 12 or payload[2] & 0x80:
        return []
    try:
        message = dns.message.from_wire(payload, question_only=True, ignore_trailing=True)
    except (dns.exception.DNSException, ValueError, IndexError, UnicodeError):
        return []
    out: list[AppEvent] = []
    for rrset in message.question[:MAX_QUESTIONS]:
        name = "" if rrset.name == dns.name.root else rrset.name.to_text(omit_final_dot=True)
        out.append(
            DnsQuery(
                flow=flow,
                ts_ms=ts_ms,
                name=name.lower(),
                qtype=dns.rdatatype.to_text(rrset.rdtype),
                transport=transport,
            )
        )
    return out


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
    except (dns.exception.DNSException, ValueError, IndexError, UnicodeError):
        return False
    return len(message.question) == count


class DnsTcpParser:
    """DNS over TCP: each direction is a run of length-prefixed messages."""

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
            out.extend(queries(self.flow, bytes(buf[2 : 2 + size]), ts_ms, "tcp"))
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
