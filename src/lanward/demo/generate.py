"""A demo capture of a small home network: a gateway and nine typical devices.

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
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lanward.demo import payloads
from lanward.demo.home import Device, Home, every_until
from lanward.demo.wire import Capture, Node, multicast_mac

LAN_PREFIX = "192.168.1."
# Multicast groups, with the IP TTL each protocol sends with (RFC 6762, UPnP DA 1.1, RFC 4795,
# WS-Discovery 1.1).
MDNS = Node(ip="224.0.0.251", mac=multicast_mac("224.0.0.251"), ttl=255)
SSDP = Node(ip="239.255.255.250", mac=multicast_mac("239.255.255.250"), ttl=2)
LLMNR = Node(ip="224.0.0.252", mac=multicast_mac("224.0.0.252"), ttl=1)
WSD = Node(ip="239.255.255.250", mac=multicast_mac("239.255.255.250"), ttl=1)
LAN_BROADCAST = Node(ip=LAN_PREFIX + "255", mac="ff:ff:ff:ff:ff:ff")
ALL_BROADCAST = Node(ip="255.255.255.255", mac="ff:ff:ff:ff:ff:ff")

UA_ANDROID_CHROME = (
    "Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.6099.144 Mobile Safari/537.36"
)
UA_ANDROID_DALVIK = "Dalvik/2.1.0 (Linux; U; Android 13; SM-S911B Build/TP1A.220624.014)"
UA_IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1"
)
UA_EDGE = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91"
)
UA_WEBOS = (
    "Mozilla/5.0 (Web0S; Linux/SmartTV) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/79.0.3945.79 Safari/537.36 WebAppManager"
)
ACCEPT_HTML = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
)


# -- the cast ----------------------------------------------------------------------------------

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
    ttl: int = 64
    timestamps: bool = True
    ports: tuple[int, int] = LINUX_PORTS
    apps: tuple[str, ...] = ()


CAST = [
    Role("gateway", "router/access point", "AVM", "FRITZ!Box 7590", "98:9b:cb", 1, "", "openssl"),
    Role(
        "laptop",
        "computer",
        "Intel",
        "",
        "e4:c7:67",
        20,
        "DESKTOP-{tag}",
        "schannel",
        ttl=128,
        timestamps=False,
        ports=IANA_PORTS,
        apps=("Teams", "Outlook", "WindowsUpdate"),
    ),
    Role(
        "android",
        "phone",
        "Samsung",
        "Galaxy S23",
        "64:1b:2f",
        21,
        "Galaxy-S23",
        "chromium",
        apps=("YouTube", "WhatsApp"),
    ),
    Role(
        "iphone",
        "phone",
        "Apple",
        "iPhone",
        "f0:ee:7a",
        22,
        "Annas-iPhone",
        "apple",
        ports=IANA_PORTS,
        apps=("Instagram", "ApplePush"),
    ),
    Role(
        "tv", "TV", "LG", "OLED55C14LB", "ac:5a:f0", 30, "LGwebOSTV", "openssl", apps=("Netflix",)
    ),
    Role(
        "speaker",
        "speaker",
        "Sonos",
        "One",
        "54:2a:1b",
        31,
        "SonosZP",
        "openssl",
        apps=("Spotify", "Sonos"),
    ),
    Role("camera", "camera", "Hikvision", "DS-2CD2143G2-I", "24:48:45", 40, "", "openssl"),
    Role(
        "printer",
        "printer",
        "HP",
        "LaserJet MFP M234sdw",
        "7c:4d:8f",
        41,
        "HP{mac6}",
        "openssl",
        ports=IANA_PORTS,
    ),
    Role(
        "plug",
        "smart plug/IoT hub",
        "Tuya",
        "",
        "fc:67:1f",
        50,
        "smartplug-{mac6l}",
        "mbedtls-psk",
        timestamps=False,
        ports=IANA_PORTS,
        apps=("TuyaLP",),
    ),
]


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
            role.ports,
            role.apps,
        )
    return devices


# -- DHCP clients: option order and parameter lists as each client sends them -------------------


def _client_id(dev: Device) -> bytes:
    return b"\x01" + bytes.fromhex(dev.mac.replace(":", ""))


def _dhcp_options(dev: Device, gateway_ip: str) -> Callable[[str, str], list[tuple[str, object]]]:
    """Options for a DHCP `message` in a client `phase`: selecting, init-reboot or renewing."""

    def build(message: str, phase: str) -> list[tuple[str, object]]:
        chosen: list[tuple[str, object]] = []
        if phase in ("selecting", "init-reboot"):
            chosen.append(("requested_addr", dev.ip))
        if phase == "selecting":
            chosen.append(("server_id", gateway_ip))
        head: list[tuple[str, object]] = [("message-type", message)]
        host = [("hostname", dev.hostname.encode())] if dev.hostname else []
        if dev.key == "android":  # AOSP DhcpClient
            return [
                *head,
                ("client_id", _client_id(dev)),
                *chosen,
                ("max_dhcp_size", 1500),
                ("vendor_class_id", b"android-dhcp-13"),
                *host,
                ("param_req_list", [1, 3, 6, 15, 26, 28, 51, 58, 59, 43]),
            ]
        if dev.key == "iphone":  # iOS 17 configd
            return [
                *head,
                ("param_req_list", [1, 121, 3, 6, 15, 108, 114, 119, 252, 95, 44, 46]),
                ("max_dhcp_size", 1500),
                ("client_id", _client_id(dev)),
                *chosen,
                ("lease_time", 7776000),
                *host,
            ]
        if dev.key == "laptop":  # Windows 11 DHCP client
            return [
                *head,
                ("client_id", _client_id(dev)),
                *chosen,
                *host,
                ("client_FQDN", b"\x00\x00\x00" + dev.hostname.encode()),
                ("vendor_class_id", b"MSFT 5.0"),
                ("param_req_list", [1, 3, 6, 15, 31, 33, 43, 44, 46, 47, 119, 121, 249, 252]),
            ]
        if dev.key in ("plug", "camera"):  # BusyBox udhcpc
            version = b"udhcp 1.24.2" if dev.key == "plug" else b"udhcp 1.19.4"
            return [
                *head,
                ("client_id", _client_id(dev)),
                *chosen,
                ("max_dhcp_size", 576),
                ("vendor_class_id", version),
                *host,
                ("param_req_list", [1, 3, 6, 12, 15, 28, 42]),
            ]
        if dev.key == "speaker":
            return [*head, *chosen, *host, ("param_req_list", [1, 3, 6, 12, 15, 28, 40, 41, 42])]
        if dev.key == "tv":
            return [
                *head,
                ("client_id", _client_id(dev)),
                ("max_dhcp_size", 1500),
                *chosen,
                *host,
                ("param_req_list", [1, 3, 6, 12, 15, 28, 42]),
            ]
        # HP LaserJet firmware
        return [
            *head,
            ("client_id", _client_id(dev)),
            *chosen,
            ("max_dhcp_size", 1024),
            *host,
            ("param_req_list", [1, 3, 6, 15, 44, 46, 47, 81, 12, 2, 42, 26, 119]),
        ]

    return build


# -- behaviour ---------------------------------------------------------------------------------


def _gateway(home: Home, devices: dict[str, Device]) -> None:
    gw, rng = devices["gateway"], home.rng
    uid = str(uuid.UUID(int=rng.getrandbits(128)))
    server = "FRITZ!Box 7590 UPnP/1.0 AVM FRITZ!Box 7590 154.07.57"
    location = f"http://{gw.ip}:49000/igddesc.xml"
    kinds = [
        "upnp:rootdevice",
        f"uuid:{uid}",
        "urn:schemas-upnp-org:device:InternetGatewayDevice:2",
        "urn:schemas-upnp-org:device:WANDevice:2",
        "urn:schemas-upnp-org:device:WANConnectionDevice:2",
        "urn:schemas-upnp-org:service:WANIPConnection:2",
    ]
    for t in every_until(rng.uniform(2, 6), home.duration, 900, rng):
        for repeat in range(2):
            for n, nt in enumerate(kinds):
                body = payloads.ssdp_notify(location, server, nt, f"uuid:{uid}")
                home.cap.udp(t + repeat * 0.2 + n * 0.003, gw.node, SSDP, 1900, 1900, body)
    others = [d for d in devices.values() if d.key != "gateway"]
    for t in every_until(30, home.duration, 240, rng, 0.3):
        home.arp_exchange(t, gw, rng.choice(others))


def _windows_laptop(home: Home, dev: Device, devices: dict[str, Device]) -> None:
    rng, d = home.rng, home.duration
    t = home.dhcp_join(
        dev, rng.uniform(15, 25), _dhcp_options(dev, devices["gateway"].ip), discover=False
    )
    for n in range(3):  # name registration, repeated as Windows does
        for file_server in (False, True):
            body = payloads.nbns_registration(
                dev.hostname, dev.ip, rng.getrandbits(16), file_server
            )
            home.cap.udp(t + 0.6 * n + 0.01 * file_server, dev.node, LAN_BROADCAST, 137, 137, body)
    hello = payloads.wsd_hello(
        str(uuid.UUID(int=rng.getrandbits(128))),
        str(uuid.UUID(int=rng.getrandbits(128))),
        "wsdp:Device pub:Computer",
        f"http://{dev.ip}:5357/{uuid.UUID(int=rng.getrandbits(128))}/",
        rng.getrandbits(31),
    )
    home.cap.udp(t + 0.3, dev.node, WSD, rng.randint(49152, 65535), 3702, hello)
    home.cap.udp(
        t + 0.4,
        dev.node,
        LLMNR,
        rng.randint(49152, 65535),
        5355,
        payloads.llmnr_query(rng.getrandbits(16), "wpad"),
    )
    # Network Connectivity Status Indicator, then the certificate trust list check.
    ncsi = payloads.http_request(
        "GET",
        "/connecttest.txt",
        "www.msftconnecttest.com",
        [("Connection", "Close"), ("User-Agent", "Microsoft NCSI")],
    )
    home.http(
        dev,
        t + 1.2,
        "www.msftconnecttest.com",
        ncsi,
        payloads.http_response(
            "200 OK", [("Content-Type", "text/plain")], b"Microsoft Connect Test"
        ),
    )
    ctl = payloads.http_request(
        "GET",
        "/msdownload/update/v3/static/trustedr/en/disallowedcertstl.cab",
        "ctldl.windowsupdate.com",
        [
            ("Connection", "Keep-Alive"),
            ("Accept", "*/*"),
            ("User-Agent", "Microsoft-CryptoAPI/10.0"),
        ],
    )
    home.http(
        dev,
        t + 4,
        "ctldl.windowsupdate.com",
        ctl,
        payloads.http_response(
            "200 OK", [("Content-Type", "application/vnd.ms-cab-compressed")], rng.randbytes(6300)
        ),
    )
    home.keepalive(dev, t + 6, d, "teams.microsoft.com", 443, every=45, up=90, down=60)
    home.keepalive(dev, t + 8, d, "outlook.office365.com", 443, every=100, up=300, down=900)
    # Windows Update through Delivery Optimization: ranged HTTP GETs.
    wu_host = "7.tlu.dl.delivery.mp.microsoft.com"
    wu = home.connect(dev, 0.12 * d, wu_host, 80)
    for part in range(6):
        req = payloads.http_request(
            "GET",
            "/filestreamingservice/files/4b1e1f30-8a9c-4c5d-9b6e-2f7d3c1a0e55",
            wu_host,
            [
                ("Connection", "Keep-Alive"),
                ("Accept", "*/*"),
                ("Range", f"bytes={part * 262144}-{part * 262144 + 262143}"),
                ("User-Agent", "Microsoft-Delivery-Optimization/10.0"),
                ("MS-CV", "r2RwmR+nVkW0aNYT.1.1." + str(part)),
            ],
        )
        wu.exchange(
            req,
            payloads.http_response(
                "206 Partial Content",
                [("Content-Type", "application/octet-stream")],
                rng.randbytes(262144),
            ),
            rate=8e6,
        )
        wu.t += rng.uniform(0.2, 2.0)
    wu.close()
    # Browsing, in two sittings.
    first = True
    for start, end in ((0.04 * d, 0.30 * d), (0.55 * d, 0.92 * d)):
        t = start
        while t < end:
            if first:  # a typed address: plain HTTP, redirected to HTTPS
                req = payloads.http_request(
                    "GET",
                    "/",
                    "www.heise.de",
                    [
                        ("Connection", "keep-alive"),
                        ("Upgrade-Insecure-Requests", "1"),
                        ("User-Agent", UA_EDGE),
                        ("Accept", ACCEPT_HTML),
                        ("Accept-Encoding", "gzip, deflate"),
                        ("Accept-Language", "de-DE,de;q=0.9,en;q=0.8"),
                    ],
                )
                resp = payloads.http_response(
                    "301 Moved Permanently",
                    [("Location", "https://www.heise.de/"), ("Server", "nginx")],
                )
                t = home.http(dev, t, "www.heise.de", req, resp)
                t = home.https(dev, t + 0.05, "www.heise.de", [(700, 90_000), (500, 40_000)])
                first = False
            site = rng.choice(_LAPTOP_SITES)
            for n, host in enumerate(site):
                pieces = [
                    (rng.randint(400, 1200), rng.randint(5_000, 40_000))
                    for _ in range(rng.randint(1, 3))
                ]
                home.https(dev, t + n * rng.uniform(0.05, 0.3), host, pieces, gap=(0.02, 0.4))
            t += rng.uniform(30, 120)
    _print_job(home, dev, devices["printer"], 0.42 * d)
    _watch_camera(home, dev, devices["camera"], 0.70 * d)


_LAPTOP_SITES = [
    ("en.wikipedia.org", "upload.wikimedia.org"),
    ("github.com", "github.githubassets.com", "avatars.githubusercontent.com"),
    ("outlook.office.com", "res.cdn.office.net"),
    ("www.google.com", "www.gstatic.com"),
    ("stackoverflow.com", "cdn.sstatic.net"),
    ("www.reddit.com", "www.redditstatic.com"),
    ("www.amazon.de", "m.media-amazon.com"),
]


def _print_job(home: Home, laptop: Device, printer: Device, t: float) -> None:
    rng = home.rng
    query = payloads.mdns_query([("_ipp._tcp.local", "PTR")])
    home.cap.udp(t, laptop.node, MDNS, 5353, 5353, query)
    _printer_announce(home, printer, t + rng.uniform(0.02, 0.12))
    server = Node(
        ip=printer.ip,
        mac=printer.mac,
        ttl=64,
        window=2048,
        clock_ms=rng.getrandbits(31),
        timestamps=False,
    )
    session = home.connect(laptop, t + 0.3, printer.ip, 631, server=server, rtt=0.0015)
    attrs = payloads.http_request(
        "POST",
        "/ipp/print",
        f"{printer.ip}:631",
        [("Content-Type", "application/ipp"), ("Connection", "Keep-Alive")],
        rng.randbytes(180),
    )
    session.exchange(
        attrs,
        payloads.http_response(
            "200 OK", [("Content-Type", "application/ipp")], rng.randbytes(5200)
        ),
        think=0.02,
    )
    job = payloads.http_request(
        "POST",
        "/ipp/print",
        f"{printer.ip}:631",
        [("Content-Type", "application/ipp"), ("Transfer-Encoding", "chunked")],
        rng.randbytes(240_000),
    )
    session.exchange(
        job,
        payloads.http_response("200 OK", [("Content-Type", "application/ipp")], rng.randbytes(160)),
        think=0.3,
        rate=2e6,
    )
    session.close(session.t + 1.0)


def _watch_camera(home: Home, laptop: Device, camera: Device, t: float) -> None:
    """VLC on the laptop pulls the camera's RTSP sub-stream for a minute and a half."""
    rng = home.rng
    server = Node(
        ip=camera.ip,
        mac=camera.mac,
        ttl=64,
        window=1024,
        clock_ms=rng.getrandbits(31),
        timestamps=False,
    )
    session = home.connect(laptop, t, camera.ip, 554, server=server, rtt=0.002)
    url = f"rtsp://{camera.ip}:554/Streaming/Channels/102"
    ua = "LibVLC/3.0.20 (LIVE555 Streaming Media v2016.11.28)"
    sdp = (
        b"v=0\r\no=- 1700000000 1 IN IP4 " + camera.ip.encode() + b"\r\ns=Media Presentation\r\n"
        b"m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:trackID=1\r\n"
    )
    steps = [
        ("OPTIONS", url, [], [("Public", "OPTIONS, DESCRIBE, PLAY, PAUSE, SETUP, TEARDOWN")], b""),
        (
            "DESCRIBE",
            url,
            [("Accept", "application/sdp")],
            [("Content-Type", "application/sdp"), ("Content-Base", url + "/")],
            sdp,
        ),
        (
            "SETUP",
            url + "/trackID=1",
            [("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1")],
            [
                ("Session", "1273222592;timeout=60"),
                ("Transport", "RTP/AVP/TCP;unicast;interleaved=0-1"),
            ],
            b"",
        ),
        (
            "PLAY",
            url + "/",
            [("Session", "1273222592"), ("Range", "npt=0.000-")],
            [("Session", "1273222592"), ("RTP-Info", f"url={url}/trackID=1;seq=1;rtptime=0")],
            b"",
        ),
    ]
    for cseq, (method, target, headers, answer, body) in enumerate(steps, 1):
        session.exchange(
            payloads.rtsp_request(method, target, cseq, ua, headers),
            payloads.rtsp_response(cseq, [("Server", "HIK/V5.0"), *answer], body),
            think=0.005,
        )
    seq, ssrc, stamp = rng.getrandbits(16), rng.getrandbits(32), rng.getrandbits(32)
    end = session.t + 90
    while session.t < end:  # a 512 kbit/s sub-stream: a frame every 80 ms
        frame = b"".join(
            payloads.rtp_interleaved(rng, seq + i, stamp, ssrc, rng.randint(900, 1400))
            for i in range(rng.choice((1, 1, 2, 3)))
        )
        seq += 3
        stamp += 7200
        session.send(False, frame, session.t + 0.08, rate=2e6)
    session.exchange(
        payloads.rtsp_request("TEARDOWN", url + "/", 5, ua, [("Session", "1273222592")]),
        payloads.rtsp_response(5, [("Session", "1273222592")]),
    )
    session.close()


