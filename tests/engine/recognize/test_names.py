"""lanward.engine.recognize.names: hints from the names devices give themselves."""

from __future__ import annotations

import pytest

from lanward.engine.events import Evidence, NameSeen
from lanward.engine.recognize.names import evidence, from_name


def hints(name: str) -> set[tuple[str, str]]:
    return {(e.field, e.value) for e in from_name(name, "dhcp")}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Lucas-iPhone", {("type", "phone"), ("os", "iOS")}),
        ("Lucas-iMac", {("type", "computer")}),
        ("android-1c1335ec95a27318", {("os", "Android")}),
        ("DESKTOP-AB12CD3", {("os", "Windows"), ("type", "computer")}),
        ("Chromecast-Ultra", {("type", "streaming stick")}),
        ("SonosZP", {("type", "speaker")}),
        ("BRN3C2AF4123456", {("type", "printer")}),
        ("DiskStation", {("type", "NAS")}),
        ("home-nas", {("type", "NAS")}),
        ("ESP_A1B2C3", {("type", "smart plug/IoT hub")}),
        ("LGwebOSTV", {("type", "TV")}),
        ("Echo-Dot", {("type", "speaker")}),
    ],
)
def test_factory_names(name: str, expected: set[tuple[str, str]]) -> None:
    assert hints(name) == expected


@pytest.mark.parametrize("name", ["Annas-Pixel", "Jonas-Laptop", "Alexander-PC", "xstream_hy"])
def test_people_are_not_devices(name: str) -> None:
    """A person's name inside a device name ("Jonas", "Alexander") is no NAS and no Echo."""
    assert not {v for f, v in hints(name) if f == "type"} & {"NAS", "speaker"}


def test_name_evidence_is_discounted() -> None:
    assert from_name("Lucas-iMac", "mdns") == [Evidence("mdns", "type", "computer", 0.7 * 0.9)]


def test_netbios_name() -> None:
    found = evidence(
        NameSeen(mac="00:1c:c4:10:79:0f", ip="10.0.4.24", ts_ms=0, name="GUNNAR", source="netbios")
    )
    assert found == [Evidence("netbios", "hostname", "GUNNAR", 0.75)]


@pytest.mark.parametrize(
    ("detail", "kind"),
    [
        ("Device PrintDeviceType http://192.168.1.20:5357/x", "printer"),
        ("Device ScanDeviceType", "printer"),
        ("Computer Device http://192.168.1.20:5357/x", "computer"),
        ("Device NetworkVideoTransmitter http://192.168.1.64/onvif", "camera"),
    ],
)
def test_wsd_types(detail: str, kind: str) -> None:
    found = evidence(
        NameSeen(mac="aa:bb:cc:dd:ee:ff", ip="", ts_ms=0, name="", source="wsd", detail=detail)
    )
    assert found[0] == Evidence("wsd", "service", detail.split(" http")[0], 0.8)
    assert ("type", kind) in {(e.field, e.value) for e in found}
