"""`lanward analyze` against nDPI's own test captures and ndpiReader's expected output.

For every capture in ../shared/corpus/ndpi/pcap: the flows and their packets and bytes each
way agree with ndpi/result/<name>.out, and every DHCP fingerprint, DHCP class id, DHCP host
name and User-Agent that ndpiReader reported lands on the device that made the flow. Then
what the engine recognizes about the devices in these captures.

Disagreements are listed below, each with its cause, and each cause is checked.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.ndpi_corpus import (
    PCAPS,
    Analysis,
    ExpectedFlow,
    analyze,
    capture_names,
    capture_params,
    require_corpus,
)
from tests.ndpi_corpus import expected_flows as load_expected

CAPTURES = capture_names()

# nfstream (lanward's flow meter) ends a flow after 120 s without a packet (idle_timeout) or
# 1800 s after its first packet (active_timeout), like conntrack; ndpiReader, which wrote the
# .out files, keeps a flow for the whole file. Such a flow comes out in pieces, which together
# must carry exactly the packets and bytes nDPI counted. {(capture, flow): number of pieces}
IDLE_TIMEOUT_MS = 120_000
ACTIVE_TIMEOUT_MS = 1_800_000
SPLIT_FLOWS: dict[tuple[str, str], int] = {
    # idle gaps of 159 s, 141 s and 125 s (the last: two IGMP queries)
    ("alexa-app.pcapng", "TCP 172.16.42.216:53682 <-> 54.239.22.185:443"): 2,
    ("alexa-app.pcapng", "TCP 172.16.42.216:33556 <-> 52.94.232.0:443"): 2,
    ("alexa-app.pcapng", "IGMP 0.0.0.0:0 <-> 224.0.0.1:0"): 2,
    # idle gaps of 359 s, 453 s and 149 s between Xiaomi push keep-alives
    ("xiaomi.pcap", "TCP 192.168.2.100:45106 <-> 18.193.233.122:5222"): 2,
    ("xiaomi.pcap", "TCP 192.168.2.100:37708 <-> 3.127.176.74:5222"): 2,
    ("xiaomi.pcap", "TCP 115.164.74.232:5222 <-> 192.168.247.13:38018"): 2,
    # TP-Link smart-home discovery broadcast once a minute for 31 minutes: past 1800 s
    **{
        ("tplink_shp.pcap", f"UDP 192.168.242.{host}:9999 <-> 255.255.255.255:9999"): 2
        for host in (40, 41, 99, 32, 33, 38, 98, 122)
    },
}

# Flows whose counts differ by a known number of packets/bytes (a->b pkts, bytes, b->a pkts,
# bytes), nfstream minus ndpiReader.
COUNT_DIFFERENCES: dict[tuple[str, str], tuple[int, int, int, int]] = {
    # Five client segments (frames 18, 32, 52, 70 and 78) are 66-byte frames whose IPv4 total
    # length field claims more (137, 58, 78, 57, 56 bytes) than the frame holds. ndpiReader
    # drops such packets as malformed; nfstream counts them as the 66 bytes on the wire.
    ("telnet.pcap", "TCP 192.168.0.2:1550 <-> 192.168.0.1:23"): (5, 5 * 66, 0, 0),
}

# User-Agents ndpiReader printed that lanward cannot attach. nDPI's Xiaomi dissector reads
# the phone model the Xiaomi app sends on port 5222 ("Redmi Note 9S"), but nfstream 6.6's
# user_agent is "" for these flows (checked below, so this list goes stale loudly when that
# changes). Three of them also carry synthetic MACs (the destination MAC of every frame is
# 00:00:00:00:00:00), so the phone is not even a device.
UA_NOT_EXPOSED: set[tuple[str, str]] = {
    ("xiaomi.pcap", "TCP 192.168.2.100:45106 <-> 18.193.233.122:5222"),
    ("xiaomi.pcap", "TCP 192.168.2.100:37708 <-> 3.127.176.74:5222"),
    ("xiaomi.pcap", "TCP 115.164.74.232:5222 <-> 192.168.247.13:38018"),
    ("xiaomi.pcap", "TCP 97.39.119.172:5222 <-> 192.168.93.59:51488"),
    ("xiaomi.pcap", "TCP 115.164.74.232:5222 <-> 192.168.244.219:45904"),
}


@pytest.fixture(scope="module", autouse=True)
def _corpus() -> None:
    require_corpus()


def _oriented(flow: dict[str, Any], expected: ExpectedFlow) -> tuple[int, int, int, int]:
    """Our record's counts in the direction ndpiReader printed (a -> b first)."""
    if (flow["src_ip"], flow["src_port"]) == expected.a:
        return (flow["packets_up"], flow["bytes_up"], flow["packets_down"], flow["bytes_down"])
    return (flow["packets_down"], flow["bytes_down"], flow["packets_up"], flow["bytes_up"])


