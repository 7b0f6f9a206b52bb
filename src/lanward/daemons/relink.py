"""Captures whose link type the flow meter cannot read, rewritten to one it can.

nfstream 6.6 meters Linux cooked captures of version 1 (SLL, link type 113) but passes over
version 2 (SLL2, 276: what `tcpdump -i any` writes since libpcap 1.10) without a word: no
flow, no event. Both carry the same facts (protocol, sender address, packet type), so an SLL2
file is rewritten frame by frame into a temporary SLL pcap, which every reader (flows,
discovery, application layer, ARP) then reads instead.
"""

from __future__ import annotations

import contextlib
import logging
import os
import struct
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

LINKTYPE_SLL, LINKTYPE_SLL2 = 113, 276
SLL2_HEADER, SLL_HEADER = 20, 16
_NANO_PCAP = struct.Struct("<IHHiIII")  # the pcap file header, nanosecond timestamps
_RECORD = struct.Struct("<IIII")
_SNAPLEN = 262144


def sll_from_sll2(frame: bytes) -> bytes | None:
    """The same frame behind a Linux cooked v1 header, or None when it is too short.

    SLL2: protocol(2) reserved(2) ifindex(4) ARPHRD(2) packet type(1) address length(1)
    address(8). SLL: packet type(2) ARPHRD(2) address length(2) address(8) protocol(2).
    """
    if len(frame) < SLL2_HEADER:
        return None
    protocol, hatype = frame[0:2], frame[8:10]
    packet_type, address_length, address = frame[10], frame[11], frame[12:20]
    header = struct.pack("!H2sH8s2s", packet_type, hatype, address_length, address, protocol)
    return header + frame[SLL2_HEADER:]


def rewrite_sll2(source: Path, out: BinaryIO) -> int:
    """Write `source`'s SLL2 frames to `out` as an SLL pcap; how many frames were written.

    Frames of other link types (a pcapng file may mix interfaces) are left out. A damaged
    tail ends the copy, as it ends the flow meter's reading.
    """
    from scapy.error import Scapy_Exception
    from scapy.utils import RawPcapReader

    try:
        reader = RawPcapReader(str(source))
    except (Scapy_Exception, OSError, EOFError) as exc:
        raise ValueError(f"cannot read {source}: {exc}") from exc
    out.write(_NANO_PCAP.pack(0xA1B23C4D, 2, 4, 0, 0, _SNAPLEN, LINKTYPE_SLL))
    written = 0
    quiet = logging.getLogger("scapy.runtime")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # scapy warns of a cut record; the capture check reports it
    try:
        records = iter(reader)
        while True:
            try:
                data, meta_record = next(records)
            except StopIteration:
                break
            except (Scapy_Exception, ValueError, OSError, struct.error):
                break
            meta: Any = meta_record  # pcap and pcapng records carry different fields
            if hasattr(meta, "tshigh"):
                if meta.linktype != LINKTYPE_SLL2:
                    continue
                ticks = (meta.tshigh << 32) | meta.tslow
                ns = ticks * 1_000_000_000 // max(1, meta.tsresol)
                wirelen = meta.wirelen
            else:
                scale = 1 if getattr(reader, "nano", False) else 1000
                ns = meta.sec * 1_000_000_000 + meta.usec * scale
                wirelen = meta.wirelen
            frame = sll_from_sll2(bytes(data))
            if frame is None:
                continue
            length = max(len(frame), wirelen - (SLL2_HEADER - SLL_HEADER))
            sec, nsec = divmod(ns, 1_000_000_000)
            out.write(_RECORD.pack(sec & 0xFFFFFFFF, nsec, len(frame), length))
            out.write(frame)
            written += 1
    finally:
        quiet.setLevel(level)
        reader.close()
    return written


@contextlib.contextmanager
def meterable(path: Path, linktype: int) -> Iterator[Path]:
    """`path` itself, or for an SLL2 capture a rewritten copy that lasts the `with` block."""
    if linktype != LINKTYPE_SLL2:
        yield path
        return
    fd, name = tempfile.mkstemp(prefix="lanward-sll-", suffix=".pcap")
    try:
        with os.fdopen(fd, "wb") as out:
            rewrite_sll2(path, out)
        yield Path(name)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(name)
