"""One IPv4/IPv6 packet (bytes, from the IP header on) -> its TCP or UDP segment. Pure.

Read with struct rather than scapy: this runs for every inspected packet, and only the ports,
sequence numbers, flags and payload are needed. IP fragments are skipped (the stream then sees a
gap and resyncs); a packet cut short by the snap length keeps what was captured.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

TCP = 6
UDP = 17

FIN = 0x01
SYN = 0x02
RST = 0x04
ACK = 0x10

_IPV6_SKIPPABLE = {0, 43, 60}  # hop-by-hop, routing, destination options
_IPV6_FRAGMENT = 44
_IPV6_AH = 51

_V4 = struct.Struct("!BBHHHBBH")
_TCP = struct.Struct("!HHIIBB")
_PORTS = struct.Struct("!HH")


class Segment(NamedTuple):
    protocol: int
    src_port: int
    dst_port: int
    seq: int
    ack: int
    flags: int
    payload: bytes


def decode(ip_packet: bytes) -> Segment | None:
    """The TCP or UDP segment in `ip_packet`, or None (not TCP/UDP, a fragment, damaged)."""
    if len(ip_packet) < 20:
        return None
    version = ip_packet[0] >> 4
    if version == 4:
        first, _tos, total_len, _ident, frag, _ttl, proto, _sum = _V4.unpack_from(ip_packet)
        ihl = (first & 0x0F) * 4
        if ihl < 20 or frag & 0x3FFF:  # a fragment (more-fragments flag or an offset)
            return None
        end = min(len(ip_packet), total_len) if total_len >= ihl else len(ip_packet)
        return _transport(proto, ip_packet, ihl, end)
    if version == 6:
        if len(ip_packet) < 40:
            return None
        payload_len = struct.unpack_from("!H", ip_packet, 4)[0]
        end = min(len(ip_packet), 40 + payload_len) if payload_len else len(ip_packet)
        proto = ip_packet[6]
        offset = 40
        for _ in range(8):  # a bounded walk over the extension headers
            if proto in _IPV6_SKIPPABLE:
                if offset + 2 > end:
                    return None
                proto, offset = ip_packet[offset], offset + (ip_packet[offset + 1] + 1) * 8
            elif proto == _IPV6_FRAGMENT:
                if offset + 8 > end:
                    return None
                frag = struct.unpack_from("!H", ip_packet, offset + 2)[0]
                if frag & 0xFFF9:  # an offset or more fragments to come
                    return None
                proto, offset = ip_packet[offset], offset + 8
            elif proto == _IPV6_AH:
                if offset + 2 > end:
                    return None
                proto, offset = ip_packet[offset], offset + (ip_packet[offset + 1] + 2) * 4
            else:
                break
        return _transport(proto, ip_packet, offset, end)
    return None


def _transport(proto: int, data: bytes, offset: int, end: int) -> Segment | None:
    if proto == TCP:
        if offset + 20 > end:
            return None
        sport, dport, seq, ack, data_offset, flags = _TCP.unpack_from(data, offset)
        start = offset + (data_offset >> 4) * 4
        if start < offset + 20 or start > end:
            return None
        return Segment(TCP, sport, dport, seq, ack, flags, data[start:end])
    if proto == UDP:
        if offset + 8 > end:
            return None
        sport, dport = _PORTS.unpack_from(data, offset)
        return Segment(UDP, sport, dport, 0, 0, 0, data[offset + 8 : end])
    return None
