"""Run FlowParsers over a capture file, without the flow meter: for tests and the benchmark.

Packets are grouped by 5-tuple (either direction) in the order the file holds them; the client
is the first sender unless `sent_by_server` says the capture began with the server's answer.
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass, field
from pathlib import Path

from scapy.layers.inet import IP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import Ether
from scapy.packet import Packet
from scapy.utils import PcapNgReader, PcapReader, wrpcap

from lanward.engine.applayer import FlowParser
from lanward.engine.applayer.flow import sent_by_server
from lanward.engine.applayer.packet import decode
from lanward.engine.events import AppEvent, FlowKey


def ip_packets(path: Path) -> list[tuple[int, bytes]]:
    """(time in ms, the IP packet) of each IPv4/IPv6 packet in the file, in file order."""
    reader_class = PcapNgReader if path.read_bytes()[:4] == b"\x0a\x0d\x0d\x0a" else PcapReader
    out = []
    with reader_class(str(path)) as reader:
        for pkt in reader:
            layer = pkt.getlayer(IP) or pkt.getlayer(IPv6)
            if layer is not None:
                out.append((int(float(pkt.time) * 1000), bytes(layer)))
    return out


def _endpoints(ip: bytes) -> tuple[str, str, int, int, int] | None:
    seg = decode(ip)
    if seg is None:
        return None
    if ip[0] >> 4 == 4:
        src, dst = ".".join(map(str, ip[12:16])), ".".join(map(str, ip[16:20]))
    else:
        src, dst = str(ipaddress.IPv6Address(ip[8:24])), str(ipaddress.IPv6Address(ip[24:40]))
    return src, dst, seg.src_port, seg.dst_port, seg.protocol


@dataclass
class Run:
    events: list[AppEvent] = field(default_factory=list)
    parsers: dict[tuple, FlowParser] = field(default_factory=dict)
    packets: int = 0
    seconds: float = 0.0  # spent inside FlowParser.packet/close only

    @property
    def failures(self) -> list[str]:
        return [f"{p.flow}: {p.failure}" for p in self.parsers.values() if p.failure]

    def of(self, kind: type) -> list:
        return [e for e in self.events if isinstance(e, kind)]


def run_packets(packets: list[tuple[int, bytes]]) -> Run:
    run = Run()
    last_ts = 0
    for ts, ip in packets:
        ends = _endpoints(ip)
        if ends is None:
            continue
        src, dst, sport, dport, proto = ends
        key = (proto, *sorted([(src, sport), (dst, dport)]))
        parser = run.parsers.get(key)
        if parser is None:
            seg = decode(ip)
            assert seg is not None
            if sent_by_server(proto, sport, dport, bool(seg.flags & 0x02), bool(seg.flags & 0x10)):
                src, dst, sport, dport = dst, src, dport, sport
            parser = FlowParser(FlowKey(src, sport, dst, dport, proto, flow_id=len(run.parsers)))
            run.parsers[key] = parser
        to_server = (ends[0], ends[2]) == (parser.flow.src_ip, parser.flow.src_port)  # the sender
        started = time.perf_counter()
        run.events += parser.packet(ts, to_server, ip)
        run.seconds += time.perf_counter() - started
        run.packets += 1
        last_ts = ts
    started = time.perf_counter()
    for parser in run.parsers.values():
        run.events += parser.close(last_ts)
    run.seconds += time.perf_counter() - started
    return run


def run_pcap(path: Path) -> Run:
    return run_packets(ip_packets(path))


def write(path: Path, packets: list[Packet]) -> Path:
    wrpcap(str(path), packets)
    return path


__all__ = ["Ether", "Run", "ip_packets", "run_packets", "run_pcap", "write"]
