"""FlowParser: the packets of one flow in, application-layer events out.

TCP is reassembled per direction (`tcp.Stream`); the protocol is recognised from the first
bytes each side sends, not from the port (HTTP on any port is HTTP, even port 53; DNS over TCP
on any port is DNS), with ports only breaking ties (FTP vs POP3, a Telnet server that prints
"login:" without negotiating; SMB on 139/445 that the capture joined mid-session). A capture
that begins with the server's answer, so that the flow meter took the server for the client,
is turned round. Then the bytes go to that protocol's parser. A flow nothing recognises, or
whose parser has all it wants (a TLS flow after its ClientHello), costs a flag check per packet
from then on. UDP is read for DNS (port 53) only.

Pure and total: no I/O, and no input makes it raise. A parser bug is caught here, the flow is
no longer read, and `failure` says why (tests assert it stays None).
"""

from __future__ import annotations

import dataclasses
from typing import Protocol

from lanward.engine.applayer import dns, mail, smb, telnet, tls
from lanward.engine.applayer.http import HttpParser, Request
from lanward.engine.applayer.http1 import REQUEST_LINE
from lanward.engine.applayer.http2 import PREFACE, Http2Parser, starts_server_preface
from lanward.engine.applayer.packet import ACK, RST, SYN, TCP, UDP, decode
from lanward.engine.applayer.tcp import Piece, Stream
from lanward.engine.events import AppEvent, FlowKey

SNIFF_BYTES = 8 * 1024  # per direction, looked at to recognise the protocol
MAX_HANDOFFS = 2  # protocol changes per flow (STARTTLS, CONNECT); an upgrade to h2c is the last

_TEXT_START = frozenset(b"\r\n\t" + bytes(range(0x20, 0x7F)))


def sent_by_server(protocol: int, src_port: int, dst_port: int, syn: bool, ack: bool) -> bool:
    """Whether the first packet seen of a flow came from its server (the capture began late).

    A SYN-ACK comes from the server; without a handshake, a well-known port talking to an
    ephemeral one is the server answering. The flow meter names the first sender the source,
    and FlowKey's source must be the client.
    """
    if protocol == TCP and syn:
        return ack
    return src_port < 1024 <= dst_port


class AppParser(Protocol):
    done: bool
    handoff: tuple[bytes, bytes] | None

    def feed(self, to_server: bool, data: bytes, ts_ms: int) -> list[AppEvent]: ...

    def gap(self, to_server: bool, size: int, ts_ms: int) -> list[AppEvent]: ...

    def close(self, ts_ms: int) -> list[AppEvent]: ...


