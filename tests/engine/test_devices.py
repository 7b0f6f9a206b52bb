"""lanward.engine.devices: the device table, fed flows and discovery events."""

from __future__ import annotations

from dataclasses import replace

import pytest

from lanward.engine.devices import DeviceTable
from lanward.engine.events import DhcpSeen, Flow, MdnsSeen, NameSeen, SsdpSeen

PIXEL = "3c:28:6d:11:22:33"  # Google OUI: universally administered
RANDOM = "da:a1:19:44:55:66"  # locally administered ("private Wi-Fi address")
ROUTER = "00:c0:ca:91:a3:ef"
TS = 1_700_000_000_000
PIXEL_FP = (1, 3, 6, 15, 26, 28, 51, 58, 59, 43)
LG_UA = (
    "Mozilla/5.0 (Linux; Android 5.1.1; LGLS751 Build/LMY47V; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/56.0.2924.87 Mobile Safari/537.36"
)


def flow(**overrides: object) -> Flow:
    base = Flow(
        src_ip="192.168.1.20",
        dst_ip="52.85.209.216",
        src_port=54411,
        dst_port=443,
        protocol=6,
        src_mac=PIXEL,
        dst_mac=ROUTER,
        first_seen_ms=TS,
        last_seen_ms=TS + 4_000,
        src2dst_packets=40,
        src2dst_bytes=9_869,
        dst2src_packets=38,
        dst2src_bytes=36_764,
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


def dhcp(mac: str, ts: int = TS, **fields: object) -> DhcpSeen:
    return DhcpSeen(mac=mac, ts_ms=ts, message_type="request", **fields)  # type: ignore[arg-type]


# --- flows --------------------------------------------------------------------------------


def test_outbound_flow_belongs_to_the_home_sender() -> None:
    table = DeviceTable()
    device, direction = table.observe_flow(flow(user_agent=LG_UA, ja4="t13d1516h2_8daaf6152771"))
    assert device is not None and direction == "up"
    assert device.mac == PIXEL
    assert list(device.ips) == ["192.168.1.20"]
    assert (device.first_seen_ms, device.last_seen_ms) == (TS, TS + 4_000)
    assert LG_UA in device.user_agents
    fields = {(e.field, e.value) for e in device.evidence.values()}
    assert ("ja4", "t13d1516h2_8daaf6152771") in fields
    assert ("brand", "LG") in fields
    assert set(table.devices) == {PIXEL}  # the internet side is no device


def test_inbound_flow_with_a_reply_belongs_to_the_home_server() -> None:
    table = DeviceTable()
    inbound = flow(
        src_ip="203.0.113.9", src_mac=ROUTER, dst_ip="192.168.1.20", dst_mac=PIXEL, dst_port=22
    )
    device, direction = table.observe_flow(inbound)
    assert device is not None and (device.mac, direction) == (PIXEL, "down")
    assert list(device.services) == ["22/tcp"]


def test_unanswered_inbound_flow_is_no_ones() -> None:
    table = DeviceTable()
    scan = flow(src_ip="203.0.113.9", dst_ip="192.168.1.20", dst_mac=PIXEL, dst2src_packets=0)
    assert table.observe_flow(scan) == (None, "")
    assert table.devices == {}


def test_lan_flow_makes_both_devices() -> None:
    table = DeviceTable()
    device, _ = table.observe_flow(flow(dst_ip="192.168.1.1", dst_port=8080))
    assert device is not None and device.mac == PIXEL
    assert list(table.devices[ROUTER].services) == ["8080/tcp"]


@pytest.mark.parametrize(
    "mac", ["", "ff:ff:ff:ff:ff:ff", "01:00:5e:00:00:fb", "00:00:00:00:00:00", "not-a-mac"]
)
def test_unusable_macs_make_no_device(mac: str) -> None:
    table = DeviceTable()
    assert table.observe_flow(flow(src_mac=mac)) == (None, "")
    table.observe(dhcp(mac, hostname="x"))
    assert table.devices == {}


@pytest.mark.parametrize(
    ("ip", "home"),
    [
        ("192.168.1.20", True),
        ("10.1.2.3", True),
        ("fe80::1", True),
        ("fd00::1", True),
        ("8.8.8.8", False),
        ("0.0.0.0", False),
        ("::", False),
        ("255.255.255.255", False),
        ("224.0.0.251", False),
        ("ff02::fb", False),
        ("garbage", False),
    ],
)
def test_is_home(ip: str, home: bool) -> None:
    assert DeviceTable().is_home(ip) is home


def test_home_nets_are_configurable() -> None:
    table = DeviceTable(home_nets=("100.64.0.0/10",))
    assert table.is_home("100.64.1.2")
    assert not table.is_home("192.168.1.20")


def test_macs_are_normalized() -> None:
    table = DeviceTable()
    table.observe_flow(flow(src_mac="3C-28-6D-11-22-33"))
    assert list(table.devices) == [PIXEL]


def test_table_is_bounded_and_says_so() -> None:
    table = DeviceTable(max_devices=2)
    for n, mac in enumerate(["02:00:00:00:00:01", "02:00:00:00:00:02", "02:00:00:00:00:03"]):
        table.observe(
            NameSeen(mac=mac, ip=f"192.168.1.{n + 2}", ts_ms=TS + n, name=f"h{n}", source="llmnr")
        )
    assert list(table.devices) == ["02:00:00:00:00:02", "02:00:00:00:00:03"]
    [notice] = table.notices
    assert notice.kind == "device_table_full"
    assert notice.data == {"mac": "02:00:00:00:00:01"}


# --- discovery ----------------------------------------------------------------------------


def test_dhcp_fills_the_device() -> None:
    table = DeviceTable()
    table.observe(
        dhcp(
            PIXEL,
            hostname="Annas-Pixel",
            param_list=PIXEL_FP,
            vendor_class="android-dhcp-13",
            client_id="013c286d112233",
            requested_ip="192.168.1.20",
        )
    )
    data = table.devices[PIXEL].as_dict()
    assert data["hostname"] == "Annas-Pixel"
    assert data["dhcp_fingerprint"] == "1,3,6,15,26,28,51,58,59,43"
    assert data["dhcp_vendor_class"] == "android-dhcp-13"
    assert data["ips"] == ["192.168.1.20"]
    assert data["os"] == "Android"
    assert data["type"] == "phone"


def test_dhcpv6_does_not_replace_the_dhcpv4_identity() -> None:
    table = DeviceTable()
    table.observe(dhcp(PIXEL, hostname="Annas-Pixel", param_list=PIXEL_FP, vendor_class="android"))
    table.observe(
        dhcp(
            PIXEL,
            hostname="pixel-v6",
            param_list=(23, 24),
            vendor_class="v6-vendor",
            client_id="000300013c286d112233",
            ip="fe80::3e28:6dff:fe11:2233",
            v6=True,
        )
    )
    device = table.devices[PIXEL]
    assert device.dhcp_fingerprint == "1,3,6,15,26,28,51,58,59,43"
    assert (device.dhcp_hostname, device.dhcp_vendor_class) == ("Annas-Pixel", "android")
    assert (device.client_id, device.dhcpv6_duid) == ("", "000300013c286d112233")
    assert "fe80::3e28:6dff:fe11:2233" in device.ips
    evidence = {(e.source, e.field, e.value) for e in device.evidence.values()}
    assert ("dhcpv6", "dhcpv6_option_request", "23,24") in evidence


def test_dhcpv6_alone_names_the_device() -> None:
    table = DeviceTable()
    table.observe(dhcp(PIXEL, hostname="DESKTOP-AB12CD3", vendor_class="MSFT 5.0", v6=True))
    data = table.devices[PIXEL].as_dict()
    assert (data["hostname"], data["dhcp_vendor_class"]) == ("DESKTOP-AB12CD3", "MSFT 5.0")
    assert data["dhcp_fingerprint"] == ""
    assert (data["os"], data["type"]) == ("Windows", "computer")


def test_mdns_ssdp_and_names() -> None:
    table = DeviceTable()
    table.observe(
        MdnsSeen(
            mac=ROUTER,
            ip="192.168.1.30",
            ts_ms=TS,
            names=("Living-Room.local",),
            services=("Living Room._googlecast._tcp.local",),
            txt=(("md", "Chromecast Ultra"),),
        )
    )
    table.observe(
        SsdpSeen(mac=PIXEL, ip="192.168.1.40", ts_ms=TS, server="Linux UPnP/1.0 Sonos/70.3")
    )
    table.observe(NameSeen(mac=RANDOM, ip="192.168.1.50", ts_ms=TS, name="NVR9", source="netbios"))
    cast = table.devices[ROUTER].as_dict()
    assert (cast["type"], cast["model"], cast["hostname"]) == (
        "streaming stick",
        "Chromecast Ultra",
        "Living-Room",
    )
    assert cast["services"] == ["_googlecast._tcp"]
    assert table.devices[PIXEL].as_dict()["type"] == "speaker"
    assert table.devices[RANDOM].as_dict()["hostname"] == "NVR9"


def test_discovery_from_an_outside_address_keeps_no_ip() -> None:
    table = DeviceTable()
    table.observe(NameSeen(mac=PIXEL, ip="8.8.8.8", ts_ms=TS, name="odd", source="llmnr"))
    assert list(table.devices[PIXEL].ips) == []


# --- randomized MACs ----------------------------------------------------------------------


def test_same_dhcp_client_id_links_a_randomized_mac() -> None:
    table = DeviceTable()
    client_id = "ff6d112233000100012a3b4c5d3c286d112233"  # RFC 4361: IAID + DUID, stable
    table.observe(dhcp(PIXEL, client_id=client_id, hostname="Annas-Pixel"))
    table.observe(dhcp(RANDOM, ts=TS + 60_000, client_id=client_id))
    assert set(table.devices) == {PIXEL}
    assert table.aliases == {RANDOM: PIXEL}
    assert table.devices[PIXEL].linked_macs == {RANDOM: f"same DHCP client id {client_id}"}
    # Everything the randomized MAC does from now on is the Pixel's.
    device, _ = table.observe_flow(flow(src_mac=RANDOM, src_ip="192.168.1.99"))
    assert device is table.devices[PIXEL]
    assert "192.168.1.99" in device.ips
    assert device.as_dict()["linked_macs"] == [
        {"mac": RANDOM, "reason": f"same DHCP client id {client_id}"}
    ]


def test_client_id_made_of_the_new_mac_is_no_link() -> None:
    """Client id 01+MAC changes with the MAC; equal ids of that form prove nothing."""
    table = DeviceTable()
    own_id = "01" + RANDOM.replace(":", "")
    table.observe(dhcp(PIXEL, client_id=own_id))
    table.observe(dhcp(RANDOM, client_id=own_id))
    assert set(table.devices) == {PIXEL, RANDOM}


def test_same_hostname_and_fingerprint_link_a_randomized_mac() -> None:
    table = DeviceTable()
    table.observe(dhcp(PIXEL, hostname="Annas-Pixel", param_list=PIXEL_FP))
    table.observe(dhcp(RANDOM, hostname="annas-pixel", param_list=PIXEL_FP))
    assert table.aliases == {RANDOM: PIXEL}
    assert "same DHCP hostname" in table.devices[PIXEL].linked_macs[RANDOM]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("android", PIXEL_FP), ("android", PIXEL_FP)),  # a generic name proves nothing
        (("Annas-Pixel", PIXEL_FP), ("Annas-Pixel", (1, 3, 6, 15))),  # another DHCP client
        (("Annas-Pixel", PIXEL_FP), ("Bens-Pixel", PIXEL_FP)),
        (("Annas-Pixel", PIXEL_FP), ("", PIXEL_FP)),
    ],
    ids=["generic-hostname", "other-fingerprint", "other-hostname", "no-hostname"],
)
def test_no_link_without_enough_in_common(
    first: tuple[str, tuple[int, ...]], second: tuple[str, tuple[int, ...]]
) -> None:
    table = DeviceTable()
    table.observe(dhcp(PIXEL, hostname=first[0], param_list=first[1]))
    table.observe(dhcp(RANDOM, hostname=second[0], param_list=second[1]))
    assert set(table.devices) == {PIXEL, RANDOM}
    assert table.aliases == {}


