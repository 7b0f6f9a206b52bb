"""Discovery packets (bytes) -> typed events. Pure: bytes and metadata in, events out.

Parsed with scapy, for the low-volume protocols only: DHCP, DHCPv6, mDNS, LLMNR, NetBIOS name
service, SSDP and WS-Discovery. The capture narrows traffic to these with a BPF filter first.
"""

from __future__ import annotations

import re
from typing import Any

from lanward.engine.events import DhcpSeen, MdnsSeen, NameSeen, SsdpSeen

DiscoveryEvent = DhcpSeen | MdnsSeen | SsdpSeen | NameSeen

# The BPF filter for the discovery capture.
DISCOVERY_BPF = (
    "udp and (port 67 or port 68 or port 546 or port 547 or port 5353 or port 5355 "
    "or port 137 or port 1900 or port 3702)"
)

_DHCP_TYPES = {
    1: "discover",
    2: "offer",
    3: "request",
    4: "decline",
    5: "ack",
    6: "nak",
    7: "release",
    8: "inform",
}


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace").strip("\x00").strip()
    return str(value).strip()


def _mac_bytes(raw: bytes) -> str:
    return ":".join(f"{b:02x}" for b in raw[:6])


def parse(ip_packet: bytes, src_mac: str, ts_ms: int) -> list[DiscoveryEvent]:
    """Events from one IP packet (v4 or v6) sent by `src_mac`. Unparseable input gives []."""
    if not ip_packet:
        return []
    try:
        return _parse(ip_packet, src_mac, ts_ms)
    except Exception:  # noqa: BLE001 - malformed packets are normal on a LAN; skip them
        return []


def _parse(ip_packet: bytes, src_mac: str, ts_ms: int) -> list[DiscoveryEvent]:
    from scapy.layers.inet import IP, UDP
    from scapy.layers.inet6 import IPv6

    version = ip_packet[0] >> 4
    pkt = IP(ip_packet) if version == 4 else IPv6(ip_packet) if version == 6 else None
    if pkt is None or UDP not in pkt:
        return []
    udp = pkt[UDP]
    src_ip = pkt.src
    sport, dport = int(udp.sport), int(udp.dport)
    payload = bytes(udp.payload)
    if {sport, dport} & {67, 68} and version == 4:
        return _dhcp(payload, ts_ms)
    if {sport, dport} & {546, 547}:
        return _dhcpv6(payload, src_mac, src_ip, ts_ms)
    if sport == 5353 or dport == 5353:
        return _mdns(payload, src_mac, src_ip, ts_ms)
    if dport == 5355 or sport == 5355:
        return _llmnr(payload, src_mac, src_ip, ts_ms)
    if dport == 137 or sport == 137:
        return _netbios(payload, src_mac, src_ip, ts_ms)
    if dport == 1900 or sport == 1900:
        return _ssdp(payload, src_mac, src_ip, ts_ms)
    if dport == 3702 or sport == 3702:
        return _wsd(payload, src_mac, src_ip, ts_ms)
    return []


def _dhcp(payload: bytes, ts_ms: int) -> list[DiscoveryEvent]:
    from scapy.layers.dhcp import BOOTP, DHCP

    bootp = BOOTP(payload)
    if bootp.op != 1 or DHCP not in bootp:  # client messages only
        return []
    opts: dict[str, Any] = {}
    for opt in bootp[DHCP].options:
        if isinstance(opt, tuple) and len(opt) >= 2:
            opts[opt[0]] = opt[1] if len(opt) == 2 else opt[1:]
    params = opts.get("param_req_list", [])
    if isinstance(params, int | bytes):
        params = list(params) if isinstance(params, bytes) else [params]
    client_id = opts.get("client_id", b"")
    client_id_hex = client_id.hex() if isinstance(client_id, bytes) else _text(client_id)
    ciaddr = str(bootp.ciaddr)
    return [
        DhcpSeen(
            mac=_mac_bytes(bytes(bootp.chaddr)),
            ts_ms=ts_ms,
            message_type=_DHCP_TYPES.get(int(opts.get("message-type", 0) or 0), ""),
            hostname=_text(opts.get("hostname", "")),
            param_list=tuple(int(p) for p in params),
            vendor_class=_text(opts.get("vendor_class_id", "")),
            client_id=client_id_hex,
            requested_ip=str(opts.get("requested_addr", "") or ""),
            ip="" if ciaddr == "0.0.0.0" else ciaddr,  # noqa: S104 - a value, not a bind
        )
    ]


