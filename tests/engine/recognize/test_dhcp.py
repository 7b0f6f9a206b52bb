"""lanward.engine.recognize.dhcp: evidence from DHCP options 12, 55, 60, 61 and DHCPv6."""

from __future__ import annotations

import pytest

from lanward.engine.events import DhcpSeen, Evidence
from lanward.engine.recognize.dhcp import FINGERPRINTS, evidence, fingerprint_string

MAC = "78:f8:82:d3:fb:c2"


def test_fingerprint_string_keeps_the_order() -> None:
    assert fingerprint_string((1, 33, 3, 6)) == "1,33,3,6"
    assert fingerprint_string(()) == ""


def test_android_request() -> None:
    event = DhcpSeen(
        mac=MAC,
        ts_ms=0,
        hostname="android-1c1335ec95a27318",
        param_list=(1, 33, 3, 6, 15, 26, 28, 51, 58, 59),
        vendor_class="dhcpcd-5.5.6",
        client_id="0178f882d3fbc2",
    )
    assert evidence(event) == [
        Evidence("dhcp", "hostname", "android-1c1335ec95a27318", 0.9),
        Evidence("dhcp", "dhcp_fingerprint", "1,33,3,6,15,26,28,51,58,59", 1.0),
        Evidence("dhcp", "os", "Android", 0.75),
        Evidence("dhcp", "dhcp_vendor_class", "dhcpcd-5.5.6", 1.0),
        Evidence("dhcp", "os", "Linux", 0.5),
        Evidence("dhcp", "client_id", "0178f882d3fbc2", 1.0),
    ]


@pytest.mark.parametrize(
    ("vendor_class", "field", "value"),
    [
        ("android-dhcp-9", "os", "Android"),
        ("MSFT 5.0", "os", "Windows"),
        ("udhcp 1.30.1", "os", "Linux (embedded)"),
        ("Xbox 360", "type", "game console"),
    ],
)
def test_vendor_class_rules(vendor_class: str, field: str, value: str) -> None:
    found = evidence(DhcpSeen(mac=MAC, ts_ms=0, vendor_class=vendor_class))
    assert [(e.field, e.value) for e in found if e.field != "dhcp_vendor_class"] == [(field, value)]


def test_unknown_fingerprint_is_still_evidence() -> None:
    found = evidence(DhcpSeen(mac=MAC, ts_ms=0, param_list=(1, 2, 3)))
    assert found == [Evidence("dhcp", "dhcp_fingerprint", "1,2,3", 1.0)]


def test_every_known_fingerprint_names_an_os() -> None:
    for fp, (field, value, confidence) in FINGERPRINTS.items():
        assert field == "os" and value and 0 < confidence < 1, fp
        params = tuple(int(p) for p in fp.split(","))
        assert Evidence("dhcp", "os", value, confidence) in evidence(
            DhcpSeen(mac=MAC, ts_ms=0, param_list=params)
        )


def test_dhcpv6_option_request_is_not_looked_up_as_option_55() -> None:
    """A DHCPv6 ORO that happens to read like a v4 fingerprint says nothing about the OS."""
    android_v4 = (1, 33, 3, 6, 15, 26, 28, 51, 58, 59)
    event = DhcpSeen(
        mac=MAC,
        ts_ms=0,
        hostname="pixel",
        param_list=android_v4,
        client_id="0003000178f882d3fbc2",
        v6=True,
    )
    assert evidence(event) == [
        Evidence("dhcpv6", "hostname", "pixel", 0.9),
        Evidence("dhcpv6", "dhcpv6_option_request", "1,33,3,6,15,26,28,51,58,59", 1.0),
        Evidence("dhcpv6", "duid", "0003000178f882d3fbc2", 1.0),
    ]


def test_dhcpv6_vendor_class() -> None:
    found = evidence(DhcpSeen(mac=MAC, ts_ms=0, vendor_class="MSFT 5.0", v6=True))
    assert Evidence("dhcpv6", "os", "Windows", 0.8) in found
