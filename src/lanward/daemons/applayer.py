"""The capture edge of application-layer inspection: nfstream packets to FlowParsers, and ARP.

`app_events` runs a third nfstream capture whose plugin feeds every packet of a flow to an
`engine.applayer.FlowParser` inside the meter process and leaves only the small events on the
flow (`flow.udps.app_events`), never payloads. A capture file is inspected whole, without a
BPF filter (a filter such as "tcp or udp port 53" misses VLAN-tagged and PPPoE packets); a
live interface only on `INSPECT_PORTS` (or LANWARD_INSPECT_PORTS), since every inspected packet
costs Python work. A flow the meter cuts at its active timeout keeps its
parser, so a long download or session is read on as one stream.

ARP is not IP, so nfstream does not see it: `arp_events` reads a capture file's records
(scapy's raw pcap/pcapng readers) and `live_arp_events` a packet socket.
"""

from __future__ import annotations

import logging
import os
import socket
import struct
import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from lanward.engine.applayer import FlowParser
from lanward.engine.applayer.arp import ETHERTYPE_ARP, LINKTYPE_ETHERNET, arp_from_frame
from lanward.engine.applayer.flow import sent_by_server
from lanward.engine.events import AppEvent, ArpSeen, FlowKey

# Live capture inspects these ports (both directions): web, proxies, the clear-text sign-in
# protocols, TLS hellos and DNS. A file is inspected on every port.
INSPECT_PORTS = (
    21,
    23,
    25,
    53,
    80,
    110,
    143,
    443,
    587,
    2323,
    3128,
    8000,
    8008,
    8080,
    8081,
    8443,
    8888,
)
MAX_EVENTS_PER_FLOW = 2000  # kept on one metered flow; past it they are counted, not kept
MAX_CARRIED = 4096  # parsers carried over an active-timeout cut, per meter process
_ACTIVE_TIMEOUT = 1  # nfstream's expiration_id for a flow cut at its active timeout


def live_bpf(ports: tuple[int, ...] = INSPECT_PORTS) -> str:
    if not ports:
        raise ValueError("no ports to inspect: give at least one port")
    tcp = " or ".join(f"port {int(p)}" for p in sorted(set(ports)))
    return f"(tcp and ({tcp})) or (udp and port 53)"


def parse_ports(text: str) -> tuple[int, ...]:
    """'80,8080, 21' -> (80, 8080, 21); ValueError saying what is wrong."""
    ports = []
    for part in text.replace(" ", ",").split(","):
        if not part:
            continue
        if not part.isdigit() or not 0 < int(part) < 65536:
            raise ValueError(f"{part!r} is not a port number (1-65535)")
        ports.append(int(part))
    if not ports:
        raise ValueError("no ports given")
    return tuple(ports)


def _flow_key(packet: Any, flow: Any, flow_id: int) -> FlowKey:
    src, dst = (
        (flow.src_ip, int(flow.src_port), flow.src_mac or ""),
        (
            flow.dst_ip,
            int(flow.dst_port),
            flow.dst_mac or "",
        ),
    )
    if sent_by_server(int(flow.protocol), src[1], dst[1], bool(packet.syn), bool(packet.ack)):
        src, dst = dst, src
    return FlowKey(
        src_ip=src[0],
        src_port=src[1],
        dst_ip=dst[0],
        dst_port=dst[1],
        protocol=int(flow.protocol),
        src_mac=src[2],
        dst_mac=dst[2],
        flow_id=flow_id,
    )


def _tuple(flow: Any) -> tuple[Any, ...]:
    ends = sorted([(flow.src_ip, int(flow.src_port)), (flow.dst_ip, int(flow.dst_port))])
    return (int(flow.protocol), int(flow.vlan_id), *ends)