def _dhcpv6(payload: bytes, src_mac: str, src_ip: str, ts_ms: int) -> list[DiscoveryEvent]:
    from scapy.layers import dhcp6

    msg = dhcp6.DHCPv6_am  # noqa: F841 - make sure the module registered its layers
    pkt = dhcp6.dhcp6_dispatcher(payload) if hasattr(dhcp6, "dhcp6_dispatcher") else None
    if pkt is None:
        from scapy.layers.dhcp6 import DHCP6

        pkt = DHCP6(payload)
    hostname = ""
    vendor = ""
    params: tuple[int, ...] = ()
    layer = pkt
    while layer is not None and layer.__class__.__name__ != "NoPayload":
        name = layer.__class__.__name__
        if name == "DHCP6OptClientFQDN":
            hostname = _text(getattr(layer, "fqdn", b"")).rstrip(".").split(".")[0]
        elif name == "DHCP6OptVendorClass":
            vendor = " ".join(_text(getattr(d, "data", b"")) for d in getattr(layer, "vcdata", []))
        elif name == "DHCP6OptOptReq":
            params = tuple(int(x) for x in getattr(layer, "reqopts", []))
        layer = layer.payload if hasattr(layer, "payload") else None
    if not (hostname or vendor or params):
        return []
    return [
        DhcpSeen(
            mac=src_mac,
            ts_ms=ts_ms,
            hostname=hostname,
            vendor_class=vendor,
            param_list=params,
            ip=src_ip,
            v6=True,
        )
    ]


def _dns_records(payload: bytes) -> tuple[list[Any], Any]:
    from scapy.layers.dns import DNS

    dns = DNS(payload)
    records: list[Any] = []
    for section in ("an", "ns", "ar"):
        value = getattr(dns, section, None)
        if value is None:
            continue
        if isinstance(value, list):
            records.extend(value)
        else:
            layer = value
            while layer is not None and layer.__class__.__name__ != "NoPayload":
                records.append(layer)
                layer = layer.payload if hasattr(layer, "payload") else None
    return records, dns


def _mdns(payload: bytes, src_mac: str, src_ip: str, ts_ms: int) -> list[DiscoveryEvent]:
    records, dns = _dns_records(payload)
    if not dns.qr:  # queries say what a device looks for, not what it is
        return []
    names: list[str] = []
    services: list[str] = []
    txt: list[tuple[str, str]] = []
    for rr in records:
        rrname = _text(getattr(rr, "rrname", b"")).rstrip(".")
        rtype = int(getattr(rr, "type", 0))
        if rtype in (1, 28) and rrname:  # A / AAAA: the host name
            names.append(rrname)
        elif rtype == 12:  # PTR: service instance
            target = _text(getattr(rr, "rdata", b"")).rstrip(".")
            if rrname.startswith("_services._dns-sd"):
                continue
            if "._" in target or rrname.startswith("_"):
                services.append(target if "._" in target else rrname)
        elif rtype == 33:  # SRV
            services.append(rrname)
            target = _text(getattr(rr, "target", b"")).rstrip(".")
            if target:
                names.append(target)
        elif rtype == 16:  # TXT
            for item in getattr(rr, "rdata", []) or []:
                text = _text(item)
                if "=" in text:
                    key, _, value = text.partition("=")
                    txt.append((key, value))
    if not (names or services or txt):
        return []
    return [
        MdnsSeen(
            mac=src_mac,
            ip=src_ip,
            ts_ms=ts_ms,
            names=tuple(dict.fromkeys(names)),
            services=tuple(dict.fromkeys(services)),
            txt=tuple(dict.fromkeys(txt)),
        )
    ]


