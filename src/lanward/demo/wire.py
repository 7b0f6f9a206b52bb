"""Frames as bytes, a capture assembled out of order, and TCP conversations with honest seq/ack.

The bulk of a demo capture is thousands of data segments, and scapy takes about half a
millisecond to build each one; so the Ethernet, IPv4, UDP and TCP headers are packed here by hand
(with the RFC 1071 checksum), while the payloads recognition depends on (DHCP, DNS, mDNS,
NetBIOS, TLS) are built with scapy in `payloads.py`. Times are seconds from the capture start.
"""

from __future__ import annotations

import ipaddress
import random
import struct
import sys
from array import array
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

BROADCAST_MAC = "ff:ff:ff:ff:ff:ff"

ETH_IPV4 = 0x0800
ETH_ARP = 0x0806
PROTO_TCP = 6
PROTO_UDP = 17

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10

# A receiver on the LAN acknowledges within a fraction of a millisecond of the capture point.
LAN_ACK_DELAY = 0.0003


@lru_cache(maxsize=1024)
def mac_bytes(mac: str) -> bytes:
    return bytes.fromhex(mac.replace(":", ""))


@lru_cache(maxsize=4096)
def ip_bytes(ip: str) -> bytes:
    return ipaddress.IPv4Address(ip).packed