def _android(home: Home, dev: Device, gateway: Device) -> None:
    rng, d = home.rng, home.duration
    t = home.dhcp_join(dev, rng.uniform(40, 50), _dhcp_options(dev, gateway.ip))
    probe = payloads.http_request(
        "GET",
        "/generate_204",
        "connectivitycheck.gstatic.com",
        [("Connection", "close"), ("User-Agent", UA_ANDROID_DALVIK), ("Accept-Encoding", "gzip")],
    )
    home.http(
        dev,
        t + 0.2,
        "connectivitycheck.gstatic.com",
        probe,
        payloads.http_response("204 No Content", [("Date", "Mon, 15 Jan 2024 19:02:11 GMT")]),
    )
    home.https(dev, t + 0.25, "www.google.com", [(600, 900)])
    home.keepalive(dev, t + 1.0, d, "mtalk.google.com", 5228, every=100, up=30, down=30, alpn=())
    home.https(dev, t + 2.0, "play.googleapis.com", [(1800, 6_000), (900, 22_000)])
    for when in (0.10, 0.33, 0.58, 0.81):  # a WhatsApp chat: a photo now and then
        start = when * d + rng.uniform(-60, 60)
        home.https(dev, start, "g.whatsapp.net", [(300, 500), (200, 300)], gap=(1, 8), port=443)
        home.https(
            dev,
            start + rng.uniform(1, 3),
            "mmg.whatsapp.net",
            [(800, rng.randint(120_000, 320_000))],
        )
    # The browser: one plain-HTTP address typed by hand, then news.
    req = payloads.http_request(
        "GET",
        "/",
        "www.spiegel.de",
        [
            ("Connection", "keep-alive"),
            ("Upgrade-Insecure-Requests", "1"),
            ("User-Agent", UA_ANDROID_CHROME),
            ("Accept", ACCEPT_HTML),
            ("Accept-Encoding", "gzip, deflate"),
            ("Accept-Language", "de-DE,de;q=0.9"),
        ],
    )
    t = home.http(
        dev,
        0.2 * d,
        "www.spiegel.de",
        req,
        payloads.http_response(
            "301 Moved Permanently",
            [("Location", "https://www.spiegel.de/"), ("Server", "Varnish")],
        ),
    )
    home.https(
        dev, t + 0.05, "www.spiegel.de", [(700, 150_000), (600, 80_000), (600, 60_000)], gap=(5, 40)
    )
    # YouTube: page and thumbnails, then video chunks from a googlevideo cache.
    start = 0.45 * d
    home.https(dev, start, "www.youtube.com", [(900, 60_000), (700, 30_000)])
    home.https(dev, start + 0.5, "i.ytimg.com", [(500, 25_000)] * 4, gap=(0.05, 0.3))
    cache = f"rr{rng.randint(1, 6)}---sn-{rng.choice(('4g5e6nzl', '4g5ednsz', 'h0jeen7y'))}.googlevideo.com"
    home.stream(
        dev,
        start + 2,
        min(start + 0.17 * d, d),
        lambda: cache,
        chunk=64_000,
        every=10,
        connection_life=240,
        rate=8e6,
    )