def _plugin() -> Any:
    from nfstream import NFPlugin

    class AppLayer(NFPlugin):  # type: ignore[misc]
        """Runs a FlowParser per flow inside the meter; leaves its events on flow.udps."""

        def __init__(self) -> None:
            super().__init__()
            self.carried: OrderedDict[tuple[Any, ...], FlowParser] = OrderedDict()
            self.flows = 0

        def on_init(self, packet: Any, flow: Any) -> None:
            flow.udps.app_events = []
            flow.udps.app_events_dropped = 0
            if int(flow.protocol) != 6 and 53 not in (int(flow.src_port), int(flow.dst_port)):
                flow.udps.applayer = None  # neither TCP nor DNS: nothing to read
                return
            parser = self.carried.pop(_tuple(flow), None)
            if parser is None:
                # nfstream numbers flows only later, in the main process; this id is unique
                # across the meter processes (each has its own copy of this plugin).
                self.flows += 1
                parser = FlowParser(_flow_key(packet, flow, (os.getpid() << 32) | self.flows))
            flow.udps.applayer = parser
            self.on_update(packet, flow)

        def on_update(self, packet: Any, flow: Any) -> None:
            parser: FlowParser | None = flow.udps.applayer
            if parser is None:
                return
            key = parser.flow
            to_server = packet.src_ip == key.src_ip and int(packet.src_port) == key.src_port
            self._keep(flow, parser.packet(int(packet.time), to_server, packet.ip_packet))

        def on_expire(self, flow: Any) -> None:
            parser: FlowParser | None = flow.udps.applayer
            del flow.udps.applayer  # only the events travel back to the main process
            if parser is None:
                return
            if flow.expiration_id == _ACTIVE_TIMEOUT and not parser.closed:
                self.carried[_tuple(flow)] = parser
                while len(self.carried) > MAX_CARRIED:
                    self.carried.popitem(last=False)
                return
            self._keep(flow, parser.close(int(flow.bidirectional_last_seen_ms)))

        def _keep(self, flow: Any, events: list[AppEvent]) -> None:
            if not events:
                return
            kept: list[AppEvent] = flow.udps.app_events
            room = MAX_EVENTS_PER_FLOW - len(kept)
            kept.extend(events[: max(0, room)])
            flow.udps.app_events_dropped += max(0, len(events) - max(0, room))

    return AppLayer()


def app_events(source: str, bpf_filter: str | None = None, **kwargs: Any) -> Iterator[AppEvent]:
    """The application-layer events of a capture file or live interface, as flows end.

    For a live interface pass `bpf_filter=live_bpf(ports)`.
    """
    from nfstream import NFStreamer

    streamer = NFStreamer(
        source=source,
        bpf_filter=bpf_filter,
        udps=_plugin(),
        n_dissections=0,
        statistical_analysis=False,
        **kwargs,
    )
    for flow in streamer:
        yield from getattr(flow.udps, "app_events", [])


# --- ARP ---------------------------------------------------------------------------------------


def arp_events(path: str) -> Iterator[ArpSeen]:
    """ARP messages in a pcap or pcapng file, in file order (Ethernet, VLAN, Linux cooked)."""
    from scapy.error import Scapy_Exception
    from scapy.utils import RawPcapReader

    try:
        reader = RawPcapReader(path)
    except (Scapy_Exception, OSError, EOFError) as exc:
        raise ValueError(f"cannot read {path} for ARP: {exc}") from exc
    records = iter(reader)
    # scapy logs a warning for a record cut short; the flow capture reports such a file once.
    quiet = logging.getLogger("scapy.runtime")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        while True:
            try:
                data, meta_record = next(records)
            except StopIteration:
                return
            except (Scapy_Exception, ValueError, OSError, struct.error):
                return  # a damaged tail: the flow capture reports it
            meta: Any = meta_record  # pcap and pcapng records carry different fields
            if hasattr(meta, "tshigh"):
                ts_ms = ((meta.tshigh << 32) | meta.tslow) * 1000 // max(1, meta.tsresol)
                linktype = meta.linktype
            else:
                scale = 1_000_000 if getattr(reader, "nano", False) else 1000
                ts_ms = meta.sec * 1000 + meta.usec // scale
                linktype = getattr(reader, "linktype", LINKTYPE_ETHERNET)
            event = arp_from_frame(bytes(data), int(ts_ms), int(linktype))
            if event is not None:
                yield event
    finally:
        quiet.setLevel(level)
        reader.close()


def live_arp_events(
    interface: str, stop: threading.Event | None = None, timeout: float = 1.0
) -> Iterator[ArpSeen]:
    """ARP messages on a live interface, from a packet socket, until `stop` is set."""
    import time

    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETHERTYPE_ARP))
    try:
        sock.bind((interface, 0))
        sock.settimeout(timeout)
        while stop is None or not stop.is_set():
            try:
                frame = sock.recv(65535)
            except TimeoutError:
                continue
            event = arp_from_frame(frame, int(time.time() * 1000), LINKTYPE_ETHERNET)
            if event is not None:
                yield event
    finally:
        sock.close()