def _client_device(run: Analysis, expected: ExpectedFlow) -> dict[str, Any] | None:
    piece = run.flows_between(expected.protocol, expected.a, expected.b)[0]
    src = (piece["src_ip"], piece["src_port"])
    mac = piece["src_mac"] if src == expected.client else piece["dst_mac"]
    return run.devices.get(mac)


@pytest.mark.parametrize("name", capture_params())
def test_analyze_succeeds(name: str) -> None:
    run = analyze(name)
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    assert run.result["capture"]["truncated"] is False


@pytest.mark.parametrize("name", capture_params())
def test_flows_and_counts_agree_with_ndpi(name: str) -> None:
    run = analyze(name)
    expected = load_expected(name)
    matched = 0
    for exp in expected:
        pieces = run.flows_between(exp.protocol, exp.a, exp.b)
        key = (name, exp.label)
        assert pieces, f"{name}: no flow for nDPI's #{exp.number} {exp.label}"
        matched += len(pieces)
        total = tuple(sum(c) for c in zip(*(_oriented(p, exp) for p in pieces), strict=True))
        if key in SPLIT_FLOWS:
            assert len(pieces) == SPLIT_FLOWS[key], f"{name}: {exp.label}: {pieces}"
            for before, after in zip(pieces, pieces[1:], strict=False):
                idle = after["first_seen"] - before["last_seen"]
                age = after["first_seen"] - pieces[0]["first_seen"]
                assert idle > IDLE_TIMEOUT_MS or age >= ACTIVE_TIMEOUT_MS, (name, exp.label)
        else:
            assert len(pieces) == 1, f"{name}: {exp.label} came out in {len(pieces)} pieces"
        difference = COUNT_DIFFERENCES.get(key, (0, 0, 0, 0))
        wanted = tuple(n + d for n, d in zip(exp.counts, difference, strict=True))
        assert total == wanted, f"{name}: #{exp.number} {exp.label}: ours {total}, nDPI {wanted}"
    # Nothing of ours is unaccounted for, and the flow count is nDPI's plus the extra pieces.
    assert matched == len(run.result["flow_records"]) == run.result["flows"]
    extra_pieces = sum(n - 1 for (capture, _), n in SPLIT_FLOWS.items() if capture == name)
    assert run.result["flows"] == len(expected) + extra_pieces


def test_every_allow_list_entry_names_a_real_flow() -> None:
    labels = {(name, f.label) for name in CAPTURES for f in load_expected(name)}
    stale = (set(SPLIT_FLOWS) | set(COUNT_DIFFERENCES) | UA_NOT_EXPOSED) - labels
    assert not stale


def test_telnet_difference_is_the_malformed_packets() -> None:
    from scapy.layers.inet import IP
    from scapy.utils import rdpcap

    frames = rdpcap(str(PCAPS / "telnet.pcap"))
    malformed = [
        (n, len(frame), frame[IP].len)
        for n, frame in enumerate(frames, 1)
        if IP in frame and frame[IP].len > len(bytes(frame[IP]))
    ]
    assert [(n, size) for n, size, _ in malformed] == [(n, 66) for n in (18, 32, 52, 70, 78)]
    assert all(frames[n - 1][IP].src == "192.168.0.2" for n, _, _ in malformed)