def test_a_universal_mac_is_never_linked() -> None:
    """Two phones of the same model with the same name are two phones."""
    other_pixel = "3c:28:6d:99:88:77"
    table = DeviceTable()
    table.observe(dhcp(PIXEL, hostname="Pixel-7", param_list=PIXEL_FP))
    table.observe(dhcp(other_pixel, hostname="Pixel-7", param_list=PIXEL_FP))
    assert set(table.devices) == {PIXEL, other_pixel}


def test_same_dhcpv6_duid_links_a_randomized_mac() -> None:
    duid = "00010001" + "2a3b4c5d" + "3c286d112233"  # DUID-LLT of the real MAC
    table = DeviceTable()
    table.observe(dhcp(PIXEL, client_id=duid, v6=True))
    table.observe(dhcp(RANDOM, client_id=duid, v6=True))
    assert table.aliases == {RANDOM: PIXEL}
    assert table.devices[PIXEL].linked_macs[RANDOM] == f"same DHCPv6 DUID {duid}"


def test_unlink_undoes_the_link_for_good() -> None:
    table = DeviceTable()
    table.observe(dhcp(PIXEL, hostname="Annas-Pixel", param_list=PIXEL_FP))
    table.observe(dhcp(RANDOM, hostname="Annas-Pixel", param_list=PIXEL_FP))
    assert table.aliases == {RANDOM: PIXEL}

    table.unlink(RANDOM.upper())
    assert table.aliases == {}
    assert table.devices[PIXEL].linked_macs == {}
    # The randomized MAC is now its own device, and its next DHCP does not link it again.
    table.observe(dhcp(RANDOM, ts=TS + 120_000, hostname="Annas-Pixel", param_list=PIXEL_FP))
    assert set(table.devices) == {PIXEL, RANDOM}
    assert table.aliases == {}
    device, _ = table.observe_flow(flow(src_mac=RANDOM))
    assert device is table.devices[RANDOM]