def _iphone(home: Home, dev: Device, gateway: Device, speaker: Device) -> None:
    rng, d = home.rng, home.duration
    t = home.dhcp_join(dev, 0.2 * d, _dhcp_options(dev, gateway.ip), discover=False)
    instance = "Anna\u2019s iPhone"
    rp = rng.randbytes(6).hex(":")
    companion, extra = payloads.mdns_service(
        instance,
        "_companion-link._tcp",
        dev.hostname,
        dev.ip,
        49153,
        [
            f"rpBA={rp.upper()}",
            "rpFl=0x20000",
            "rpVr=510.10.1",
            f"rpAD={rng.randbytes(6).hex()}",
            f"rpHI={rng.randbytes(6).hex()}",
        ],
    )
    rdlink, _ = payloads.mdns_service(instance, "_rdlink._tcp", dev.hostname, dev.ip, 49154, [])
    announcement = payloads.mdns_response(companion + rdlink, extra)
    for n, delay in enumerate((0.9, 1.9, 3.9)):  # RFC 6762 announces, spaced 1 s then doubling
        home.cap.udp(t + delay, dev.node, MDNS, 5353, 5353, announcement)
        if n == 0:
            query = payloads.mdns_query(
                [
                    ("_sonos._tcp.local", "PTR"),
                    ("_airplay._tcp.local", "PTR"),
                    ("_raop._tcp.local", "PTR"),
                ]
            )
            home.cap.udp(t + delay + 0.01, dev.node, MDNS, 5353, 5353, query)
            _sonos_announce(home, speaker, t + delay + rng.uniform(0.02, 0.2))
    probe = payloads.http_request(
        "GET",
        "/hotspot-detect.html",
        "captive.apple.com",
        [
            ("Connection", "close"),
            ("User-Agent", "CaptiveNetworkSupport-481.0.1 wispr"),
            ("Accept", "*/*"),
        ],
    )
    home.http(
        dev,
        t + 0.1,
        "captive.apple.com",
        probe,
        payloads.http_response(
            "200 OK",
            [("Content-Type", "text/html")],
            b"<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>",
        ),
    )
    home.keepalive(
        dev,
        t + 0.6,
        d,
        f"{rng.randint(1, 50)}-courier.push.apple.com",
        5223,
        every=100,
        up=60,
        down=60,
        alpn=("apns-security-v3",),
    )
    home.https(dev, t + 1.5, "gateway.icloud.com", [(1200, 4_000), (800, 16_000)])
    home.https(dev, t + 4.0, "gateway.icloud.com", [(2500, 8_000)])
    # Instagram: scrolling the feed, images and short videos from the CDN.
    start, end = 0.30 * d, 0.42 * d
    home.https(dev, start, "i.instagram.com", [(1100, 45_000)] * 3, gap=(0.5, 5))
    cdn = f"scontent-fra{rng.randint(3, 5)}-1.cdninstagram.com"
    home.stream(dev, start + 2, end, lambda: cdn, chunk=90_000, every=12, connection_life=180)
    req = payloads.http_request(
        "GET",
        "/",
        "www.tagesschau.de",
        [
            ("Accept", ACCEPT_HTML),
            ("Upgrade-Insecure-Requests", "1"),
            ("User-Agent", UA_IPHONE_SAFARI),
            ("Accept-Language", "de-DE,de;q=0.9"),
            ("Accept-Encoding", "gzip, deflate"),
            ("Connection", "keep-alive"),
        ],
    )
    t = home.http(
        dev,
        0.47 * d,
        "www.tagesschau.de",
        req,
        payloads.http_response(
            "301 Moved Permanently",
            [("Location", "https://www.tagesschau.de/"), ("Server", "Apache")],
        ),
    )
    home.https(dev, t + 0.05, "www.tagesschau.de", [(650, 120_000), (600, 70_000)], gap=(10, 50))
    home.https(dev, 0.75 * d, "g.whatsapp.net", [(400, 500), (300, 900)], gap=(2, 10))