@pytest.mark.parametrize("name", capture_params())
def test_dhcp_fields_land_on_the_client_device(name: str) -> None:
    run = analyze(name)
    for exp in load_expected(name):
        if not (exp.dhcp_fingerprint or exp.dhcp_class_ident or exp.hostname):
            continue
        device = _client_device(run, exp)
        assert device is not None, f"{name}: no device for the client of {exp.label}"
        dhcp_evidence = {
            (e["field"], e["value"]) for e in device["evidence"] if e["source"] == "dhcp"
        }
        if exp.dhcp_fingerprint:
            assert ("dhcp_fingerprint", exp.dhcp_fingerprint) in dhcp_evidence
            assert device["dhcp_fingerprint"] == exp.dhcp_fingerprint
        if exp.dhcp_class_ident:
            assert device["dhcp_vendor_class"] == exp.dhcp_class_ident
        if exp.hostname:  # ndpiReader lower-cases it
            assert device["hostname"].lower() == exp.hostname.lower()


@pytest.mark.parametrize("name", capture_params())
def test_user_agents_land_on_the_client_device(name: str) -> None:
    run = analyze(name)
    for exp in load_expected(name):
        if not exp.user_agent:
            continue
        if (name, exp.label) in UA_NOT_EXPOSED:
            pieces = run.flows_between(exp.protocol, exp.a, exp.b)
            assert all(p["user_agent"] == "" for p in pieces), "nfstream exposes it now"
            continue
        device = _client_device(run, exp)
        assert device is not None, f"{name}: no device for the client of {exp.label}"
        assert exp.user_agent in device["user_agents"], (exp.label, device["user_agents"])


def test_dhcp_and_user_agent_checks_cover_the_corpus() -> None:
    """The two tests above look at something: the corpus has these fields on these flows."""
    flows = [f for name in CAPTURES for f in load_expected(name)]
    assert sum(bool(f.dhcp_fingerprint) for f in flows) == 4
    assert sum(bool(f.dhcp_class_ident) for f in flows) == 1
    assert sum(bool(f.user_agent) for f in flows) == 43


# --- recognition ------------------------------------------------------------------------------


def _device(name: str, mac: str) -> dict[str, Any]:
    run = analyze(name)
    assert mac in run.devices, f"{name}: no device {mac}; have {sorted(run.devices)}"
    return run.devices[mac]


def test_lg_android_phone_in_alexa_capture() -> None:
    phone = _device("alexa-app.pcapng", "78:f8:82:d3:fb:c2")
    assert phone["type"] == "phone"
    assert phone["brand"] == "LG"
    assert phone["os"] == "Android 5.1.1"
    assert "LG Electronics" in phone["vendor"]  # OUI 78:F8:82
    assert "volt" in phone["model"].lower()  # LGLS751 is the LG Volt 2
    assert phone["dhcp_fingerprint"] == "1,33,3,6,15,26,28,51,58,59"
    assert phone["dhcp_vendor_class"] == "dhcpcd-5.5.6"
    assert phone["hostname"] == "android-1c1335ec95a27318"
    assert set(phone["ips"]) == {"172.16.42.216", "fe80::7af8:82ff:fed3:fbc2"}
    assert any("LGLS751" in ua for ua in phone["user_agents"])
    assert phone["type_confidence"] > 0.5


def test_nokia_android_phone_and_its_dhcpv6() -> None:
    phone = _device("android.pcap", "4c:6a:f6:9f:f6:27")
    assert (phone["type"], phone["brand"], phone["os"]) == ("phone", "Nokia", "Android 9")
    assert phone["vendor"] == "HMD Global Oy"
    # Its DHCPv4 option 55, not the DHCPv6 option-request list (23,24) it sent later.
    assert phone["dhcp_fingerprint"] == "1,3,6,15,26,28,51,58,59,43"
    assert phone["dhcp_vendor_class"] == "android-dhcp-9"
    dhcpv6 = {(e["field"], e["value"]) for e in phone["evidence"] if e["source"] == "dhcpv6"}
    assert ("dhcpv6_option_request", "23,24") in dhcpv6
    # DUID-LLT: type 1, hardware type 1, time, then the phone's own MAC
    assert any(f == "duid" and v.endswith("4c6af69ff627") for f, v in dhcpv6)


