"""Port scans and address sweeps, from flows that were probes.

A probe is a flow that carried no data: a TCP handshake the responder refused or half-answered
(at most one packet back, no payload either way) or a UDP packet nobody answered, or an ICMP
echo. Within a sliding window (`scan_window_s`, 60 s) a source that probes many ports of one host
(`scan_ports`, 6: a client never touches six closed ports of one machine in a minute, and the
Emerging Threats scan rules use about five) is running a port scan (`vertical`); one that probes
one port on many hosts (`scan_hosts`, 15) is sweeping the network (`horizontal`).

A home device doing it gets kind `scan` (medium: fine when it is you running a network tool,
worrying from a camera or a plug); an outside host probing home addresses gets `scan_inbound`.
One alert per (source, kind, pattern) per window. State is bounded: `max_sources` tracked at
once (the idlest dropped), `max_probes` remembered per source, and probes older than the window
expire by flow time (never by a clock).
"""

from __future__ import annotations

import ipaddress
from collections import Counter, OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any, TypeVar

from lanward.engine.detect.alerts import HomeNets, alert
from lanward.engine.events import Flow

TCP, UDP, ICMP = 6, 17, 1
NO_PAYLOAD_BYTES = 100  # largest frame of a bare SYN/SYN-ACK/RST, options and IPv6 included

Target = tuple[str, int, int]  # host, protocol, port
Service = tuple[int, int]  # protocol, port


def is_probe(flow: Flow) -> bool:
    """True when the flow carried nothing: refused, half-open or unanswered."""
    if flow.protocol == TCP:
        up = flow.src2dst_bytes / max(flow.src2dst_packets, 1)
        down = flow.dst2src_bytes / max(flow.dst2src_packets, 1)
        return (
            flow.dst2src_packets <= 1
            and flow.src2dst_packets <= 3
            and up <= NO_PAYLOAD_BYTES
            and down <= NO_PAYLOAD_BYTES
        )
    if flow.protocol == UDP:
        return flow.dst2src_packets == 0 and flow.src2dst_packets <= 2
    return flow.protocol == ICMP and flow.src2dst_packets <= 2


def _unicast(ip: str) -> bool:
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return not (addr.is_multicast or addr.is_unspecified or ip == "255.255.255.255")


K = TypeVar("K")
V = TypeVar("V")


def _decrement(table: dict[K, Counter[V]], key: K, item: V) -> None:
    counter = table[key]
    counter[item] -= 1
    if counter[item] <= 0:
        del counter[item]
    if not counter:
        del table[key]


@dataclass
class SourceState:
    """The recent probes of one source, with the counts kept in step as probes come and go."""

    probes: deque[tuple[int, Target]] = field(default_factory=deque)
    ports_by_host: dict[str, Counter[Service]] = field(default_factory=dict)
    hosts_by_service: dict[Service, Counter[str]] = field(default_factory=dict)
    now_ms: int = 0
    alerted: dict[tuple[str, str], int] = field(default_factory=dict)

    def add(self, ts_ms: int, target: Target) -> None:
        host, proto, port = target
        self.probes.append((ts_ms, target))
        self.ports_by_host.setdefault(host, Counter())[(proto, port)] += 1
        self.hosts_by_service.setdefault((proto, port), Counter())[host] += 1

    def drop_oldest(self) -> None:
        _, (host, proto, port) = self.probes.popleft()
        _decrement(self.ports_by_host, host, (proto, port))
        _decrement(self.hosts_by_service, (proto, port), host)

    def expire(self, cutoff_ms: int, max_probes: int) -> None:
        while self.probes and (self.probes[0][0] < cutoff_ms or len(self.probes) > max_probes):
            self.drop_oldest()
        for key, when in list(self.alerted.items()):
            if when < cutoff_ms:
                del self.alerted[key]