def _tv(home: Home, dev: Device, gateway: Device) -> None:
    rng, d = home.rng, home.duration
    on, off = 0.27 * d, 0.88 * d
    t = home.dhcp_join(dev, on, _dhcp_options(dev, gateway.ip))
    uid = str(uuid.UUID(int=rng.getrandbits(128)))
    dlna = "Linux/4.4.84-229.0.glacier.ka2.dvb UPnP/1.0 LGE WebOS TV LGE_DLNA_SDK/1.6.0/04.40.20 DLNADOC/1.50"
    second_screen = "WebOS/6.0.0 UPnP/1.0 webOSTV/1.0"
    announces = [
        (dlna, f"http://{dev.ip}:1223/", "upnp:rootdevice"),
        (dlna, f"http://{dev.ip}:1223/", "urn:schemas-upnp-org:device:MediaRenderer:1"),
        (dlna, f"http://{dev.ip}:1223/", "urn:dial-multiscreen-org:device:dial:1"),
        (second_screen, f"http://{dev.ip}:3000/", "urn:lge-com:service:webos-second-screen:1"),
    ]
    for when in every_until(t + 1.0, off, 900, rng):
        for n, (server, location, nt) in enumerate(announces):
            body = payloads.ssdp_notify(location, server, nt, f"uuid:{uid}")
            home.cap.udp(when + n * 0.01, dev.node, SSDP, 1900, 1900, body)
    byebye = payloads.ssdp(
        "NOTIFY * HTTP/1.1",
        [
            ("HOST", "239.255.255.250:1900"),
            ("NT", "urn:schemas-upnp-org:device:MediaRenderer:1"),
            ("NTS", "ssdp:byebye"),
            ("USN", f"uuid:{uid}::urn:schemas-upnp-org:device:MediaRenderer:1"),
        ],
    )
    home.cap.udp(off, dev.node, SSDP, 1900, 1900, byebye)
    airplay, extra = payloads.mdns_service(
        "[LG] webOS TV OLED55C14LB",
        "_airplay._tcp",
        dev.hostname,
        dev.ip,
        7000,
        ["manufacturer=LG Electronics", "model=OLED55C14LB", "srcvers=377.40.00"],
    )
    home.cap.udp(t + 2.0, dev.node, MDNS, 5353, 5353, payloads.mdns_response(airplay, extra))
    req = payloads.http_request(
        "GET",
        "/CheckSWAutoUpdate.laf",
        "snu.lge.com",
        [("User-Agent", UA_WEBOS), ("Accept", "*/*"), ("Connection", "close")],
    )
    home.http(
        dev,
        t + 3.0,
        "snu.lge.com",
        req,
        payloads.http_response(
            "200 OK",
            [("Content-Type", "application/xml")],
            b"<RESPONSE><RESULT_CD>900</RESULT_CD></RESPONSE>",
        ),
    )
    home.https(dev, t + 4.0, "de.lgtvsdp.com", [(900, 35_000), (700, 12_000)])
    home.check_in(dev, t + 600, off, "de.lgtvsdp.com", every=600, up=300, down=400)
    # Netflix: app boot, browsing the catalogue, then playback with a pause in the middle.
    start = t + 20
    home.https(dev, start, "nrdp.prod.ftl.netflix.com", [(1500, 40_000), (1200, 25_000)])
    home.https(dev, start + 3, "www.netflix.com", [(900, 30_000)] * 3, gap=(2, 10))
    home.https(dev, start + 6, "occ-0-1490-3467.1.nflxso.net", [(500, 60_000)] * 5, gap=(0.5, 4))
    oca = [
        f"ipv4-c{rng.randint(1, 199):03d}-fra00{rng.randint(1, 9)}-ix.1.oca.nflxvideo.net"
        for _ in range(3)
    ]
    play = start + 60
    pause, resume = 0.55 * d, 0.58 * d
    for a, b in ((play, pause), (resume, off - 30)):
        if b > a:
            home.stream(
                dev,
                a,
                b,
                lambda: rng.choice(oca),
                chunk=64_000,
                every=12,
                connection_life=300,
                rate=20e6,
                request=450,
            )
            home.keepalive(dev, a, b, "ichnaea-web.netflix.com", 443, every=100, up=800, down=200)


