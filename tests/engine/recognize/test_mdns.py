"""lanward.engine.recognize.mdns: names, DNS-SD service types and TXT records."""

from __future__ import annotations

import pytest

from lanward.engine.events import Evidence, MdnsSeen
from lanward.engine.recognize.mdns import evidence, service_type


@pytest.mark.parametrize(
    ("name", "stype"),
    [
        ("Living Room._googlecast._tcp.local", "_googlecast._tcp"),
        ("_ipp._tcp.local.", "_ipp._tcp"),
        ("Lucas-iMac._device-info._tcp.local", "_device-info._tcp"),
        ("HomeKit Bridge._hap._udp.local", "_hap._udp"),
        ("Lucas-iMac.local", ""),
        ("_services._dns-sd", ""),
    ],
)
def test_service_type(name: str, stype: str) -> None:
    assert service_type(name) == stype


def seen(**fields: object) -> MdnsSeen:
    return MdnsSeen(mac="d8:30:62:56:00:1c", ip="192.168.2.1", ts_ms=0, **fields)  # type: ignore[arg-type]


def test_host_names_lose_local() -> None:
    found = evidence(seen(names=("Lucas-iMac.local", "_sleep-proxy._udp.local", "x._tcp.local")))
    assert found == [Evidence("mdns", "hostname", "Lucas-iMac", 0.8)]


def test_service_types_give_device_types() -> None:
    found = evidence(
        seen(services=("Office._ipp._tcp.local", "Lucas-iMac._device-info._tcp.local"))
    )
    assert found == [
        Evidence("mdns", "service", "_ipp._tcp", 1.0),
        Evidence("mdns", "type", "printer", 0.8),
        Evidence("mdns", "service", "_device-info._tcp", 1.0),
    ]


def test_unknown_service_is_kept_without_a_type() -> None:
    assert evidence(seen(services=("x._weird._tcp.local",))) == [
        Evidence("mdns", "service", "_weird._tcp", 1.0)
    ]


def test_txt_model_brand_and_macos() -> None:
    found = evidence(
        seen(
            txt=(
                ("model", "iMac11,3"),
                ("osxvers", "15"),
                ("md", '"Chromecast Ultra"'),
                ("usb_MFG", "HP"),
                ("fn", "Living Room"),
                ("model", ""),
            )
        )
    )
    assert found == [
        Evidence("mdns", "model", "iMac11,3", 0.85),
        Evidence("mdns", "os", "macOS", 0.8),
        Evidence("mdns", "model", "Chromecast Ultra", 0.85),
        Evidence("mdns", "brand", "HP", 0.8),
    ]
