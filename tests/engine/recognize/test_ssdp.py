"""lanward.engine.recognize.ssdp: SERVER / USER-AGENT banners and UPnP device types."""

from __future__ import annotations

import pytest

from lanward.engine.events import Evidence, SsdpSeen
from lanward.engine.recognize.ssdp import device_types, evidence

ZONE_PLAYER = "urn:schemas-upnp-org:device:ZonePlayer:1"
IGD = "urn:schemas-upnp-org:device:InternetGatewayDevice:1"


def seen(**fields: object) -> SsdpSeen:
    return SsdpSeen(mac="34:7e:5c:ff:a2:6e", ip="192.168.1.70", ts_ms=0, **fields)  # type: ignore[arg-type]


def test_device_types() -> None:
    assert device_types(f"{ZONE_PLAYER} uuid:RINCON_1::{IGD}") == [
        "ZonePlayer",
        "InternetGatewayDevice",
    ]
    assert device_types("urn:schemas-upnp-org:service:WANIPConnection:1") == []


def test_sonos_notify() -> None:
    found = evidence(
        seen(
            method="NOTIFY",
            server="Linux UPnP/1.0 Sonos/70.3-35220 (ZPS13)",
            nt=ZONE_PLAYER,
            usn=f"uuid:RINCON_000E58A0B1C201400::{ZONE_PLAYER}",
        )
    )
    assert found == [
        Evidence("ssdp", "server", "Linux UPnP/1.0 Sonos/70.3-35220 (ZPS13)", 1.0),
        Evidence("ssdp", "os", "Linux", 0.4),
        Evidence("ssdp", "brand", "Sonos", 0.85),
        Evidence("ssdp", "type", "speaker", 0.8),
        Evidence("ssdp", "upnp_device", "ZonePlayer", 1.0),
        Evidence("ssdp", "type", "speaker", 0.85),
        Evidence("ssdp", "upnp_device", "ZonePlayer", 1.0),
        Evidence("ssdp", "type", "speaker", 0.85),
    ]


def test_search_target_is_what_the_searcher_wants_not_what_it_is() -> None:
    """Every UPnP client (a game, a torrent app) searches for the router."""
    found = evidence(seen(method="M-SEARCH", nt=IGD, user_agent="Microsoft-Windows/10.0 UPnP/1.0"))
    assert ("type", "router/access point") not in {(e.field, e.value) for e in found}
    assert [e.field for e in found] == ["user_agent", "os"]


def test_search_response_describes_the_responder() -> None:
    found = evidence(
        seen(method="HTTP/1.1", nt=IGD, server="OpenWRT/OpenWrt UPnP/1.1 MiniUPnPd/2.2")
    )
    assert Evidence("ssdp", "type", "router/access point", 0.85) in found


@pytest.mark.parametrize(
    ("banner", "os_name"),
    [
        ("Linux/4.9 UPnP/1.0 Cling/2.0", "Linux"),
        ("Microsoft-Windows/10.0 UPnP/1.0", "Windows"),
        ("Darwin/21.6.0 UPnP/1.1", "macOS or iOS"),
        ("Google Chrome/99.0.4844.74 Mac OS X", "macOS"),
        ("Android/9 UPnP/1.0", "Android"),
        ("Tizen/5.0 UPnP/1.0", "Tizen"),
    ],
)
def test_banner_os(banner: str, os_name: str) -> None:
    found = evidence(seen(method="M-SEARCH", user_agent=banner))
    assert [e.value for e in found if e.field == "os"] == [os_name]


def test_roku() -> None:
    found = evidence(seen(method="NOTIFY", server="Roku/9.3.0 UPnP/1.0 Roku/9.3.0"))
    assert Evidence("ssdp", "type", "streaming stick", 0.75) in found