def _sonos_announce(home: Home, dev: Device, t: float) -> None:
    rincon = "RINCON_" + dev.mac.replace(":", "").upper() + "01400"
    sonos, extra = payloads.mdns_service(
        f"{rincon}@Living Room",
        "_sonos._tcp",
        rincon,
        dev.ip,
        1443,
        [f"info=/api/v1/players/{rincon}/info", "vers=3", "protovers=1.24.1", "mdnssequence=0"],
    )
    spotify, _ = payloads.mdns_service(
        rincon, "_spotify-connect._tcp", rincon, dev.ip, 1400, ["VERSION=1.0", "CPath=/spotifyzc"]
    )
    airplay, _ = payloads.mdns_service(
        "Living Room",
        "_airplay._tcp",
        rincon,
        dev.ip,
        7000,
        ["manufacturer=Sonos", "model=One", "fv=p20.70.3-35220", "srcvers=366.0"],
    )
    home.cap.udp(
        t, dev.node, MDNS, 5353, 5353, payloads.mdns_response(sonos + spotify + airplay, extra)
    )


def _speaker(home: Home, dev: Device, gateway: Device) -> None:
    rng, d = home.rng, home.duration
    t = home.dhcp_renew(
        dev, rng.uniform(8, 14), _dhcp_options(dev, gateway.ip)("request", "renewing")
    )
    rincon = "RINCON_" + dev.mac.replace(":", "").upper() + "01400"
    server = "Linux UPnP/1.0 Sonos/70.3-35220 (ZPS18)"
    location = f"http://{dev.ip}:1400/xml/device_description.xml"
    household = f"Sonos_{rng.randbytes(12).hex()}"
    for when in every_until(t + 0.5, d, 600, rng):
        for n, nt in enumerate(
            (
                "upnp:rootdevice",
                f"uuid:{rincon}",
                "urn:schemas-upnp-org:device:ZonePlayer:1",
                "urn:schemas-upnp-org:device:MediaRenderer:1",
            )
        ):
            body = payloads.ssdp_notify(
                location,
                server,
                nt,
                f"uuid:{rincon}",
                [
                    ("X-RINCON-HOUSEHOLD", household),
                    ("X-RINCON-BOOTSEQ", "112"),
                    ("X-RINCON-WIFIMODE", "0"),
                    ("X-RINCON-VARIANT", "2"),
                ],
            )
            home.cap.udp(when + n * 0.004, dev.node, SSDP, 1900, 1900, body)
    _sonos_announce(home, dev, t + 0.8)
    home.check_in(dev, t + 5, d, "msmetrics.ws.sonos.com", every=300, up=1200, down=300)
    # Spotify Connect, started from the phone: a track fetched every few minutes.
    start, end = 0.48 * d, 0.90 * d
    home.https(dev, start, "spclient.wg.spotify.com", [(900, 12_000), (700, 4_000)])
    home.keepalive(dev, start + 1, end, "gew4-dealer.spotify.com", 443, every=60, up=80, down=120)
    when = start + 2
    while when < end:
        home.https(
            dev,
            when,
            "audio-ak-spotify-com.akamaized.net",
            [(600, rng.randint(110_000, 160_000)), (600, rng.randint(40_000, 70_000))],
            gap=(20, 60),
            rate=6e6,
        )
        when += rng.uniform(170, 260)


