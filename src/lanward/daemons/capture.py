"""Capture: the I/O edge that turns a pcap file or a live interface into engine events.

Two captures feed the engine. nfstream (nDPI) meters every flow; a second nfstream capture,
narrowed by a BPF filter to the low-volume discovery protocols, hands those packets to the
sans-IO parser (`lanward.engine.parse`). Per-packet Python work is thus limited to discovery
traffic. A third, in `daemons/applayer.py`, reads payloads into application-layer events
(HTTP, DNS, TLS hellos, clear-text sign-ins), and ARP is read beside them.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lanward.daemons.applayer import app_events, arp_events
from lanward.daemons.relink import meterable
from lanward.engine import parse
from lanward.engine.events import Flow
from lanward.engine.pipeline import Engine

MAX_DISCOVERY_PACKETS_PER_FLOW = 64

# libpcap link types nfstream can meter, and whether frames carry MAC addresses.
LINKTYPES = {
    1: ("Ethernet", True),
    113: ("Linux cooked (SLL)", True),
    276: ("Linux cooked v2", True),
    101: ("raw IP", False),
    12: ("raw IP", False),
    0: ("BSD loopback", False),
    104: ("Cisco HDLC", False),
}


class CaptureError(Exception):
    """A capture cannot be read; the message says what to do (one line)."""


@dataclass
class CaptureInfo:
    path: Path
    format: str
    linktype: int
    link_name: str
    truncated: bool = False
    size: int = 0


def inspect_file(path: Path) -> CaptureInfo:
    """Check a capture file before metering it: exists, readable, pcap/pcapng, known link type."""
    if not path.exists():
        raise CaptureError(f"{path}: no such file. Check the path, or capture one with tcpdump -w.")
    if path.is_dir():
        raise CaptureError(f"{path} is a directory. Give the path of a .pcap or .pcapng file.")
    if not os.access(path, os.R_OK):
        raise CaptureError(
            f"{path}: permission denied. Make the file readable or run as its owner."
        )
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(64)
    if len(head) < 24:
        raise CaptureError(
            f"{path} is empty or too short to be a capture ({size} bytes). Record a longer capture."
        )
    magic = head[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian, fmt = "<", "pcap"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian, fmt = ">", "pcap"
    elif magic == b"\x0a\x0d\x0d\x0a":
        fmt = "pcapng"
        endian = "<" if head[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
    else:
        raise CaptureError(
            f"{path} is not a pcap or pcapng capture (it starts with {magic.hex()}). "
            "Save the capture in pcap or pcapng format."
        )
    if fmt == "pcap":
        linktype = struct.unpack(endian + "I", head[20:24])[0] & 0x0FFFFFFF
    else:
        linktype = _pcapng_linktype(path, endian)
    if linktype not in LINKTYPES:
        raise CaptureError(
            f"{path} has link type {linktype}, which lanward cannot read. "
            "Capture on an Ethernet or Wi-Fi interface in Ethernet mode (tcpdump -i IF -w FILE)."
        )
    return CaptureInfo(path, fmt, linktype, LINKTYPES[linktype][0], size=size)


def _pcapng_linktype(path: Path, endian: str) -> int:
    with path.open("rb") as fh:
        data = fh.read(1 << 16)
    offset = 0
    while offset + 12 <= len(data):
        block_type, block_len = struct.unpack(endian + "II", data[offset : offset + 8])
        if block_type == 1 and offset + 10 <= len(data):  # Interface Description Block
            return struct.unpack(endian + "H", data[offset + 8 : offset + 10])[0]
        if block_len < 12:
            break
        offset += block_len
    raise CaptureError(
        f"{path}: the pcapng file has no interface description. The file is damaged; capture it again."
    )


def check_truncation(info: CaptureInfo) -> bool:
    """True when the last packet record of a pcap file is cut short."""
    if info.format != "pcap":
        return _pcapng_truncated(info)
    endian = "<"
    with info.path.open("rb") as fh:
        header = fh.read(24)
        if header[:4] in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
            endian = ">"
        offset = 24
        while True:
            fh.seek(offset)
            rec = fh.read(16)
            if not rec:
                return False
            if len(rec) < 16:
                return True
            incl_len = struct.unpack(endian + "I", rec[8:12])[0]
            offset += 16 + incl_len
            if offset > info.size:
                return True


def _pcapng_truncated(info: CaptureInfo) -> bool:
    endian = "<"
    with info.path.open("rb") as fh:
        head = fh.read(12)
        if head[8:12] == b"\x1a\x2b\x3c\x4d":
            endian = ">"
        offset = 0
        while offset < info.size:
            fh.seek(offset)
            rec = fh.read(8)
            if len(rec) < 8:
                return True
            block_len = struct.unpack(endian + "I", rec[4:8])[0]
            if block_len < 12:
                return True
            offset += block_len
        return offset > info.size


def _nfstream(source: str, **kwargs: Any) -> Any:
    from nfstream import NFStreamer

    return NFStreamer(source=source, **kwargs)


def to_flow(f: Any) -> Flow:
    return Flow(
        src_ip=f.src_ip,
        dst_ip=f.dst_ip,
        src_port=int(f.src_port),
        dst_port=int(f.dst_port),
        protocol=int(f.protocol),
        src_mac=f.src_mac or "",
        dst_mac=f.dst_mac or "",
        first_seen_ms=int(f.bidirectional_first_seen_ms),
        last_seen_ms=int(f.bidirectional_last_seen_ms),
        src2dst_packets=int(f.src2dst_packets),
        src2dst_bytes=int(f.src2dst_bytes),
        dst2src_packets=int(f.dst2src_packets),
        dst2src_bytes=int(f.dst2src_bytes),
        app=f.application_name or "",
        category=f.application_category_name or "",
        sni=f.requested_server_name or "",
        user_agent=f.user_agent or "",
        ja4=f.client_fingerprint or "",
        content_type=f.content_type or "",
        ip_version=int(f.ip_version),
        vlan_id=int(f.vlan_id),
    )


def _discovery_plugin() -> Any:
    from nfstream import NFPlugin

    class DiscoveryPackets(NFPlugin):  # type: ignore[misc]
        """Keeps the raw IP packets of discovery flows on the flow (the meter runs elsewhere)."""

        def on_init(self, packet: Any, flow: Any) -> None:
            flow.udps.discovery = []
            self.on_update(packet, flow)

        def on_update(self, packet: Any, flow: Any) -> None:
            kept = flow.udps.discovery
            if len(kept) < MAX_DISCOVERY_PACKETS_PER_FLOW:
                kept.append((int(packet.time), packet.src_mac or "", bytes(packet.ip_packet)))

    return DiscoveryPackets()


def discovery_events(source: str, **kwargs: Any) -> Iterator[Any]:
    streamer = _nfstream(
        source,
        bpf_filter=parse.DISCOVERY_BPF,
        udps=_discovery_plugin(),
        n_dissections=0,
        statistical_analysis=False,
        **kwargs,
    )
    for flow in streamer:
        for ts_ms, mac, packet in getattr(flow.udps, "discovery", []):
            yield from parse.parse(packet, mac, ts_ms)


def flows(source: str, **kwargs: Any) -> Iterator[Flow]:
    streamer = _nfstream(source, n_dissections=20, statistical_analysis=False, **kwargs)
    for f in streamer:
        yield to_flow(f)


def analyze_file(
    path: Path, engine: Engine, progress: Callable[[int], None] | None = None
) -> CaptureInfo:
    """Run a capture file through the engine. Raises CaptureError with a one-line reason."""
    info = inspect_file(path)
    info.truncated = check_truncation(info)
    bound_flow_table(engine.config.max_flows)
    dropped_before = dropped_flows()
    try:
        with meterable(path, info.linktype) as source:  # SLL2: an SLL copy nfstream can read
            for event in discovery_events(str(source)):
                engine.discovery(event)
            for arp in arp_events(str(source)):
                engine.arp(arp)
            for app_event in app_events(str(source)):
                engine.app_event(app_event)
            for n, flow in enumerate(flows(str(source)), 1):
                engine.flow(flow)
                if progress and n % 1000 == 0:
                    progress(n)
    except (ValueError, RuntimeError, OSError) as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if engine.flow_count or engine.devices.devices:
            info.truncated = True
            return info
        raise CaptureError(
            f"{path}: the capture could not be read ({message}). Is it damaged? Capture it again."
        ) from exc
    dropped = dropped_flows() - dropped_before
    if dropped:
        engine.note_dropped_flows(dropped, engine.config.max_flows)
    if info.truncated and not (engine.flow_count or engine.devices.devices):
        raise CaptureError(
            f"{path} is damaged before its first complete packet, so nothing could be read. "
            "Capture it again."
        )
    return info


def repair_live_flow_expiry() -> None:
    """Make nfstream expire idle flows on time in live captures. Call before the first capture.

    nfstream keeps its flows in an LRU cache and expires them by scanning from the least recently
    used end, stopping at the first flow that is not idle. But it moves a flow to the recent end
    only when it creates it, not when a packet updates it (nfstream 6.6: `NFCache.__getitem__`).
    On a live network the oldest long-lived flow (an mDNS announcer, a video stream) then holds
    back the expiry of every newer flow until its active timeout: the station saw nothing for a
    minute. With files it only delays output. This replaces the cache in the meter processes
    (forked from this one) with one that does move updated flows, and leaves the idle scan's
    look at the oldest flow without effect on the order.
    """
    from collections import OrderedDict

    from nfstream import meter

    if getattr(meter.NFCache, "lanward_repaired", False):
        return

    class FlowCache(meter.NFCache):  # type: ignore[misc,name-defined]
        lanward_repaired = True

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.scan_key: Any = None

        def get_lru_key(self) -> Any:
            self.scan_key = next(iter(self))
            return self.scan_key

        def __getitem__(self, key: Any) -> Any:
            flow: Any = OrderedDict.__getitem__(self, key)
            if key == self.scan_key:  # the idle scan looking at the oldest flow
                self.scan_key = None
            else:  # a packet updating the flow
                self.move_to_end(key)
            return flow

    meter.NFCache = FlowCache


def stop_meters(timeout: float = 5.0) -> None:
    """End the meter processes of live captures: they do not end on SIGTERM.

    nfstream forks its meters from this process, so they inherit the daemon's Python SIGTERM
    handler, which cannot run while they wait in libpcap; the exit would hang joining them.
    """
    import multiprocessing

    children = multiprocessing.active_children()
    for child in children:
        child.kill()
    for child in children:
        child.join(timeout)


def check_interface(name: str) -> None:
    """Fail early, in one line, when the interface is missing or we may not capture on it."""
    if not Path(f"/sys/class/net/{name}").exists():
        available = (
            ", ".join(sorted(p.name for p in Path("/sys/class/net").iterdir()))
            if Path("/sys/class/net").exists()
            else "?"
        )
        raise CaptureError(f"there is no network interface named {name!r}. Available: {available}.")


def describe_live_error(exc: Exception, interface: str) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if "permission" in text.lower() or "operation not permitted" in text.lower():
        return f"no permission to capture on {interface}: run as root or grant cap_net_raw."
    if "no such device" in text.lower():
        return f"the interface {interface} went away ({text})."
    return text


_dropped_flows: Any = None


def bound_flow_table(max_flows: int) -> None:
    """Cap nfstream's flow table (per meter process) at `max_flows` flows.

    nfstream keeps flows in least-recently-used order; past the cap the least recently used flow
    (the one idle longest) is dropped and counted, so memory stays bounded under a flood of new
    flows (a scan, a DDoS reflection). Call before the first capture: the meters are forked from
    this process and inherit the cache class and the shared counter.
    """
    global _dropped_flows
    import multiprocessing
    from collections import OrderedDict

    from nfstream import meter

    if max_flows <= 0:
        return
    if _dropped_flows is None:
        _dropped_flows = multiprocessing.get_context("fork").Value("q", 0)
    counter = _dropped_flows
    base = getattr(meter.NFCache, "lanward_base", meter.NFCache)

    class BoundedFlowCache(base):  # type: ignore[misc,valid-type]
        lanward_base = base
        lanward_max_flows = max_flows

        def __setitem__(self, key: Any, value: Any) -> None:
            new = not OrderedDict.__contains__(self, key)
            super().__setitem__(key, value)
            if new and len(self) > max_flows:
                oldest = next(iter(self))
                if oldest != key:
                    OrderedDict.__delitem__(self, oldest)
                    with counter.get_lock():
                        counter.value += 1

    meter.NFCache = BoundedFlowCache


def dropped_flows() -> int:
    """How many flows the bounded flow table has dropped so far (all meters)."""
    return int(_dropped_flows.value) if _dropped_flows is not None else 0