class ScanDetector:
    def __init__(
        self,
        window_s: int = 60,
        ports: int = 6,
        hosts: int = 15,
        max_sources: int = 1024,
        max_probes: int = 512,
    ) -> None:
        self.home = HomeNets()
        self.window_ms = window_s * 1000
        self.ports = ports
        self.hosts = hosts
        self.max_sources = max_sources
        self.max_probes = max_probes
        self.sources: OrderedDict[str, SourceState] = OrderedDict()

    def configure(self, config: Any) -> None:
        self.home = HomeNets(tuple(config.home_nets))
        self.window_ms = int(getattr(config, "scan_window_s", 60)) * 1000
        self.ports = int(getattr(config, "scan_ports", self.ports))
        self.hosts = int(getattr(config, "scan_hosts", self.hosts))

    def _state(self, src: str, ts_ms: int) -> SourceState:
        state = self.sources.get(src)
        if state is None:
            state = self.sources[src] = SourceState(now_ms=ts_ms)
        self.sources.move_to_end(src)
        # Forget sources idle past the window (the front is the longest idle), then the cap.
        while self.sources:
            oldest_src, oldest = next(iter(self.sources.items()))
            if oldest_src != src and (
                len(self.sources) > self.max_sources or oldest.now_ms < ts_ms - self.window_ms
            ):
                del self.sources[oldest_src]
            else:
                break
        return state

    def flow_end(self, flow: Flow) -> list[dict[str, Any]]:
        if not is_probe(flow) or not _unicast(flow.dst_ip):
            return []
        src_home, dst_home = flow.src_ip in self.home, flow.dst_ip in self.home
        if src_home:
            kind = "scan"
        elif dst_home:
            kind = "scan_inbound"
        else:
            return []
        ts = flow.last_seen_ms
        state = self._state(flow.src_ip, ts)
        state.now_ms = max(state.now_ms, ts)
        target = (flow.dst_ip, flow.protocol, flow.dst_port if flow.protocol != ICMP else 0)
        state.add(ts, target)
        state.expire(state.now_ms - self.window_ms, self.max_probes)
        out = []
        ports = state.ports_by_host.get(flow.dst_ip, Counter())
        if len(ports) >= self.ports and (kind, "vertical") not in state.alerted:
            state.alerted[(kind, "vertical")] = state.now_ms
            out.append(self._vertical(flow, kind, sorted(p for _, p in ports)))
        hosts = state.hosts_by_service.get(target[1:], Counter())
        if len(hosts) >= self.hosts and (kind, "horizontal") not in state.alerted:
            state.alerted[(kind, "horizontal")] = state.now_ms
            out.append(self._horizontal(flow, kind, target[1], target[2], sorted(hosts)))
        return out

    def _mac(self, flow: Flow, kind: str) -> str:
        return flow.src_mac if kind == "scan" else flow.dst_mac

    def _who(self, flow: Flow, kind: str) -> str:
        if kind == "scan":
            return f"The home device {flow.src_ip}"
        return f"{flow.src_ip}, an address outside the home,"

    def _vertical(self, flow: Flow, kind: str, ports: list[int]) -> dict[str, Any]:
        window = self.window_ms // 1000
        why = (
            "Network tools do this; a camera, plug or TV doing it is likely infected."
            if kind == "scan"
            else "Something outside can reach into the home: check port forwarding and the firewall."
        )
        return alert(
            kind,
            "medium",
            flow.last_seen_ms,
            flow.src_ip,
            flow.dst_ip,
            self._mac(flow, kind),
            f"{self._who(flow, kind)} tried {len(ports)} different ports of {flow.dst_ip} within "
            f"{window} s without exchanging data: a port scan, looking for services to break into. "
            + why,
            app=flow.app,
            evidence={
                "pattern": "vertical",
                "ports": ports[:64],
                "port_count": len(ports),
                "window_s": window,
                "threshold": self.ports,
            },
        )

    def _horizontal(
        self, flow: Flow, kind: str, proto: int, port: int, hosts: list[str]
    ) -> dict[str, Any]:
        window = self.window_ms // 1000
        what = "ping" if proto == ICMP else f"port {port}"
        return alert(
            kind,
            "medium",
            flow.last_seen_ms,
            flow.src_ip,
            flow.dst_ip,
            self._mac(flow, kind),
            f"{self._who(flow, kind)} probed {what} on {len(hosts)} different addresses within "
            f"{window} s without exchanging data: a sweep, looking for machines to attack. "
            "Worms spread this way; if no one at home is running a network tool, check the device.",
            app=flow.app,
            evidence={
                "pattern": "horizontal",
                "protocol": proto,
                "port": port,
                "hosts": hosts[:64],
                "host_count": len(hosts),
                "window_s": window,
                "threshold": self.hosts,
            },
        )