def _camera(home: Home, dev: Device, gateway: Device) -> None:
    """The camera rebooted (nightly maintenance) just as the capture started."""
    rng, d = home.rng, home.duration
    t = home.dhcp_join(dev, rng.uniform(28, 34), _dhcp_options(dev, gateway.ip))
    hello = payloads.wsd_hello(
        str(uuid.UUID(int=rng.getrandbits(128))),
        str(uuid.UUID(int=rng.getrandbits(128))),
        "dn:NetworkVideoTransmitter tds:Device",
        f"http://{dev.ip}/onvif/device_service",
        rng.getrandbits(31),
        scopes="onvif://www.onvif.org/type/video_encoder onvif://www.onvif.org/Profile/Streaming "
        f"onvif://www.onvif.org/hardware/{dev.model} onvif://www.onvif.org/name/HIKVISION",
    )
    home.cap.udp(t + 1.5, dev.node, WSD, 3702, 3702, hello)
    for when in every_until(t + 2, d, 600, rng, 0.02):  # NTP against the configured server
        ip, sent = home.resolve(dev, when, "time.windows.com")
        server = home.remote(ip)
        request = b"\x23" + b"\x00" * 39 + rng.randbytes(8)
        home.cap.udp(sent, dev.node, server, 123, 123, request)
        answer = b"\x24\x02\x03\xe7" + rng.randbytes(44)
        home.cap.udp(sent + rng.uniform(0.015, 0.04), server, dev.node, 123, 123, answer)
    home.keepalive(
        dev, t + 4, d, "alarm.eu.hik-connect.com", 443, every=60, up=120, down=60, alpn=()
    )
    # Cloud recording: the main stream uploaded in steady segments, a connection per hour slice.
    when = t + 6
    while when < d:
        session = home.tls(dev, when, "cloud.eu.hik-connect.com", 443, alpn=())
        stop = min(d, session.t + 600)
        while session.t < stop:
            session.exchange(
                payloads.tls_records(rng.randint(10_000, 16_000), rng),
                payloads.tls_records(40, rng),
                think=0.002,
            )
            session.t += rng.uniform(9.5, 10.5)
        session.close()
        when = session.t + rng.uniform(0.5, 2)


