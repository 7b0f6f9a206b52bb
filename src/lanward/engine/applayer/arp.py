"""ARP from link-layer frames: Ethernet (VLAN-tagged or not) and Linux cooked captures. Pure."""

from __future__ import annotations

import struct

from lanward.engine.events import ArpSeen

ETHERTYPE_ARP = 0x0806
_VLAN_TYPES = (0x8100, 0x88A8, 0x9100)
LINKTYPE_ETHERNET, LINKTYPE_SLL, LINKTYPE_SLL2 = 1, 113, 276


def _mac(raw: bytes) -> str:
    return ":".join(f"{b:02x}" for b in raw)


def _ip(raw: bytes) -> str:
    return ".".join(str(b) for b in raw)


def arp_from_frame(frame: bytes, ts_ms: int, linktype: int = LINKTYPE_ETHERNET) -> ArpSeen | None:
    """The ARP message in one captured frame, or None (not ARP, not IPv4-over-Ethernet ARP)."""
    if linktype == LINKTYPE_ETHERNET:
        if len(frame) < 14:
            return None
        eth_src = _mac(frame[6:12])
        ethertype = struct.unpack_from("!H", frame, 12)[0]
        offset = 14
        for _ in range(3):  # up to three stacked VLAN tags (802.1Q, QinQ)
            if ethertype not in _VLAN_TYPES or len(frame) < offset + 4:
                break
            ethertype = struct.unpack_from("!H", frame, offset + 2)[0]
            offset += 4
    elif linktype == LINKTYPE_SLL:
        if len(frame) < 16:
            return None
        eth_src = _mac(frame[6:12])
        ethertype, offset = struct.unpack_from("!H", frame, 14)[0], 16
    elif linktype == LINKTYPE_SLL2:
        if len(frame) < 20:
            return None
        eth_src = _mac(frame[12:18])
        ethertype, offset = struct.unpack_from("!H", frame, 0)[0], 20
    else:
        return None
    if ethertype != ETHERTYPE_ARP:
        return None
    return arp_message(frame[offset:], eth_src, ts_ms)


def arp_message(body: bytes, eth_src: str, ts_ms: int) -> ArpSeen | None:
    """An ARP packet (after the link header), Ethernet hardware and IPv4 addresses only."""
    if len(body) < 28:
        return None
    htype, ptype, hlen, plen, op = struct.unpack_from("!HHBBH", body)
    if htype != 1 or ptype != 0x0800 or hlen != 6 or plen != 4 or op not in (1, 2):
        return None
    return ArpSeen(
        ts_ms=ts_ms,
        op=op,
        eth_src=eth_src,
        sender_mac=_mac(body[8:14]),
        sender_ip=_ip(body[14:18]),
        target_mac=_mac(body[18:24]),
        target_ip=_ip(body[24:28]),
    )
