"""Discovery packets (bytes) -> typed events. Pure: bytes and metadata in, events out.

Parsed with scapy, for the low-volume protocols only: DHCP, DHCPv6, mDNS, LLMNR, NetBIOS name
and datagram service, SSDP and WS-Discovery. The capture narrows traffic to these with a BPF
filter first.
"""

from __future__ import annotations

import re
from typing import Any

from lanward.engine.events import DhcpSeen, MdnsSeen, NameSeen, SsdpSeen

DiscoveryEvent = DhcpSeen | MdnsSeen | SsdpSeen | NameSeen

# The BPF filter for the discovery capture.
DISCOVERY_BPF = (
    "udp and (port 67 or port 68 or port 546 or port 547 or port 5353 or port 5355 "
    "or port 137 or port 138 or port 1900 or port 3702)"
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


def udp_headers(ip_packet: bytes) -> tuple[int, str, int, int, bytes] | None:
    """(IP version, source address, source port, destination port, UDP payload), or None.

    Read with struct: the handlers decode the payload themselves, so letting scapy decode the
    whole packet first would parse every discovery packet twice.
    """
    import ipaddress
    import struct

    version = ip_packet[0] >> 4
    if version == 4:
        if len(ip_packet) < 20:
            return None
        ihl = (ip_packet[0] & 0x0F) * 4
        total_len, frag, proto = struct.unpack("!H2xH1xB", ip_packet[2:10])
        if proto != 17 or frag & 0x1FFF or ihl < 20 or len(ip_packet) < ihl + 8:
            return None  # not UDP, or a later fragment
        src = str(ipaddress.IPv4Address(ip_packet[12:16]))
        end = min(len(ip_packet), total_len) if total_len >= ihl + 8 else len(ip_packet)
        offset = ihl
    elif version == 6:
        if len(ip_packet) < 48:
            return None
        next_header = ip_packet[6]
        offset = 40
        # Skip the extension headers a discovery packet may carry (hop-by-hop, routing, dest).
        while next_header in (0, 43, 60) and len(ip_packet) >= offset + 8:
            next_header, ext_len = ip_packet[offset], (ip_packet[offset + 1] + 1) * 8
            offset += ext_len
        if next_header != 17 or len(ip_packet) < offset + 8:
            return None
        src = str(ipaddress.IPv6Address(ip_packet[8:24]))
        end = len(ip_packet)
    else:
        return None
    sport, dport, udp_len = struct.unpack("!HHH", ip_packet[offset : offset + 6])
    if udp_len >= 8:
        end = min(end, offset + udp_len)
    return version, src, sport, dport, ip_packet[offset + 8 : end]


def _parse(ip_packet: bytes, src_mac: str, ts_ms: int) -> list[DiscoveryEvent]:
    headers = udp_headers(ip_packet)
    if headers is None:
        return []
    version, src_ip, sport, dport, payload = headers
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
    if dport == 138 or sport == 138:
        return _netbios_datagram(payload, src_mac, src_ip, ts_ms)
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


# DHCPv6 messages a client sends (RFC 8415 section 7.3). Server and relay messages (advertise,
# reply, reconfigure, relay-forw/-repl) carry options about the client, not about their sender.
_DHCP6_CLIENT_TYPES = {
    1: "solicit",
    3: "request",
    4: "confirm",
    5: "renew",
    6: "rebind",
    8: "release",
    9: "decline",
    11: "information-request",
}


def _dhcpv6(payload: bytes, src_mac: str, src_ip: str, ts_ms: int) -> list[DiscoveryEvent]:
    from scapy.layers.dhcp6 import (
        DHCP6,
        DHCP6OptClientFQDN,
        DHCP6OptClientId,
        DHCP6OptOptReq,
        DHCP6OptVendorClass,
    )

    message_type = _DHCP6_CLIENT_TYPES.get(payload[0]) if payload else None
    if message_type is None:
        return []
    pkt = DHCP6(payload)
    hostname = vendor = duid = ""
    params: tuple[int, ...] = ()
    fqdn = pkt.getlayer(DHCP6OptClientFQDN)
    if fqdn is not None:
        hostname = _text(fqdn.fqdn).rstrip(".").split(".")[0]
    vendor_class = pkt.getlayer(DHCP6OptVendorClass)
    if vendor_class is not None:
        vendor = " ".join(_text(d.data) for d in vendor_class.vcdata)
    option_request = pkt.getlayer(DHCP6OptOptReq)
    if option_request is not None:
        params = tuple(int(x) for x in option_request.reqopts)
    client_id = pkt.getlayer(DHCP6OptClientId)
    if client_id is not None and client_id.duid is not None:
        duid = bytes(client_id.duid).hex()
    if not (hostname or vendor or params or duid):
        return []
    return [
        DhcpSeen(
            mac=src_mac,
            ts_ms=ts_ms,
            message_type=message_type,
            hostname=hostname,
            vendor_class=vendor,
            param_list=params,
            client_id=duid,
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


def _nb_name(payload: bytes, offset: int) -> tuple[str, int, int]:
    """A first-level-encoded NetBIOS name at `offset`: (name, suffix byte, offset after it)."""
    if payload[offset] != 32:
        raise ValueError("not a NetBIOS name")
    encoded = payload[offset + 1 : offset + 33]
    if len(encoded) != 32 or any(not 0x41 <= c <= 0x50 for c in encoded):
        raise ValueError("not a NetBIOS name")
    decoded = bytes(((encoded[i] - 0x41) << 4) | (encoded[i + 1] - 0x41) for i in range(0, 32, 2))
    end = offset + 33
    while payload[end]:  # NetBIOS scope labels, then the root label
        end += payload[end] + 1
    return decoded[:15].decode("ascii", "replace").strip(" \x00"), decoded[15], end + 1


# Name suffixes of a host's own name: 0x00 workstation, 0x20 file server.
_HOST_SUFFIXES = (0x00, 0x20)


def _netbios(payload: bytes, src_mac: str, src_ip: str, ts_ms: int) -> list[DiscoveryEvent]:
    """NBNS (port 137): only messages that prove the sender owns the name.

    A query names whom the sender looks for, and a name server (WINS) answers for other hosts,
    so: registrations and refreshes the sender makes, positive answers listing the sender's own
    address, and node-status answers (the sender's own name table).
    """
    if len(payload) < 12:
        return []
    flags = int.from_bytes(payload[2:4], "big")
    opcode, rcode = (flags >> 11) & 0xF, flags & 0xF
    is_response = bool(flags & 0x8000)
    owner = ""
    if not is_response and opcode in (5, 8, 9):  # registration, refresh, multi-homed registration
        name, suffix, _ = _nb_name(payload, 12)
        owner = name if suffix in _HOST_SUFFIXES else ""
    elif is_response and opcode == 0 and rcode == 0:
        name, suffix, end = _nb_name(payload, 12)
        rr_type = int.from_bytes(payload[end : end + 2], "big")
        rdlength = int.from_bytes(payload[end + 8 : end + 10], "big")
        rdata = payload[end + 10 : end + 10 + rdlength]
        if rr_type == 0x20 and suffix in _HOST_SUFFIXES:  # NB: flags(2) + IPv4(4) per address
            addresses = {
                ".".join(str(b) for b in rdata[i + 2 : i + 6]) for i in range(0, len(rdata) - 5, 6)
            }
            owner = name if src_ip in addresses else ""
        elif rr_type == 0x21 and rdata:  # NBSTAT: count, then 15-byte name + suffix + flags
            for i in range(rdata[0]):
                entry = rdata[1 + 18 * i : 19 + 18 * i]
                if len(entry) < 18:
                    break
                is_group = bool(entry[16] & 0x80)
                if entry[15] == 0x00 and not is_group:
                    owner = entry[:15].decode("ascii", "replace").strip(" \x00")
                    break
    if not owner or owner == "*":
        return []
    return [NameSeen(mac=src_mac, ip=src_ip, ts_ms=ts_ms, name=owner, source="netbios")]


def _netbios_datagram(
    payload: bytes, src_mac: str, src_ip: str, ts_ms: int
) -> list[DiscoveryEvent]:
    """NetBIOS datagram service (port 138), e.g. browser announcements: the source name.

    Only when the datagram's source address is its sender's (not relayed by a datagram server).
    """
    if len(payload) < 14 + 34 or payload[0] not in (0x10, 0x11, 0x12):
        return []
    source_ip = ".".join(str(b) for b in payload[4:8])
    if source_ip != src_ip:
        return []
    name, suffix, _ = _nb_name(payload, 14)
    if not name or suffix not in _HOST_SUFFIXES:
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