def _printer_announce(home: Home, dev: Device, t: float) -> None:
    instance = f"HP LaserJet MFP M234sdw ({dev.mac[-8:].replace(':', '').upper()})"
    txt = [
        "txtvers=1",
        "qtotal=1",
        "rp=ipp/print",
        "ty=HP LaserJet MFP M234sdw",
        "product=(HP LaserJet MFP M234sdw)",
        "pdl=application/octet-stream,image/urf,image/pwg-raster",
        f"adminurl=http://{dev.hostname}.local./#hId-pgAirPrint",
        "priority=10",
        "usb_MFG=HP",
        "usb_MDL=LaserJet MFP M234sdw",
        "Color=F",
        "Duplex=T",
        "kind=document",
        "TLS=1.2",
        "URF=CP1,IS1,MT1-3-5,OB10,PQ4,RS600,SRGB24,V1.4,W8,DM1",
    ]
    ipp, extra = payloads.mdns_service(instance, "_ipp._tcp", dev.hostname, dev.ip, 631, txt)
    ipps, _ = payloads.mdns_service(instance, "_ipps._tcp", dev.hostname, dev.ip, 443, txt)
    scan, _ = payloads.mdns_service(
        instance,
        "_uscan._tcp",
        dev.hostname,
        dev.ip,
        8080,
        [
            "txtvers=1",
            "ty=HP LaserJet MFP M234sdw",
            "rs=eSCL",
            "vers=2.63",
            "pdl=application/pdf,image/jpeg",
        ],
    )
    home.cap.udp(t, dev.node, MDNS, 5353, 5353, payloads.mdns_response(ipp + ipps + scan, extra))


