"""The always-on devices: the gateway, a TV, a speaker, a camera, a printer and a smart plug.

Each function appends one device's hour to the capture: its announcements (SSDP, mDNS,
WS-Discovery), its cloud keep-alives and, for the TV and the speaker, an evening's streaming.
"""

from __future__ import annotations

from lanward.demo import payloads
from lanward.demo.home import (
    ALL_BROADCAST,
    MDNS,
    SSDP,
    WSD,
    Device,
    Home,
    every_until,
    random_uuid,
)

UA_WEBOS = (
    "Mozilla/5.0 (Web0S; Linux/SmartTV) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/79.0.3945.79 Safari/537.36 WebAppManager"
)


def gateway(home: Home, devices: dict[str, Device]) -> None:
    gw, rng = devices["gateway"], home.rng
    uid = random_uuid(rng)
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


TV_ON, TV_OFF = 0.27, 0.88  # fractions of the capture
TV_DLNA_SERVER = (
    "Linux/4.4.84-229.0.glacier.ka2.dvb UPnP/1.0 LGE WebOS TV LGE_DLNA_SDK/1.6.0/04.40.20 "
    "DLNADOC/1.50"
)


def tv_uuid(dev: Device) -> str:
    return (
        "uuid:3c0f4a8e-" + dev.mac.replace(":", "")[:4] + "-1d4b-a31e-" + dev.mac.replace(":", "")
    )


def tv(home: Home, dev: Device) -> None:
    rng, d = home.rng, home.duration
    on, off = TV_ON * d, TV_OFF * d
    t = home.dhcp_join(dev, on)
    uid = tv_uuid(dev)[len("uuid:") :]
    dlna = TV_DLNA_SERVER
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


def tv_answers_search(home: Home, dev: Device, asker: Device, port: int, t: float) -> None:
    """The TV, when on, answers a DIAL search (casting discovery) from `asker`'s `port`."""
    if not TV_ON * home.duration + 1 < t < TV_OFF * home.duration:
        return
    target = "urn:dial-multiscreen-org:service:dial:1"
    body = payloads.ssdp_search_response(
        f"http://{dev.ip}:1223/", TV_DLNA_SERVER, target, tv_uuid(dev)
    )
    home.cap.udp(t, dev.node, asker.node, 1900, port, body)


def sonos_announce(home: Home, dev: Device, t: float) -> None:
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


def speaker(home: Home, dev: Device) -> None:
    rng, d = home.rng, home.duration
    t = home.dhcp_renew(dev, rng.uniform(8, 14))
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
    sonos_announce(home, dev, t + 0.8)
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


def camera(home: Home, dev: Device) -> None:
    """The camera rebooted (nightly maintenance) just as the capture started."""
    rng, d = home.rng, home.duration
    t = home.dhcp_join(dev, rng.uniform(28, 34))
    hello = payloads.wsd_hello(
        random_uuid(rng),
        random_uuid(rng),
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
    # Cloud recording: the stream uploaded in steady segments, a new connection every 10 min.
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


def printer_announce(home: Home, dev: Device, t: float) -> None:
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


def printer(home: Home, dev: Device) -> None:
    rng, d = home.rng, home.duration
    t = home.dhcp_renew(dev, rng.uniform(70, 80))
    printer_announce(home, dev, t + 0.5)
    printer_announce(home, dev, t + 1.5)
    hello = payloads.wsd_hello(
        random_uuid(rng),
        random_uuid(rng),
        "wsdp:Device wprt:PrintDeviceType wscn:ScanDeviceType",
        f"http://{dev.ip}:3911/",
        rng.getrandbits(31),
    )
    home.cap.udp(t + 2.0, dev.node, WSD, 3702, 3702, hello)
    home.keepalive(dev, t + 5, d, "xmpp009.hpeprint.com", 5223, every=90, up=60, down=60, alpn=())


def plug(home: Home, dev: Device) -> None:
    """The plug lost Wi-Fi for a moment and reconnects: DHCP, then its cloud MQTT session."""
    rng, d = home.rng, home.duration
    t = home.dhcp_join(dev, rng.uniform(48, 55))
    home.https(dev, t + 1, "a1.tuyaeu.com", [(700, 1_800), (900, 1_200)])
    home.keepalive(dev, t + 3, d, "m1.tuyaeu.com", 8883, every=60, up=2, down=2, alpn=())
    home.check_in(dev, t + 30, d, "a1.tuyaeu.com", every=300, up=600, down=400)  # energy readings
    discovery = payloads.tuya_discovery(rng, 0)
    for when in every_until(t + 5, d, 5, rng, 0.02):
        home.cap.udp(when, dev.node, ALL_BROADCAST, 49154, 6667, discovery)