def test_iphone_and_imac() -> None:
    iphone = _device("iphone.pcap", "c4:61:8b:35:82:a9")
    assert (iphone["type"], iphone["brand"], iphone["hostname"]) == (
        "phone",
        "Apple",
        "Lucas-iPhone",
    )
    assert iphone["os"] in {"iOS", "macOS or iOS"}
    assert "CaptiveNetworkSupport-390.60.1 wispr" in iphone["user_agents"]
    imac = _device("iphone.pcap", "d8:30:62:56:00:1c")
    assert (imac["type"], imac["brand"], imac["hostname"]) == ("computer", "Apple", "Lucas-iMac")
    assert imac["model"] == "iMac11,3"  # mDNS TXT "model=iMac11,3"
    assert imac["os"] == "macOS"


def test_sonos_speakers() -> None:
    for mac in ("34:7e:5c:ff:a2:6e", "5c:aa:fd:02:92:1a"):
        speaker = _device("sonos.pcapng", mac)
        assert (speaker["type"], speaker["brand"]) == ("speaker", "Sonos")


def test_tuya_devices_are_smart_plugs_or_hubs() -> None:
    run = analyze("tuya_lp.pcap")
    assert len(run.devices) == 13
    for device in run.devices.values():
        assert device["type"] == "smart plug/IoT hub", device
        assert device["brand"] in {"Tuya", "Espressif"}


def test_netbios_names_go_to_their_owners_only() -> None:
    run = analyze("netbios.pcap")
    names = {d["ips"][0]: d["hostname"] for d in run.devices.values()}
    # Owners: answered a query with their own address, a node status, or a browser datagram.
    assert names["10.0.4.24"] == "GUNNAR"
    assert names["10.0.5.1"] == "GURU"
    assert names["10.0.5.9"] == "NVR9"
    assert names["10.0.5.93"] == "BOWIE"
    # Hosts that only asked for a name do not get it (ndpiReader shows the queried name).
    for asker in ("10.0.4.131", "10.0.4.14", "10.0.4.66", "10.0.4.165", "10.0.4.101"):
        assert names[asker] == "", asker


def test_xiaomi_phone_from_its_user_agent() -> None:
    phone = _device("xiaomi.pcap", "60:38:e0:c5:35:a0")
    assert (phone["type"], phone["brand"], phone["os"]) == ("phone", "Xiaomi", "Android 10")
    assert phone["model"] == "Redmi Note 9 Pro"


def test_computers_from_their_user_agents() -> None:
    windows = _device("malware.pcap", "30:52:cb:6c:9c:1b")
    assert (windows["type"], windows["os"]) == ("computer", "Windows 10")
    mac = _device("http_auth.pcap", "28:cf:e9:21:3c:2b")
    assert (mac["type"], mac["brand"]) == ("computer", "Apple")


def test_ssdp_search_user_agent() -> None:
    laptop = _device("ssdp-m-search-ua.pcap", "f0:2f:4b:09:93:bc")
    assert laptop["user_agents"] == ["Google Chrome/99.0.4844.74 Mac OS X"]
    assert laptop["os"] == "macOS"
    assert laptop["services"] == []  # what it searched for (DIAL) is not what it is


def test_usage_adds_up_to_the_flows() -> None:
    """Every byte the phone sent or received is booked once, on the phone.

    Except what it sent from an unspecified address (0.0.0.0 DHCP discover, :: duplicate
    address detection): before it has an address, traffic belongs to no one.
    """
    phone = "78:f8:82:d3:fb:c2"
    run = analyze("alexa-app.pcapng")
    usage = [u for u in run.result["usage"] if u["mac"] == phone]
    up = down = 0
    for f in run.result["flow_records"]:
        if f["src_mac"] == phone and f["src_ip"] not in {"0.0.0.0", "::"}:
            up, down = up + f["bytes_up"], down + f["bytes_down"]
    assert sum(u["bytes_up"] for u in usage) == up
    assert sum(u["bytes_down"] for u in usage) == down
    # Minutes above 20 kB: the Amazon apps were in use; DNS never was.
    active = {u["app"]: u["active_seconds"] for u in usage}
    assert active["Amazon"] > 0
    assert active["DNS"] == 0
