"""A demo capture of a small home network: a gateway and eight devices behind it.

`generate_home_capture` writes an Ethernet pcap in which each device behaves the way its kind
does on a real LAN: it joins with DHCP (with its own client's option order and parameter list),
announces itself over mDNS, SSDP, NetBIOS or WS-Discovery, and talks to the Internet over TLS
(with a real SNI) and sometimes plain HTTP. Activity follows an evening at home: background
keep-alives all along, a phone arriving, a TV switched on for a Netflix session, music on the
speaker, browsing and a print job on the laptop.

Everything is derived from `seed`, so a seed always gives the same file. Remote servers use the
RFC 5737 documentation networks; the file is only written, nothing is ever sent.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lanward.demo import appliances, personal
from lanward.demo.home import LAN_PREFIX, Device, Home
from lanward.demo.wire import Capture, Node

LINUX_PORTS, IANA_PORTS = (32768, 60999), (49152, 65535)  # ephemeral port ranges


@dataclass(frozen=True)
class Role:
    """A device of the demo home: what it is, and how its network stack behaves.

    `kind`, `brand`, `model`, `hostname` and `apps` are what a correct pipeline reports for it
    (`apps` as nDPI names the traffic). `hostname` may use {tag} (random), {mac6} / {mac6l}
    (the MAC's last three octets, upper / lower case).
    """

    key: str
    kind: str
    brand: str
    model: str
    oui: str
    host: int
    hostname: str
    stack: str
    dhcp: str
    ttl: int = 64
    timestamps: bool = True
    ports: tuple[int, int] = LINUX_PORTS
    apps: tuple[str, ...] = ()


# fmt: off
CAST = [
    Role("gateway", "router/access point", "AVM", "FRITZ!Box 7590", "98:9b:cb", 1, "",
         stack="openssl", dhcp=""),
    Role("laptop", "computer", "Intel", "", "e4:c7:67", 20, "DESKTOP-{tag}",
         stack="schannel", dhcp="windows", ttl=128, timestamps=False, ports=IANA_PORTS,
         apps=("Teams", "Outlook", "WindowsUpdate")),
    Role("android", "phone", "Samsung", "Galaxy S23", "64:1b:2f", 21, "Galaxy-S23",
         stack="chromium", dhcp="android", apps=("YouTube", "WhatsApp")),
    Role("iphone", "phone", "Apple", "iPhone", "f0:ee:7a", 22, "Annas-iPhone",
         stack="apple", dhcp="ios", ports=IANA_PORTS, apps=("Instagram", "ApplePush")),
    Role("tv", "TV", "LG", "OLED55C14LB", "ac:5a:f0", 30, "LGwebOSTV",
         stack="openssl", dhcp="webos", apps=("Netflix",)),
    Role("speaker", "speaker", "Sonos", "One", "54:2a:1b", 31, "SonosZP",
         stack="openssl", dhcp="sonos", apps=("Spotify", "Sonos")),
    Role("camera", "camera", "Hikvision", "DS-2CD2143G2-I", "24:48:45", 40, "",
         stack="openssl", dhcp="udhcpc-1.19"),
    Role("printer", "printer", "HP", "LaserJet MFP M234sdw", "7c:4d:8f", 41, "HP{mac6}",
         stack="openssl", dhcp="hp-laserjet", ports=IANA_PORTS),
    Role("plug", "smart plug/IoT hub", "Tuya", "", "fc:67:1f", 50, "smartplug-{mac6l}",
         stack="mbedtls-psk", dhcp="udhcpc-1.24", timestamps=False, ports=IANA_PORTS,
         apps=("TuyaLP",)),
]
# fmt: on


def _cast(rng: random.Random) -> dict[str, Device]:
    devices = {}
    for role in CAST:
        tail = rng.randbytes(3)
        mac = role.oui + ":" + ":".join(f"{b:02x}" for b in tail)
        name = role.hostname.format(
            tag="".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(7)),
            mac6=tail.hex().upper(),
            mac6l=tail.hex(),
        )
        ip = LAN_PREFIX + str(role.host)
        node = Node(
            ip=ip,
            mac=mac,
            ttl=role.ttl,
            ip_id=rng.getrandbits(16),
            timestamps=role.timestamps,
            window=1026 if role.stack == "schannel" else 502,
            clock_ms=rng.getrandbits(31),
        )
        devices[role.key] = Device(
            role.key,
            role.kind,
            role.brand,
            role.model,
            mac,
            ip,
            name,
            role.stack,
            node,
            role.dhcp,
            role.ports,
            role.apps,
        )
    return devices


# -- entry point -------------------------------------------------------------------------------


def generate_home_capture(
    path: Path, start_ms: int, seed: int = 1, minutes: int = 60
) -> dict[str, Any]:
    """Write a pcap of `minutes` of a home network starting at `start_ms`; describe its devices.

    Returns {"path", "start_ms", "end_ms", "packets", "bytes", "gateway", "devices"}. `devices`
    lists all nine (the gateway first), each {"key", "mac", "ip", "type", "brand", "model",
    "hostname", "apps"}: what a correct recognizer reports for it, `apps` being the applications
    (as nDPI names them) its traffic must be counted under.
    """
    if minutes < 5:
        raise ValueError("a demo capture needs at least 5 minutes to show every device")
    rng = random.Random(seed)
    cap = Capture(start_us=start_ms * 1000, duration=minutes * 60.0)
    devices = _cast(rng)
    home = Home(cap, rng, devices["gateway"])
    appliances.gateway(home, devices)
    personal.windows_laptop(home, devices["laptop"], devices)
    personal.android(home, devices["android"], devices["tv"])
    personal.iphone(home, devices["iphone"], devices["speaker"])
    appliances.tv(home, devices["tv"])
    appliances.speaker(home, devices["speaker"])
    appliances.camera(home, devices["camera"])
    appliances.printer(home, devices["printer"])
    appliances.plug(home, devices["plug"])
    path = Path(path)
    packets = cap.write(path)
    return {
        "path": str(path),
        "start_ms": start_ms,
        "end_ms": start_ms + minutes * 60_000,
        "packets": packets,
        "bytes": path.stat().st_size,
        "gateway": devices["gateway"].describe(),
        "devices": [d.describe() for d in devices.values()],
    }
