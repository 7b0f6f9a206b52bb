"""lanward.engine.recognize.oui: MAC handling and the maker from the IEEE registry."""

from __future__ import annotations

import pytest

from lanward.engine.events import Evidence
from lanward.engine.recognize import oui


@pytest.mark.parametrize(
    "text", ["78:F8:82:D3:FB:C2", "78-f8-82-d3-fb-c2", "78f8.82d3.fbc2", "78f882d3fbc2"]
)
def test_normalize_mac(text: str) -> None:
    assert oui.normalize_mac(text) == "78:f8:82:d3:fb:c2"


@pytest.mark.parametrize("text", ["", "78:f8:82", "78:f8:82:d3:fb:c2:00", "hello"])
def test_normalize_rejects_non_macs(text: str) -> None:
    with pytest.raises(ValueError):
        oui.normalize_mac(text)


def test_address_bits() -> None:
    assert oui.is_locally_administered("da:a1:19:44:55:66")
    assert oui.is_locally_administered("c6:2c:03:60:6a:64")  # macOS Internet Sharing bridge
    assert not oui.is_locally_administered("78:f8:82:d3:fb:c2")
    assert oui.is_multicast("01:00:5e:00:00:fb")
    assert oui.is_multicast("ff:ff:ff:ff:ff:ff")
    assert not oui.is_multicast("78:f8:82:d3:fb:c2")


@pytest.mark.parametrize(
    ("mac", "vendor", "brand"),
    [
        ("78:f8:82:d3:fb:c2", "LG Electronics", "LG"),
        ("34:7e:5c:ff:a2:6e", "Sonos", "Sonos"),
        ("4c:6a:f6:9f:f6:27", "HMD Global", "HMD Global Oy"),
        ("c4:61:8b:35:82:a9", "Apple", "Apple"),
    ],
)
def test_vendor_and_brand(mac: str, vendor: str, brand: str) -> None:
    name = oui.vendor_name(mac)
    assert vendor in name
    assert oui.brand_of(name) == brand


def test_unregistered_prefix() -> None:
    assert oui.vendor_name("00:00:5f:00:00:01") in {"", "Sumitomo Electric Industries, Ltd"}
    assert oui.vendor_name("not a mac") == ""


def test_randomized_mac_says_only_that() -> None:
    assert oui.evidence("da:a1:19:44:55:66") == [
        Evidence("oui", "mac", "randomized (locally administered)", 0.9)
    ]


def test_chip_makers_hint_at_the_type() -> None:
    found = {(e.field, e.value) for e in oui.evidence("dc:4f:22:bd:40:a1")}  # Espressif
    assert ("type", "smart plug/IoT hub") in found
    found = {(e.field, e.value) for e in oui.evidence("34:7e:5c:ff:a2:6e")}  # Sonos
    assert ("type", "speaker") in found
    assert ("brand", "Sonos") in found


def test_brand_from_oui_is_weak() -> None:
    brand = next(e for e in oui.evidence("78:f8:82:d3:fb:c2") if e.field == "brand")
    assert brand.value == "LG" and brand.confidence < 0.5
