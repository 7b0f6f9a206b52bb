"""Link types the flow meter cannot read as they are (Linux cooked v2) and ones it reads once
allowed (Cisco HDLC): generated captures through `analyze_file`, the real capture edge."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import Any

import pytest
from scapy.layers.inet import IP
from scapy.layers.l2 import ARP, CookedLinux, CookedLinuxV2
from scapy.packet import Packet, Raw
from scapy.utils import RawPcapReader, wrpcap, wrpcapng

from lanward.daemons.capture import analyze_file, inspect_file
from lanward.daemons.relink import LINKTYPE_SLL2, rewrite_sll2, sll_from_sll2
from lanward.engine.events import ArpSeen, HttpTransaction
from lanward.engine.pipeline import Engine, EngineConfig
from tests.daemons.test_app_events import Recorder
from tests.engine.applayer.build import (
    CLIENT_MAC,
    EICAR,
    EICAR_SHA256,
    SERVER_MAC,
    Conversation,
    http_response,
)


def download() -> list[Packet]:
    c = Conversation().handshake().client(b"GET /eicar.com HTTP/1.1\r\nHost: h\r\n\r\n")
    return c.server(http_response(EICAR, {"Content-Length": "68"})).finish().packets


def cooked_v2(packets: list[Packet]) -> list[Packet]:
    out = []
    for pkt in packets:
        outgoing = pkt.src == CLIENT_MAC
        frame = (
            CookedLinuxV2(proto=0x0800, ifindex=2, pkttype=4 if outgoing else 0, lladdrlen=6)
            / pkt[IP]
        )
        frame.src = bytes.fromhex(pkt.src.replace(":", "")) + b"\0\0"
        frame.time = pkt.time
        out.append(frame)
    arp = CookedLinuxV2(proto=0x0806, pkttype=0, lladdrlen=6) / ARP(
        op=1, hwsrc=SERVER_MAC, psrc="192.168.1.1", pdst="192.168.1.20"
    )
    arp.src = bytes.fromhex(SERVER_MAC.replace(":", "")) + b"\0\0"
    arp.time = packets[0].time
    return [arp, *out]


def analyze(path: Path) -> tuple[Engine, list[Any]]:
    recorder = Recorder()
    engine = Engine(EngineConfig(), addons=[recorder])
    analyze_file(path, engine)
    return engine, recorder.seen


def test_sll2_header_becomes_the_sll_header() -> None:
    v2 = CookedLinuxV2(proto=0x86DD, ifindex=7, lladdrtype=1, pkttype=4, lladdrlen=6)
    v2.src = b"\x02\x00\x00\x00\x00\x02\0\0"
    v1 = CookedLinux(pkttype=4, lladdrtype=1, lladdrlen=6, src=v2.src, proto=0x86DD)
    assert sll_from_sll2(bytes(v2) + b"payload") == bytes(v1) + b"payload"
    assert sll_from_sll2(bytes(v2)[:19]) is None


@pytest.mark.parametrize("pcapng", [False, True])
def test_sll2_capture_is_metered_and_read(
    pcapng: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before, nfstream passed over an SLL2 file without a flow or an event."""
    path = tmp_path / "any.pcap"
    if pcapng:
        wrpcapng(str(path), cooked_v2(download()))  # the link type follows the first layer
    else:
        wrpcap(str(path), cooked_v2(download()), linktype=LINKTYPE_SLL2)
    assert (inspect_file(path).format, inspect_file(path).linktype) == (
        "pcapng" if pcapng else "pcap",
        LINKTYPE_SLL2,
    )
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    engine, seen = analyze(path)
    (arp,) = [e for e in seen if isinstance(e, ArpSeen)]
    assert arp.eth_src == SERVER_MAC and arp.sender_ip == "192.168.1.1"
    (tx,) = [e for e in seen if isinstance(e, HttpTransaction)]
    assert tx.uri == "/eicar.com" and tx.file is not None and tx.file.sha256 == EICAR_SHA256
    assert (tx.flow.src_ip, tx.flow.dst_port) == ("192.168.1.20", 80)
    assert engine.flow_count == 1
    assert list(scratch.iterdir()) == []  # the rewritten copy is gone


def test_sll2_rewrite_keeps_times_and_what_a_cut_record_holds(tmp_path: Path) -> None:
    path = tmp_path / "cut.pcap"
    frames = cooked_v2(download())
    wrpcap(str(path), frames, linktype=LINKTYPE_SLL2)
    path.write_bytes(path.read_bytes()[:-10])
    out = io.BytesIO()
    assert rewrite_sll2(path, out) == len(frames)
    written = tmp_path / "sll.pcap"
    written.write_bytes(out.getvalue())
    assert inspect_file(written).linktype == 113
    with RawPcapReader(str(written)) as reader:
        again = list(reader)
    assert [float(meta.sec) + meta.usec / 1e9 for _, meta in again] == pytest.approx(
        [float(p.time) for p in frames]
    )
    assert [len(data) for data, _ in again] == [len(f) - 4 for f in frames[:-1]] + [
        len(frames[-1]) - 14
    ]
    assert again[2][0][16:] == bytes(frames[2][IP])


def test_sll2_file_that_cannot_be_read_says_so(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot read"):
        rewrite_sll2(tmp_path / "missing.pcap", io.BytesIO())


def test_cisco_hdlc_capture_is_read(tmp_path: Path) -> None:
    """decode-chdlc-01: link type 104 was refused; nfstream reads it."""
    path = tmp_path / "hdlc.pcap"
    frames = []
    for pkt in download():
        frame = Raw(b"\x0f\x00\x08\x00" + bytes(pkt[IP]))  # unicast, control 0, IPv4
        frame.time = pkt.time
        frames.append(frame)
    wrpcap(str(path), frames, linktype=104)
    assert inspect_file(path).link_name == "Cisco HDLC"
    engine, seen = analyze(path)
    (tx,) = [e for e in seen if isinstance(e, HttpTransaction)]
    assert tx.file is not None and tx.file.sha256 == EICAR_SHA256
    assert engine.flow_count == 1
