"""Typed events that flow through the pipeline. Times are milliseconds since the epoch."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Flow:
    """A finished (or expired) bidirectional flow, as the flow meter reports it."""

    src_ip: str
    dst_ip: str
    src_port: int
    dst_port: int
    protocol: int
    src_mac: str
    dst_mac: str
    first_seen_ms: int
    last_seen_ms: int
    src2dst_packets: int
    src2dst_bytes: int
    dst2src_packets: int
    dst2src_bytes: int
    app: str = ""
    category: str = ""
    sni: str = ""
    user_agent: str = ""
    ja4: str = ""
    content_type: str = ""
    ip_version: int = 4
    vlan_id: int = 0


@dataclass(frozen=True, slots=True)
class DhcpSeen:
    """A DHCP (or DHCPv6) client message."""

    mac: str
    ts_ms: int
    message_type: str = ""
    hostname: str = ""
    param_list: tuple[int, ...] = ()
    vendor_class: str = ""
    client_id: str = ""
    requested_ip: str = ""
    ip: str = ""
    v6: bool = False


@dataclass(frozen=True, slots=True)
class MdnsSeen:
    """Names and services a device announces over multicast DNS / DNS-SD."""

    mac: str
    ip: str
    ts_ms: int
    names: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    txt: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class SsdpSeen:
    """An SSDP NOTIFY, M-SEARCH or response."""

    mac: str
    ip: str
    ts_ms: int
    method: str = ""
    server: str = ""
    user_agent: str = ""
    usn: str = ""
    nt: str = ""
    location: str = ""


@dataclass(frozen=True, slots=True)
class NameSeen:
    """A name claimed over NetBIOS, LLMNR or WS-Discovery."""

    mac: str
    ip: str
    ts_ms: int
    name: str
    source: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Evidence:
    source: str
    field: str
    value: str
    confidence: float

    def as_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "field": self.field,
            "value": self.value,
            "confidence": round(self.confidence, 2),
        }


DiscoveryEvent = DhcpSeen | MdnsSeen | SsdpSeen | NameSeen


@dataclass
class Notice:
    """Something the engine wants the operator to know (e.g. it dropped data)."""

    kind: str
    message: str
    ts_ms: int
    data: dict[str, object] = field(default_factory=dict)