class FlowParser:
    """`flow` is the caller's key: `packet`'s `to_server` is always relative to it. When the
    bytes show that its client is really the server (a capture that begins with a response),
    the parser turns round: `reversed` is set and the events carry the turned key (`key`)."""

    def __init__(self, flow: FlowKey) -> None:
        self.flow = flow
        self.key = flow  # client first, as the events report it
        self.reversed = False
        self.tcp = flow.protocol == TCP
        self.dns_port = dns.DNS_PORT in (flow.src_port, flow.dst_port)
        self.streams = {True: Stream(), False: Stream()}
        self.app: AppParser | None = None
        self.protocol = ""  # what the flow was recognised as
        self.dead = False
        self.closed = False
        self.failure: str | None = None
        self.handoffs = 0
        self._reset_sniff()

    def _reset_sniff(self) -> None:
        self.heads: dict[bool, bytearray] = {True: bytearray(), False: bytearray()}
        self.first_speaker: bool | None = None
        self.sniffed: list[tuple[bool, int, bytes]] = []

    # --- the interface -------------------------------------------------------------------

    def packet(self, ts_ms: int, to_server: bool, ip_packet: bytes) -> list[AppEvent]:
        """One packet of the flow; `to_server` when the client (FlowKey's src) sent it."""
        if self.closed or (self.dead and self.tcp):
            return []
        try:
            return self._packet(ts_ms, to_server != self.reversed, ip_packet)
        except Exception as exc:  # noqa: BLE001 - one flow's bad bytes must not stop the rest
            self._fail(exc)
            return []

    def close(self, ts_ms: int) -> list[AppEvent]:
        """The flow ended: report what was waiting (a response that never came, a cut file)."""
        if self.closed:
            return []
        self.closed = True
        if self.dead:
            return []
        try:
            out: list[AppEvent] = []
            for to_server in (True, False):
                out += self._deliver(to_server, self.streams[to_server].flush(), ts_ms)
            if self.app is None and not self.dead:
                self._classify(ts_ms, final=True, out=out)
            if self.app is not None and not self.dead:
                out += self.app.close(ts_ms)
            self.dead = True
            return out
        except Exception as exc:  # noqa: BLE001
            self._fail(exc)
            return []

    def _fail(self, exc: Exception) -> None:
        self.failure = f"{type(exc).__name__}: {exc}"
        self.dead = True
        self.app = None
        self.streams = {True: Stream(), False: Stream()}

    # --- packets ---------------------------------------------------------------------------

    def _packet(self, ts_ms: int, to_server: bool, ip_packet: bytes) -> list[AppEvent]:
        segment = decode(ip_packet)
        if segment is None:
            return []
        if segment.protocol == UDP:
            if self.dns_port and not self.tcp:
                return dns.messages(self.flow, segment.payload, ts_ms, "udp", to_server)
            return []
        if segment.protocol != TCP or not self.tcp:
            return []
        own, peer = self.streams[to_server], self.streams[not to_server]
        out: list[AppEvent] = []
        if segment.flags & ACK:
            out += self._deliver(not to_server, peer.acked(segment.ack), ts_ms)
        if segment.flags & RST:
            return out
        seq = segment.seq
        if segment.flags & SYN:
            own.syn(seq)
            seq += 1
        if segment.payload and not self.dead:
            out += self._deliver(to_server, own.segment(seq, segment.payload), ts_ms)
        return out

    def _deliver(self, to_server: bool, pieces: list[Piece], ts_ms: int) -> list[AppEvent]:
        out: list[AppEvent] = []
        for gap, data in pieces:
            if self.dead:
                break
            if self.app is None:
                self._sniff(to_server, gap, data, ts_ms, out)
                continue
            if gap:
                out += self.app.gap(to_server, gap, ts_ms)
            out += self.app.feed(to_server, data, ts_ms)
            self._after(ts_ms, out)
        return out

    def _after(self, ts_ms: int, out: list[AppEvent]) -> None:
        """The parser may have finished, or handed the flow on (STARTTLS, CONNECT)."""
        app = self.app
        if app is None or not app.done:
            return
        handoff = app.handoff
        self.app = None
        if handoff is not None and isinstance(app, HttpParser) and app.h2c is not None:
            self._upgrade_to_h2c(app.h2c, handoff, ts_ms, out)
            return
        if handoff is None or self.handoffs >= MAX_HANDOFFS:
            self.dead = True
            return
        self.handoffs += 1
        self.protocol = ""
        self._reset_sniff()
        client_rest, server_rest = handoff
        if client_rest:
            self._sniff(True, 0, client_rest, ts_ms, out)
        if server_rest and not self.dead:
            self._sniff(False, 0, server_rest, ts_ms, out)

    def _upgrade_to_h2c(
        self, request: Request, rest: tuple[bytes, bytes], ts_ms: int, out: list[AppEvent]
    ) -> None:
        """A 101 switched to HTTP/2 (h2c): the rest of both directions is HTTP/2, and the
        upgraded request is its stream 1. HTTP/2 hands nothing on, so no handoff is counted."""
        app = self.app = Http2Parser(self.key, request)
        self.protocol = "http2"
        for to_server, data in zip((True, False), rest, strict=True):
            if data and not app.done:
                out += app.feed(to_server, data, ts_ms)
        self._after(ts_ms, out)

    def _turn_round(self) -> None:
        """The caller's client is the server: swap the sides, and the key the events carry."""
        self.reversed = not self.reversed
        key = self.key
        self.key = dataclasses.replace(
            key,
            src_ip=key.dst_ip,
            src_port=key.dst_port,
            dst_ip=key.src_ip,
            dst_port=key.src_port,
            src_mac=key.dst_mac,
            dst_mac=key.src_mac,
        )
        self.streams = {True: self.streams[False], False: self.streams[True]}
        self.heads = {True: self.heads[False], False: self.heads[True]}
        self.sniffed = [(not to_server, ts, data) for to_server, ts, data in self.sniffed]
        if self.first_speaker is not None:
            self.first_speaker = not self.first_speaker

    # --- recognising the protocol ----------------------------------------------------------

    def _sniff(
        self, to_server: bool, gap: int, data: bytes, ts_ms: int, out: list[AppEvent]
    ) -> None:
        head = self.heads[to_server]
        if gap and head:
            self.dead = True  # a hole in the very first bytes: nothing reliable to go on
            return
        if self.first_speaker is None:
            self.first_speaker = to_server
        self.sniffed.append((to_server, ts_ms, data))
        if len(head) < SNIFF_BYTES:
            head += data[: SNIFF_BYTES - len(head)]
        self._classify(ts_ms, final=False, out=out)

    def _classify(self, ts_ms: int, final: bool, out: list[AppEvent]) -> None:
        app = self._recognise(final)
        if app is None:
            return
        if app is False or app is True:
            self.dead = True
            self.sniffed = []
            return
        self.app = app
        sniffed, self.sniffed = self.sniffed, []
        self.heads = {True: bytearray(), False: bytearray()}
        for to_server, ts, data in sniffed:
            if self.app is None or self.dead:
                break
            out += self.app.feed(to_server, data, ts)
            self._after(ts_ms, out)

    def _recognise(self, final: bool) -> AppParser | None | bool:
        """The parser for this flow, None to wait for more bytes, False when there is none."""
        client, server = bytes(self.heads[True]), bytes(self.heads[False])
        if client.startswith(b"HTTP/1.") and not server:
            self._turn_round()  # the "client" answers: the capture began with a response
            client, server = server, client
        flow = self.key
        first = client if self.first_speaker else server
        if self.dns_port and first and not first[:1].isalpha():
            self.protocol = "dns"  # port 53, and no text command or request line: DNS
            return dns.DnsTcpParser(flow)
        if client:
            hello = tls.looks_like_hello(client)
            if hello:
                self.protocol = "tls"
                return tls.TlsParser(flow)
            if client.startswith(PREFACE):
                self.protocol = "http2"  # HTTP/2 with prior knowledge
                return Http2Parser(flow)
            if PREFACE.startswith(client) and not final:
                return None  # the start of the preface: wait for the rest of it
            if REQUEST_LINE.match(client):
                self.protocol = "http"
                return HttpParser(flow)
            query = dns.looks_like_tcp_query(client)
            if query or (query is None and not final and self.first_speaker):
                if query:
                    self.protocol = "dns"
                    return dns.DnsTcpParser(flow)
                return None  # the start of a DNS query: wait for the rest of it
        if server.startswith(b"HTTP/1.") and not client:
            self.protocol = "http"
            return HttpParser(flow)
        smb_port = flow.dst_port in smb.PORTS or flow.src_port in smb.PORTS
        if smb.recognise(client, server, smb_port):
            self.protocol = "smb"
            return smb.SmbParser(flow)
        if telnet.starts_with_negotiation(client) or telnet.starts_with_negotiation(server):
            self.protocol = "telnet"
            return telnet.TelnetParser(flow)
        server_line = server.split(b"\n", 1)[0].rstrip(b"\r") if b"\n" in server else None
        client_line = client.split(b"\n", 1)[0].rstrip(b"\r") if b"\n" in client else None
        greeting = mail.greeting_protocol(server_line) if server_line is not None else None
        if greeting is not None:
            self.protocol = greeting or mail.PORTS.get(flow.dst_port, "")
            return mail.MailParser(flow, self.protocol)
        if client_line is not None:
            guess = mail.client_protocol(client_line, None, flow.dst_port)
            if guess:
                self.protocol = guess
                return mail.MailParser(flow, guess)
        if (flow.dst_port in telnet.TELNET_PORTS or flow.src_port in telnet.TELNET_PORTS) and (
            client or server
        ):
            self.protocol = "telnet"
            return telnet.TelnetParser(flow)
        # Nothing yet. Wait while a recognisable start is still possible.
        if final or len(client) >= SNIFF_BYTES or len(server) >= SNIFF_BYTES:
            return False
        if not client and starts_server_preface(server):
            return None  # an h2c server that spoke first: the client's preface follows
        first = client if self.first_speaker else server
        if first and first[0] not in _TEXT_START and first[0] != telnet.IAC:
            if not (self.first_speaker and tls.looks_like_hello(client) is None):
                return False  # a binary protocol
        if client_line is not None and (server_line is not None or not self.first_speaker):
            return False
        if server_line is not None and client_line is not None:
            return False
        return None
