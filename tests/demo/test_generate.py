"""lanward.demo.generate: the demo home capture is a well-formed pcap, and the station pipeline
(nfstream flows + discovery parsing + recognizers) names every device and its main apps."""

from __future__ import annotations

import ipaddress
import struct
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from lanward.daemons.capture import analyze_file, inspect_file
from lanward.demo import generate_home_capture
from lanward.engine.pipeline import Engine, EngineConfig

START_MS = 1_705_345_200_000  # 2024-01-15 19:00 UTC: an evening at home

# What each device is, written out here so a change to the generator cannot quietly move it.
EXPECTED = {
    "gateway": ("router/access point", "AVM"),
    "laptop": ("computer", "Intel"),
    "android": ("phone", "Samsung"),
    "iphone": ("phone", "Apple"),
    "tv": ("TV", "LG"),
    "speaker": ("speaker", "Sonos"),
    "camera": ("camera", "Hikvision"),
    "printer": ("printer", "HP"),
    "plug": ("smart plug/IoT hub", "Tuya"),
}
KEY_APPS = {
    "android": {"YouTube", "WhatsApp"},
    "iphone": {"Instagram"},
    "tv": {"Netflix"},
    "speaker": {"Spotify"},
    "plug": {"TuyaLP"},
}
DOCUMENTATION_NETS = [
    ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")
]


def analyze(path: Path) -> dict[str, Any]:
    engine = Engine(EngineConfig(keep_flows=True))
    analyze_file(path, engine)
    return engine.result()


@pytest.fixture(scope="module")
def hour(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Any]]:
    path = tmp_path_factory.mktemp("demo") / "home.pcap"
    info = generate_home_capture(path, START_MS, seed=1, minutes=60)
    return info, analyze(path)