def _printer(home: Home, dev: Device, gateway: Device) -> None:
    rng, d = home.rng, home.duration
    t = home.dhcp_renew(
        dev, rng.uniform(70, 80), _dhcp_options(dev, gateway.ip)("request", "renewing")
    )
    _printer_announce(home, dev, t + 0.5)
    _printer_announce(home, dev, t + 1.5)
    hello = payloads.wsd_hello(
        str(uuid.UUID(int=rng.getrandbits(128))),
        str(uuid.UUID(int=rng.getrandbits(128))),
        "wsdp:Device wprt:PrintDeviceType wscn:ScanDeviceType",
        f"http://{dev.ip}:3911/",
        rng.getrandbits(31),
    )
    home.cap.udp(t + 2.0, dev.node, WSD, 3702, 3702, hello)
    home.keepalive(dev, t + 5, d, "xmpp009.hpeprint.com", 5223, every=90, up=60, down=60, alpn=())


def _plug(home: Home, dev: Device, gateway: Device) -> None:
    """The plug lost Wi-Fi for a moment and reconnects: DHCP, then its cloud MQTT session."""
    rng, d = home.rng, home.duration
    t = home.dhcp_join(dev, rng.uniform(48, 55), _dhcp_options(dev, gateway.ip))
    home.https(dev, t + 1, "a1.tuyaeu.com", [(700, 1_800), (900, 1_200)])
    home.keepalive(dev, t + 3, d, "m1.tuyaeu.com", 8883, every=60, up=2, down=2, alpn=())
    for when in every_until(t + 30, d, 300, rng):  # energy readings published to the cloud
        home.https(dev, when, "a1.tuyaeu.com", [(600, 400)], close=True)
    discovery = payloads.tuya_discovery(rng, 0)
    for when in every_until(t + 5, d, 5, rng, 0.02):
        home.cap.udp(when, dev.node, ALL_BROADCAST, 49154, 6667, discovery)


# -- entry point -------------------------------------------------------------------------------


def generate_home_capture(
    path: Path, start_ms: int, seed: int = 1, minutes: int = 60
) -> dict[str, Any]:
    """Write a pcap of `minutes` of a home network starting at `start_ms`; describe its devices.

    Returns {"path", "start_ms", "end_ms", "packets", "bytes", "gateway", "devices"}, where each
    device is {"key", "mac", "ip", "type", "brand", "model", "hostname", "apps"}: what a correct
    recognizer should report for it, with `apps` the applications its traffic should be named as.
    """
    if minutes < 5:
        raise ValueError("a demo capture needs at least 5 minutes to show every device")
    rng = random.Random(seed)
    cap = Capture(start_us=start_ms * 1000, duration=minutes * 60.0)
    devices = _cast(rng)
    home = Home(cap, rng, devices["gateway"])
    gateway = devices["gateway"]
    _gateway(home, devices)
    _windows_laptop(home, devices["laptop"], devices)
    _android(home, devices["android"], gateway)
    _iphone(home, devices["iphone"], gateway, devices["speaker"])
    _tv(home, devices["tv"], gateway)
    _speaker(home, devices["speaker"], gateway)
    _camera(home, devices["camera"], gateway)
    _printer(home, devices["printer"], gateway)
    _plug(home, devices["plug"], gateway)
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