def multicast_mac(ip: str) -> str:
    """The Ethernet group address an IPv4 multicast group maps to (RFC 1112)."""
    low = int(ipaddress.IPv4Address(ip)) & 0x7FFFFF
    return "01:00:5e:" + ":".join(f"{b:02x}" for b in low.to_bytes(3, "big"))


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071) of `data`, as an integer in network order."""
    if len(data) % 2:
        data += b"\x00"
    total = sum(array("H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    total = ~total & 0xFFFF
    if sys.byteorder == "little":
        total = ((total & 0xFF) << 8) | (total >> 8)
    return total


def ethernet(dst_mac: str, src_mac: str, ethertype: int, payload: bytes) -> bytes:
    frame = mac_bytes(dst_mac) + mac_bytes(src_mac) + struct.pack("!H", ethertype) + payload
    # Frames shorter than the Ethernet minimum arrive padded (the capture sees the padding).
    return frame + b"\x00" * (60 - len(frame)) if len(frame) < 60 else frame


def ipv4(src: str, dst: str, proto: int, l4: bytes, ident: int, ttl: int, df: bool = True) -> bytes:
    src_b, dst_b = ip_bytes(src), ip_bytes(dst)
    header = struct.pack(
        "!BBHHHBBH4s4s",
        0x45,
        0,
        20 + len(l4),
        ident & 0xFFFF,
        0x4000 if df else 0,
        ttl,
        proto,
        0,
        src_b,
        dst_b,
    )
    return header[:10] + struct.pack("!H", checksum(header)) + header[12:] + l4


def _pseudo(src: str, dst: str, proto: int, length: int) -> bytes:
    return ip_bytes(src) + ip_bytes(dst) + struct.pack("!BBH", 0, proto, length)


def udp(src: str, dst: str, sport: int, dport: int, payload: bytes) -> bytes:
    length = 8 + len(payload)
    header = struct.pack("!HHHH", sport, dport, length, 0)
    csum = checksum(_pseudo(src, dst, PROTO_UDP, length) + header + payload) or 0xFFFF
    return header[:6] + struct.pack("!H", csum) + payload


def tcp(
    src: str,
    dst: str,
    sport: int,
    dport: int,
    seq: int,
    ack: int,
    flags: int,
    window: int,
    payload: bytes = b"",
    options: bytes = b"",
) -> bytes:
    options += b"\x00" * (-len(options) % 4)
    offset = (20 + len(options)) // 4
    header = (
        struct.pack(
            "!HHIIBBHHH",
            sport,
            dport,
            seq & 0xFFFFFFFF,
            ack & 0xFFFFFFFF if flags & ACK else 0,
            offset << 4,
            flags,
            window,
            0,
            0,
        )
        + options
    )
    length = len(header) + len(payload)
    csum = checksum(_pseudo(src, dst, PROTO_TCP, length) + header + payload)
    return header[:16] + struct.pack("!H", csum) + header[18:] + payload


@dataclass
class Node:
    """One end of a conversation as the capture point sees it.

    `mac` is the address on the LAN wire: the host's own for a local host, the gateway's for a
    remote one. `ttl` is the TTL as it arrives at the capture point.
    """

    ip: str
    mac: str
    ttl: int = 64
    local: bool = True
    ip_id: int = 0
    window: int = 502
    timestamps: bool = True
    clock_ms: int = 0

    def next_id(self) -> int:
        self.ip_id = (self.ip_id + 1) & 0xFFFF
        return self.ip_id


@dataclass
class Capture:
    """Frames collected in any order, written to a pcap file sorted by time."""

    start_us: int
    duration: float
    frames: list[tuple[int, int, bytes]] = field(default_factory=list)

    def add(self, t: float, frame: bytes) -> None:
        if 0 <= t <= self.duration:  # the capture stops mid-conversation, as real ones do
            self.frames.append((self.start_us + round(t * 1_000_000), len(self.frames), frame))

    def ip(
        self, t: float, src: Node, dst: Node, proto: int, l4: bytes, ttl: int | None = None
    ) -> None:
        if ttl is None:  # to a multicast group, the TTL its protocol prescribes
            ttl = dst.ttl if dst.mac.startswith("01:00:5e") else src.ttl
        packet = ipv4(src.ip, dst.ip, proto, l4, src.next_id(), ttl)
        self.add(t, ethernet(dst.mac, src.mac, ETH_IPV4, packet))

    def udp(
        self,
        t: float,
        src: Node,
        dst: Node,
        sport: int,
        dport: int,
        payload: bytes,
        ttl: int | None = None,
    ) -> None:
        """A datagram; `ttl` overrides the sender's default."""
        self.ip(t, src, dst, PROTO_UDP, udp(src.ip, dst.ip, sport, dport, payload), ttl)

    def write(self, path: Path) -> int:
        from scapy.utils import RawPcapWriter

        self.frames.sort()
        writer = RawPcapWriter(str(path), linktype=1, sync=False)
        try:
            writer.write_header(None)
            for ts_us, _, frame in self.frames:
                writer.write_packet(frame, sec=ts_us // 1_000_000, usec=ts_us % 1_000_000)
        finally:
            writer.close()
        return len(self.frames)


class TcpSession:
    """A TCP connection between a LAN client and a server; `t` is the time of its last packet."""

    def __init__(
        self,
        cap: Capture,
        rng: random.Random,
        client: Node,
        server: Node,
        sport: int,
        dport: int,
        rtt: float,
    ) -> None:
        self.cap, self.rng = cap, rng
        self.client, self.server = client, server
        self.sport, self.dport = sport, dport
        self.rtt = rtt
        self.cseq = rng.getrandbits(32)
        self.sseq = rng.getrandbits(32)
        self.timestamps = client.timestamps and server.timestamps
        self.mss = 1448 if self.timestamps else 1460
        self.t = 0.0
        self.open = False

    # -- packets ---------------------------------------------------------------------------

    def _options(self, from_client: bool, t: float, syn: bool) -> bytes:
        me, peer = (self.client, self.server) if from_client else (self.server, self.client)
        ts = b""
        if me.timestamps and (syn or self.timestamps):
            tsval = (me.clock_ms + int(t * 1000)) & 0xFFFFFFFF
            tsecr = 0 if (syn and from_client) else (peer.clock_ms + int(t * 1000) - 1) & 0xFFFFFFFF
            ts = struct.pack("!BBII", 8, 10, tsval, tsecr)
        if not syn:
            return b"\x01\x01" + ts if ts else b""
        mss = struct.pack("!BBH", 2, 4, 1460)
        wscale = b"\x01\x03\x03" + bytes([8 if not me.timestamps else 7])
        if ts:  # Linux/BSD order: MSS, SACK_PERM, TS, NOP, WS
            return mss + b"\x04\x02" + ts + wscale
        return (
            mss + wscale + b"\x01\x01\x04\x02"
        )  # Windows order: MSS, NOP, WS, NOP, NOP, SACK_PERM

    def _emit(
        self, from_client: bool, t: float, flags: int, seq: int, ack: int, payload: bytes = b""
    ) -> None:
        src, dst = (self.client, self.server) if from_client else (self.server, self.client)
        sport, dport = (self.sport, self.dport) if from_client else (self.dport, self.sport)
        window = src.window if not flags & SYN else 64240 if not src.timestamps else 65535
        options = self._options(from_client, t, bool(flags & SYN))
        segment = tcp(src.ip, dst.ip, sport, dport, seq, ack, flags, window, payload, options)
        self.cap.ip(t, src, dst, PROTO_TCP, segment)

    # -- conversation ----------------------------------------------------------------------

    def connect(self, t: float) -> float:
        self._emit(True, t, SYN, self.cseq, 0)
        self.cseq += 1
        t += self.rtt
        self._emit(False, t, SYN | ACK, self.sseq, self.cseq)
        self.sseq += 1
        t += LAN_ACK_DELAY if self.client.local else self.rtt / 2
        self._emit(True, t, ACK, self.cseq, self.sseq)
        self.open, self.t = True, t
        return t

    def send(
        self, from_client: bool, data: bytes, t: float | None = None, rate: float = 4e6
    ) -> float:
        """Send `data` (bytes/s pace `rate`); the receiver ACKs every second segment."""
        t = self.t if t is None else t
        if not self.open or not data:
            return t
        receiver = self.server if from_client else self.client
        ack_delay = LAN_ACK_DELAY if receiver.local else self.rtt
        spacing = (self.mss + 66) / rate
        chunks = [data[i : i + self.mss] for i in range(0, len(data), self.mss)]
        last_t = t
        for i, chunk in enumerate(chunks):
            last = i == len(chunks) - 1
            if from_client:
                self._emit(True, t, ACK | (PSH if last else 0), self.cseq, self.sseq, chunk)
                self.cseq += len(chunk)
                if i % 2 == 1 or last:
                    self._emit(False, t + ack_delay, ACK, self.sseq, self.cseq)
            else:
                self._emit(False, t, ACK | (PSH if last else 0), self.sseq, self.cseq, chunk)
                self.sseq += len(chunk)
                if i % 2 == 1 or last:
                    self._emit(True, t + ack_delay, ACK, self.cseq, self.sseq)
            last_t = t
            t += spacing
        self.t = last_t + ack_delay
        return last_t

    def exchange(
        self,
        request: bytes,
        response: bytes,
        t: float | None = None,
        think: float = 0.02,
        rate: float = 4e6,
    ) -> float:
        """The client sends `request`; `think` seconds after it arrives the server answers."""
        sent = self.send(True, request, t)
        start = sent + self.rtt + think if not self.server.local else sent + think
        self.send(False, response, start, rate)
        return self.t

    def close(self, t: float | None = None, by_client: bool = True) -> float:
        t = self.t if t is None else t
        if not self.open:
            return t
        far = LAN_ACK_DELAY if self.server.local else self.rtt
        if by_client:
            self._emit(True, t, FIN | ACK, self.cseq, self.sseq)
            self.cseq += 1
            t += far
            self._emit(False, t, FIN | ACK, self.sseq, self.cseq)
            self.sseq += 1
            t += LAN_ACK_DELAY
            self._emit(True, t, ACK, self.cseq, self.sseq)
        else:
            self._emit(False, t, FIN | ACK, self.sseq, self.cseq)
            self.sseq += 1
            t += LAN_ACK_DELAY
            self._emit(True, t, FIN | ACK, self.cseq, self.sseq)
            self.cseq += 1
            t += far
            self._emit(False, t, ACK, self.sseq, self.cseq)
        self.open, self.t = False, t
        return t