def by_key(info: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {d["key"]: d for d in info["devices"]}


def apps_of(result: dict[str, Any], mac: str) -> set[str]:
    return {u["app"].lower() for u in result["usage"] if u["mac"] == mac}


def read_frames(path: Path) -> tuple[int, list[tuple[int, bytes]]]:
    """(link type, [(timestamp µs, frame)]) of a little-endian microsecond pcap."""
    data = path.read_bytes()
    magic, _, _, _, _, _, linktype = struct.unpack("<IHHiIII", data[:24])
    assert magic == 0xA1B2C3D4
    frames, offset = [], 24
    while offset < len(data):
        sec, usec, caplen, wirelen = struct.unpack("<IIII", data[offset : offset + 16])
        assert caplen == wirelen
        frames.append((sec * 1_000_000 + usec, data[offset + 16 : offset + 16 + caplen]))
        offset += 16 + caplen
    return linktype, frames


# --- the file ---------------------------------------------------------------------------------


def test_writes_a_modest_ethernet_pcap_spanning_the_hour(hour) -> None:
    info, _ = hour
    capture = inspect_file(Path(info["path"]))
    assert (capture.format, capture.linktype) == ("pcap", 1)
    assert 3_000 <= info["packets"] <= 60_000
    assert info["bytes"] < 60_000_000
    linktype, frames = read_frames(Path(info["path"]))
    assert linktype == 1 and len(frames) == info["packets"]
    stamps = [ts for ts, _ in frames]
    assert stamps == sorted(stamps)
    assert START_MS * 1000 <= stamps[0] and stamps[-1] <= info["end_ms"] * 1000
    assert stamps[-1] - stamps[0] > 55 * 60 * 1_000_000  # activity spread over the whole hour


def test_headers_and_checksums_are_valid(hour) -> None:
    from scapy.layers.inet import IP, TCP, UDP
    from scapy.layers.l2 import Ether

    _, frames = read_frames(Path(hour[0]["path"]))
    checked = 0
    for _, frame in frames[::50]:
        packet = Ether(frame)
        if IP not in packet:
            continue
        rebuilt = Ether(frame)
        del rebuilt[IP].chksum
        for layer in (TCP, UDP):
            if layer in rebuilt:
                del rebuilt[layer].chksum
        rebuilt = Ether(bytes(rebuilt))
        assert rebuilt[IP].chksum == packet[IP].chksum
        for layer in (TCP, UDP):
            if layer in packet:
                assert rebuilt[layer].chksum == packet[layer].chksum, packet.summary()
        checked += 1
    assert checked > 500


def test_tcp_sequence_numbers_follow_the_bytes_sent(hour) -> None:
    """Each side's sequence number advances by exactly its payload (SYN and FIN count one), and
    no acknowledgement runs ahead of what the peer sent."""
    _, frames = read_frames(Path(hour[0]["path"]))
    next_seq: dict[tuple[bytes, int, bytes, int], int] = {}
    connections = 0
    for _, frame in frames:
        if frame[12:14] != b"\x08\x00" or frame[23] != 6:
            continue
        ihl = (frame[14] & 0x0F) * 4
        total = struct.unpack("!H", frame[16:18])[0]
        sport, dport, seq, ack, offset, flags = struct.unpack(
            "!HHIIBB", frame[14 + ihl : 14 + ihl + 14]
        )
        payload = total - ihl - (offset >> 4) * 4
        key = (frame[26:30], sport, frame[30:34], dport)
        peer = (key[2], key[3], key[0], key[1])
        if flags & 0x02:  # SYN
            connections += not flags & 0x10
            next_seq[key] = (seq + 1) & 0xFFFFFFFF
        else:
            assert seq == next_seq[key], f"sequence gap on {key}"
            next_seq[key] = (seq + payload + (flags & 0x01)) & 0xFFFFFFFF
        if flags & 0x10 and peer in next_seq:
            assert (next_seq[peer] - ack) & 0xFFFFFFFF < 0x80000000, f"ack ahead on {key}"
    assert connections > 100


def test_remote_servers_have_documentation_addresses(hour) -> None:
    _, frames = read_frames(Path(hour[0]["path"]))
    lan = ipaddress.ip_network("192.168.1.0/24")
    local = {ipaddress.ip_address(a) for a in ("0.0.0.0", "255.255.255.255")}
    remote = set()
    for _, frame in frames:
        if frame[12:14] == b"\x08\x00":
            for raw in (frame[26:30], frame[30:34]):
                address = ipaddress.ip_address(raw)
                if address not in lan and not address.is_multicast and address not in local:
                    remote.add(address)
    assert len(remote) > 50
    assert all(any(a in net for net in DOCUMENTATION_NETS) for a in remote)


def test_the_same_seed_writes_the_same_file(tmp_path: Path) -> None:
    first = generate_home_capture(tmp_path / "a.pcap", START_MS, seed=5, minutes=5)
    again = generate_home_capture(tmp_path / "b.pcap", START_MS, seed=5, minutes=5)
    other = generate_home_capture(tmp_path / "c.pcap", START_MS, seed=6, minutes=5)
    assert (tmp_path / "a.pcap").read_bytes() == (tmp_path / "b.pcap").read_bytes()
    assert first["devices"] == again["devices"]
    assert (tmp_path / "a.pcap").read_bytes() != (tmp_path / "c.pcap").read_bytes()
    assert [d["mac"] for d in first["devices"]] != [d["mac"] for d in other["devices"]]


def test_refuses_a_capture_too_short_to_show_every_device(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 5 minutes"):
        generate_home_capture(tmp_path / "x.pcap", START_MS, minutes=2)


def test_describes_the_devices_it_generated(hour) -> None:
    info, _ = hour
    devices = by_key(info)
    assert list(devices) == list(EXPECTED)
    for key, (kind, brand) in EXPECTED.items():
        assert (devices[key]["type"], devices[key]["brand"]) == (kind, brand)
    assert info["gateway"] == devices["gateway"]
    assert devices["gateway"]["ip"] == "192.168.1.1"
    assert devices["iphone"]["hostname"] == "Annas-iPhone"
    assert devices["laptop"]["hostname"].startswith("DESKTOP-")
    assert len({d["mac"] for d in info["devices"]}) == len({d["ip"] for d in info["devices"]}) == 9


# --- what the pipeline makes of it ----------------------------------------------------------


@pytest.mark.parametrize("key", list(EXPECTED))
def test_pipeline_recognizes_the_device(hour, key: str) -> None:
    info, result = hour
    expected = by_key(info)[key]
    found = {d["mac"]: d for d in result["devices"]}
    device = found[expected["mac"]]
    assert device["type"] == expected["type"], device["evidence"]
    assert device["brand"] == expected["brand"], device["evidence"]
    assert expected["ip"] in device["ips"]
    if expected["hostname"]:
        assert device["hostname"] == expected["hostname"]


def test_pipeline_finds_exactly_the_home_devices(hour) -> None:
    info, result = hour
    assert {d["mac"] for d in result["devices"]} == {d["mac"] for d in info["devices"]}
    assert result["notices"] == []


def test_pipeline_reads_models_and_operating_systems(hour) -> None:
    info, result = hour
    found = {d["mac"]: d for d in result["devices"]}
    device = {key: found[d["mac"]] for key, d in by_key(info).items()}
    assert device["android"]["model"] == "Galaxy S23"
    assert device["android"]["os"].startswith("Android")
    assert device["iphone"]["os"].startswith("iOS")
    assert device["laptop"]["os"].startswith("Windows")
    assert device["tv"]["model"] == "OLED55C14LB"
    assert device["tv"]["os"].startswith("webOS")
    assert "LaserJet MFP M234sdw" in device["printer"]["model"]


@pytest.mark.parametrize("key", sorted(KEY_APPS))
def test_usage_names_the_main_apps(hour, key: str) -> None:
    info, result = hour
    device = by_key(info)[key]
    assert {a.lower() for a in KEY_APPS[key]} <= {a.lower() for a in device["apps"]}
    assert {a.lower() for a in device["apps"]} <= apps_of(result, device["mac"])


def test_streaming_is_counted_as_active_use(hour) -> None:
    info, result = hour
    usage = {(u["mac"], u["app"].lower()): u for u in result["usage"]}
    devices = by_key(info)
    netflix = usage[(devices["tv"]["mac"], "netflix")]
    youtube = usage[(devices["android"]["mac"], "youtube")]
    assert netflix["bytes_down"] > 20 * netflix["bytes_up"]
    assert netflix["active_seconds"] >= 25 * 60
    assert youtube["active_seconds"] >= 5 * 60
    camera = devices["camera"]["mac"]
    upload = sum(u["bytes_up"] for u in result["usage"] if u["mac"] == camera)
    download = sum(u["bytes_down"] for u in result["usage"] if u["mac"] == camera)
    assert upload > 10 * download  # the camera's steady upload to its cloud


def test_tls_flows_carry_the_server_names(hour) -> None:
    info, result = hour
    names = defaultdict(set)
    for flow in result["flow_records"]:
        if flow["sni"]:
            names[flow["src_mac"]].add(flow["sni"])
    devices = by_key(info)
    assert any(n.endswith(".nflxvideo.net") for n in names[devices["tv"]["mac"]])
    assert any(n.endswith(".googlevideo.com") for n in names[devices["android"]["mac"]])
    assert any(n.endswith("spotify-com.akamaized.net") for n in names[devices["speaker"]["mac"]])
    assert "m1.tuyaeu.com" in names[devices["plug"]["mac"]]


def test_a_short_capture_still_shows_every_device(tmp_path: Path) -> None:
    info = generate_home_capture(tmp_path / "short.pcap", START_MS, seed=2, minutes=10)
    result = analyze(Path(info["path"]))
    found = {d["mac"]: d["type"] for d in result["devices"]}
    assert {d["key"]: found.get(d["mac"]) for d in info["devices"]} == {
        key: kind for key, (kind, _) in EXPECTED.items()
    }
    for device in info["devices"]:
        assert {a.lower() for a in device["apps"]} <= apps_of(result, device["mac"])
