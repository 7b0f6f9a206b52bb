"""The devices people use: a Windows laptop, an Android phone and an iPhone.

Each function appends one device's hour to the capture: how it joins the network, what it
announces, and what its person does with it (browsing, video, chat, a print job).
"""

from __future__ import annotations

from lanward.demo import payloads
from lanward.demo.appliances import printer_announce, sonos_announce, tv_answers_search
from lanward.demo.home import (
    LAN_BROADCAST,
    LLMNR,
    MDNS,
    SSDP,
    WSD,
    Device,
    Home,
    random_uuid,
)
from lanward.demo.wire import Node

UA_ANDROID_CHROME = (
    "Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.6099.144 Mobile Safari/537.36"
)
UA_ANDROID_DALVIK = "Dalvik/2.1.0 (Linux; U; Android 13; SM-S911B Build/TP1A.220624.014)"
UA_DIAL = "Google Chrome/120.0.6099.144 Android"
UA_IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1"
)
UA_EDGE = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91"
)


def windows_laptop(home: Home, dev: Device, devices: dict[str, Device]) -> None:
    rng, d = home.rng, home.duration
    t = home.dhcp_join(dev, rng.uniform(15, 25), discover=False)
    for n in range(3):  # name registration, repeated as Windows does
        for file_server in (False, True):
            body = payloads.nbns_registration(
                dev.hostname, dev.ip, rng.getrandbits(16), file_server
            )
            home.cap.udp(t + 0.6 * n + 0.01 * file_server, dev.node, LAN_BROADCAST, 137, 137, body)
    hello = payloads.wsd_hello(
        random_uuid(rng),
        random_uuid(rng),
        "wsdp:Device pub:Computer",
        f"http://{dev.ip}:5357/{random_uuid(rng)}/",
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
            if first:  # an address typed without https://
                t = home.typed_address(dev, t, "www.heise.de", UA_EDGE, "nginx")
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
    printer_announce(home, printer, t + rng.uniform(0.02, 0.12))
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


def android(home: Home, dev: Device, tv: Device) -> None:
    rng, d = home.rng, home.duration
    t = home.dhcp_join(dev, rng.uniform(40, 50))
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
    t = home.typed_address(dev, 0.2 * d, "www.spiegel.de", UA_ANDROID_CHROME, "Varnish")
    home.https(
        dev, t + 0.05, "www.spiegel.de", [(700, 150_000), (600, 80_000), (600, 60_000)], gap=(5, 40)
    )
    # YouTube: page and thumbnails, then video chunks from a googlevideo cache.
    start = 0.45 * d
    port = dev.port(rng)  # the app looks for a screen to cast to (DIAL)
    search = payloads.ssdp_search("urn:dial-multiscreen-org:service:dial:1", UA_DIAL)
    home.cap.udp(start - 1, dev.node, SSDP, port, 1900, search)
    tv_answers_search(home, tv, dev, port, start - 1 + rng.uniform(0.05, 0.4))
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


def iphone(home: Home, dev: Device, speaker: Device) -> None:
    rng, d = home.rng, home.duration
    t = home.dhcp_join(dev, 0.2 * d, discover=False)
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
            sonos_announce(home, speaker, t + delay + rng.uniform(0.02, 0.2))
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
    t = home.typed_address(dev, 0.47 * d, "www.tagesschau.de", UA_IPHONE_SAFARI, "Apache")
    home.https(dev, t + 0.05, "www.tagesschau.de", [(650, 120_000), (600, 70_000)], gap=(10, 50))
    home.https(dev, 0.75 * d, "g.whatsapp.net", [(400, 500), (300, 900)], gap=(2, 10))
