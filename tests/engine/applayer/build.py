"""Build real TCP/UDP packets (scapy) for a conversation, and feed them to a FlowParser.

`Conversation` keeps each side's sequence number: `client(data)` / `server(data)` append the
segments (split at `mss`) with correct seq/ack; `packets` is the capture in order. Tests then
reorder, duplicate or drop packets to play what a real network capture does.
"""

from __future__ import annotations

import gzip
import random
from dataclasses import dataclass, field

from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.l2 import Ether
from scapy.packet import Packet, Raw

from lanward.engine.applayer import FlowParser
from lanward.engine.events import AppEvent, FlowKey

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
EICAR_SHA256 = "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"
CLIENT_MAC, SERVER_MAC = "02:00:00:00:00:02", "02:00:00:00:00:01"


@dataclass
class Conversation:
    client_ip: str = "192.168.1.20"
    client_port: int = 40000
    server_ip: str = "192.168.1.1"
    server_port: int = 80
    mss: int = 1400
    client_isn: int = 1000
    server_isn: int = 5000
    ts_ms: int = 1_700_000_000_000
    packets: list[Packet] = field(default_factory=list)
    acks: bool = True

    def __post_init__(self) -> None:
        self.seq = {True: self.client_isn, False: self.server_isn}

    @property
    def key(self) -> FlowKey:
        return FlowKey(
            self.client_ip, self.client_port, self.server_ip, self.server_port, 6, flow_id=1
        )

    def _packet(self, to_server: bool, flags: str, payload: bytes = b"") -> Packet:
        src, dst = (
            (self.client_ip, self.server_ip) if to_server else (self.server_ip, self.client_ip)
        )
        sport, dport = (
            (self.client_port, self.server_port)
            if to_server
            else (self.server_port, self.client_port)
        )
        seq = self.seq[to_server] % (1 << 32)
        ack = self.seq[not to_server] % (1 << 32) if "A" in flags else 0
        macs = (CLIENT_MAC, SERVER_MAC) if to_server else (SERVER_MAC, CLIENT_MAC)
        pkt = (
            Ether(src=macs[0], dst=macs[1])
            / IP(src=src, dst=dst)
            / TCP(sport=sport, dport=dport, seq=seq, ack=ack, flags=flags)
        )
        if payload:
            pkt = pkt / Raw(payload)
        self.ts_ms += 1
        pkt.time = self.ts_ms / 1000
        return pkt

    def handshake(self) -> Conversation:
        self.packets.append(self._packet(True, "S"))
        self.seq[True] += 1
        self.packets.append(self._packet(False, "SA"))
        self.seq[False] += 1
        self.packets.append(self._packet(True, "A"))
        return self

    def send(self, to_server: bool, data: bytes, mss: int | None = None) -> Conversation:
        size = mss or self.mss
        for start in range(0, len(data), size):
            chunk = data[start : start + size]
            self.packets.append(self._packet(to_server, "PA", chunk))
            self.seq[to_server] += len(chunk)
        if self.acks and data:
            self.packets.append(self._packet(not to_server, "A"))
        return self

    def client(self, data: bytes, mss: int | None = None) -> Conversation:
        return self.send(True, data, mss)

    def server(self, data: bytes, mss: int | None = None) -> Conversation:
        return self.send(False, data, mss)

    def finish(self) -> Conversation:
        self.packets.append(self._packet(True, "FA"))
        self.seq[True] += 1
        self.packets.append(self._packet(False, "FA"))
        self.seq[False] += 1
        self.packets.append(self._packet(True, "A"))
        return self


def feed(
    key: FlowKey, packets: list[Packet], close: bool = True
) -> tuple[list[AppEvent], FlowParser]:
    """Run the packets through one FlowParser; the parser is returned to check `failure`."""
    parser = FlowParser(key)
    events: list[AppEvent] = []
    ts = 0
    for pkt in packets:
        ip = pkt.getlayer(IP)
        assert ip is not None
        ts = int(float(pkt.time) * 1000)
        to_server = ip.src == key.src_ip and ip[TCP if TCP in ip else UDP].sport == key.src_port
        events += parser.packet(ts, to_server, bytes(ip))
    if close:
        events += parser.close(ts + 1)
    assert parser.failure is None, parser.failure
    return events, parser


def shuffled_data(packets: list[Packet], seed: int = 1) -> list[Packet]:
    """The handshake, then each side's data segments in a random order; bare ACKs dropped.

    Each side's messages keep their order relative to the other side's (a server answers only
    what it received), as in a real capture; within a message the segments are shuffled.
    Bare ACKs are dropped: one that covers bytes not yet seen would say, rightly, that the
    capture lost them.
    """
    rng = random.Random(seed)
    out = [p for p in packets if p[TCP].flags & 0x02]
    run: list[Packet] = []
    side = None
    for p in packets:
        if not len(p[TCP].payload):
            continue
        sender = p[IP].src
        if sender != side and run:
            rng.shuffle(run)
            out += run
            run = []
        side = sender
        run.append(p)
    rng.shuffle(run)
    return out + run


def udp(src: str, sport: int, dst: str, dport: int, payload: bytes) -> Packet:
    pkt = Ether() / IP(src=src, dst=dst) / UDP(sport=sport, dport=dport) / Raw(payload)
    pkt.time = 1_700_000_000
    return pkt


def http_response(
    body: bytes, headers: dict[str, str] | None = None, status: str = "200 OK"
) -> bytes:
    lines = [f"HTTP/1.1 {status}"] + [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def chunked(body: bytes, size: int = 7) -> bytes:
    out = b""
    for start in range(0, len(body), size):
        part = body[start : start + size]
        out += f"{len(part):x}\r\n".encode() + part + b"\r\n"
    return out + b"0\r\n\r\n"


def gzipped(body: bytes) -> bytes:
    return gzip.compress(body, mtime=0)