def _llmnr(payload: bytes, src_mac: str, src_ip: str, ts_ms: int) -> list[DiscoveryEvent]:
    records, dns = _dns_records(payload)
    if dns.qr:  # a response: the responder owns the name
        for rr in records:
            name = _text(getattr(rr, "rrname", b"")).rstrip(".")
            if name:
                return [NameSeen(mac=src_mac, ip=src_ip, ts_ms=ts_ms, name=name, source="llmnr")]
    return []


def _netbios(payload: bytes, src_mac: str, src_ip: str, ts_ms: int) -> list[DiscoveryEvent]:
    # NBNS registration/refresh (opcode 5/8/9) or a positive response carries the owner's name.
    if len(payload) < 12:
        return []
    flags = int.from_bytes(payload[2:4], "big")
    opcode = (flags >> 11) & 0xF
    is_response = bool(flags & 0x8000)
    if not (opcode in (5, 8, 9) or (is_response and opcode == 0)):
        return []
    encoded_len = payload[12] if len(payload) > 12 else 0
    if encoded_len != 32 or len(payload) < 13 + 32:
        return []
    encoded = payload[13 : 13 + 32]
    decoded = bytes(((encoded[i] - 0x41) << 4) | (encoded[i + 1] - 0x41) for i in range(0, 32, 2))
    name, suffix = decoded[:15].decode("ascii", "replace").strip(), decoded[15]
    if not name or suffix not in (0x00, 0x20):
        return []
    return [NameSeen(mac=src_mac, ip=src_ip, ts_ms=ts_ms, name=name, source="netbios")]


_HEADER = re.compile(rb"^([A-Za-z0-9-]+):[ \t]*(.*?)\r?$", re.M)


def _ssdp(payload: bytes, src_mac: str, src_ip: str, ts_ms: int) -> list[DiscoveryEvent]:
    first_line = payload.split(b"\n", 1)[0].strip().decode("latin-1")
    headers = {
        k.decode("latin-1").lower(): v.decode("utf-8", "replace").strip()
        for k, v in _HEADER.findall(payload)
    }
    if not headers:
        return []
    method = first_line.split(" ", 1)[0].upper()
    return [
        SsdpSeen(
            mac=src_mac,
            ip=src_ip,
            ts_ms=ts_ms,
            method=method,
            server=headers.get("server", ""),
            user_agent=headers.get("user-agent", ""),
            usn=headers.get("usn", ""),
            nt=headers.get("nt", "") or headers.get("st", ""),
            location=headers.get("location", ""),
        )
    ]


_WSD_TYPES = re.compile(rb"<(?:\w+:)?Types>([^<]*)</(?:\w+:)?Types>")
_WSD_XADDRS = re.compile(rb"<(?:\w+:)?XAddrs>([^<]*)</(?:\w+:)?XAddrs>")


def _wsd(payload: bytes, src_mac: str, src_ip: str, ts_ms: int) -> list[DiscoveryEvent]:
    if b"Hello" not in payload and b"ProbeMatches" not in payload:
        return []
    types = b" ".join(_WSD_TYPES.findall(payload)).decode("utf-8", "replace")
    xaddrs = b" ".join(_WSD_XADDRS.findall(payload)).decode("utf-8", "replace")
    kinds = sorted({t.split(":")[-1] for t in types.split() if t})
    if not kinds:
        return []
    return [
        NameSeen(
            mac=src_mac,
            ip=src_ip,
            ts_ms=ts_ms,
            name="",
            source="wsd",
            detail=" ".join(kinds) + (f" {xaddrs}" if xaddrs else ""),
        )
    ]