def test_unlink_of_an_unknown_mac_is_harmless() -> None:
    table = DeviceTable()
    table.unlink(RANDOM)
    assert table.aliases == {} and table.devices == {}


# --- the JSON face ------------------------------------------------------------------------


def test_as_dict() -> None:
    table = DeviceTable()
    table.observe_flow(flow(src_mac="78:f8:82:d3:fb:c2", user_agent=LG_UA))
    table.observe(
        dhcp(
            "78:f8:82:d3:fb:c2",
            hostname="android-1c1335ec95a27318",
            param_list=(1, 33, 3, 6, 15, 26, 28, 51, 58, 59),
            vendor_class="dhcpcd-5.5.6",
        )
    )
    data = table.devices["78:f8:82:d3:fb:c2"].as_dict()
    assert data["mac"] == "78:f8:82:d3:fb:c2"
    assert (data["type"], data["brand"], data["os"]) == ("phone", "LG", "Android 5.1.1")
    assert data["vendor"].startswith("LG Electronics")
    assert data["hostname"] == "android-1c1335ec95a27318"
    assert data["user_agents"] == [LG_UA]
    assert (data["first_seen"], data["last_seen"]) == (TS, TS + 4_000)
    assert 0 < data["type_confidence"] <= 1
    for item in data["evidence"]:
        assert set(item) == {"source", "field", "value", "confidence"}
        assert 0 <= item["confidence"] <= 1
