"""The daily routines of the household's devices (lanward.demo.household), one function each.

Volumes and timers are of the order published captures of such devices show: a camera checking
in every minute and uploading clips of a few MB, a plug reconnecting its MQTT session every half
hour, a TV streaming a few GB an evening, a phone backing up tens of MB of photos at night.
"""

from __future__ import annotations

from lanward.demo import sites
from lanward.demo.household import DAY_S, HOUR_S, Household, Member, favourites


def laptop(home: Household, dev: Member, camera: Member) -> None:
    rng = home.rng
    usual = favourites(rng, 50)
    weights = [1 / (i + 1) for i in range(len(usual))]
    for day in range(home.days):
        base = day * DAY_S
        if rng.random() < 0.1:
            continue  # away, laptop closed
        weekend = day % 7 in (5, 6)
        on = base + (rng.uniform(9, 11) if weekend else rng.uniform(7.5, 9)) * HOUR_S
        off = base + rng.uniform(21.5, 23.8) * HOUR_S
        for t in home.every(on, off, 900, 0.05):  # Windows telemetry timer
            home.connect(
                dev, t, "settings-win.data.microsoft.com", 2800, 1900, "Microsoft", "Cloud"
            )
        for t in home.every(on, off, 5400, 0.5):  # update checks, irregular
            home.connect(dev, t, "fe2.update.microsoft.com", 4000, 30000, "WindowsUpdate",
                         "SoftwareUpdate")  # fmt: skip
        t = on
        while t < off:
            length = rng.uniform(10, 90) * 60
            for _ in range(int(length / 60 * rng.uniform(0.3, 1.5))):
                when = t + rng.uniform(0, length)
                site = (
                    rng.choices(usual, weights)[0]
                    if rng.random() < 0.93
                    else rng.choice(sites.BROWSING)
                )
                host = rng.choice((site, "www." + site, "static." + site))
                for k in range(rng.randint(1, 4)):
                    home.connect(dev, when + k * 0.4, host, home.lognormal(3000, 0.8),
                                 home.lognormal(150_000, 1.5))  # fmt: skip
                if rng.random() < 0.5:
                    home.connect(dev, when + 0.2, "fonts.gstatic.com", 1500, 40_000)
            t += length + rng.uniform(20, 120) * 60
        for _ in range(rng.randint(0, 4)):  # OneDrive syncing documents
            home.connect(dev, rng.uniform(on, off), "api.onedrive.com",
                         home.lognormal(3_000_000, 1.2), 20_000, "OneDrive", "Cloud",
                         duration=rng.uniform(5, 120))  # fmt: skip
        if rng.random() < 0.3:  # someone watches the camera
            home.lan(dev, camera, rng.uniform(on, off), 554, 30_000, home.lognormal(30e6, 0.5),
                     rng.uniform(60, 900), "RTSP")  # fmt: skip


def phone(home: Household, dev: Member, tv: Member) -> None:
    rng = home.rng
    for t in home.every(0, home.end_s, 28 * 60, 0.02):  # FCM heartbeat reconnects
        home.connect(dev, t, "mtalk.google.com", 900, 700, "GoogleServices", "Network", port=5228)
    for day in range(home.days):
        base = day * DAY_S
        for start, end, sessions in ((7, 8.5, 3), (12, 13.5, 3), (17, 24, 12)):
            for _ in range(rng.randint(sessions // 2, sessions)):
                t = base + rng.uniform(start, end) * HOUR_S
                app = rng.choice(("WhatsApp", "Instagram", "YouTube", "Chrome", "Spotify"))
                if app == "WhatsApp":
                    for k in range(rng.randint(2, 15)):
                        home.connect(dev, t + k * 20, "g.whatsapp.net", home.lognormal(2000, 1.0),
                                     home.lognormal(3000, 1.0), "WhatsApp", "Chat")  # fmt: skip
                elif app == "Instagram":
                    for k in range(rng.randint(5, 30)):
                        home.connect(dev, t + k * 8, "scontent.cdninstagram.com", 2000,
                                     home.lognormal(400_000, 1.0), "Instagram", "SocialNetwork")  # fmt: skip
                elif app == "YouTube":
                    for k in range(rng.randint(2, 10)):
                        home.connect(dev, t + k * 30, "rr3.googlevideo.com", 5000,
                                     home.lognormal(8e6, 0.8), "YouTube", "Media")  # fmt: skip
                elif app == "Spotify":
                    home.connect(dev, t, "audio-fa.scdn.co", 3000, home.lognormal(5e6, 0.5),
                                 "Spotify", "Music")  # fmt: skip
                else:
                    site = rng.choice(sites.BROWSING[:120])
                    home.connect(dev, t, "m." + site, 3000, home.lognormal(300_000, 1.0))
        if rng.random() < 0.6:  # photo backup while charging at night
            t = base + rng.uniform(1, 4) * HOUR_S
            for _ in range(rng.randint(1, 6)):
                t += rng.uniform(20, 120)
                home.connect(dev, t, "photos.googleapis.com", home.lognormal(8e6, 1.0),
                             30_000, "GoogleServices", "Cloud", duration=30)  # fmt: skip
        if rng.random() < 0.3:  # casting to the TV
            home.lan(dev, tv, base + rng.uniform(19, 22) * HOUR_S, 36866, 4000, 3000, 2, "HTTP")


def camera(home: Household, dev: Member) -> None:
    rng = home.rng
    for t in home.every(0, home.end_s, 60, 0.02):
        home.connect(dev, t, "devices.hik-connect.com", 600, 400, "TLS", "Cloud", duration=0.5)
    for t in home.every(0, home.end_s, HOUR_S, 0.1):
        home.add(t, _ntp(home, dev, t))
    for day in range(home.days):
        for _ in range(rng.randint(2, 9)):  # motion clips
            t = day * DAY_S + rng.uniform(0, DAY_S)
            home.connect(dev, t, "alarm.ezvizlife.com", home.lognormal(3e6, 0.8), 5000, "TLS",
                         "Cloud", duration=rng.uniform(3, 20))  # fmt: skip


def plug(home: Household, dev: Member) -> None:
    rng = home.rng
    for t in home.every(0, home.end_s, 1800, 0.03):
        home.connect(dev, t, "a1.tuyaeu.com", 1200, 900, "MQTT", "IoT-Scada", port=8883,
                     duration=rng.uniform(1, 5))  # fmt: skip
    for t in home.every(0, home.end_s, 7200, 0.4):
        home.connect(dev, t, "m1.tuyaeu.com", 900, 2500, "TLS", "IoT-Scada")
    for t in home.every(0, home.end_s, 4 * HOUR_S, 0.1):
        home.add(t, _ntp(home, dev, t))


def tv(home: Household, dev: Member) -> None:
    rng = home.rng
    for day in range(home.days):
        base = day * DAY_S
        for t in home.every(base, base + 18 * HOUR_S, HOUR_S, 0.05):  # standby check-in
            home.connect(dev, t, "snu.lgtvsdp.com", 1500, 4000, "TLS", "Cloud")
        if rng.random() < 0.25:
            continue
        on, off = base + rng.uniform(18, 20) * HOUR_S, base + rng.uniform(22, 23.9) * HOUR_S
        for t in home.every(on, off, 600, 0.05):
            home.connect(dev, t, "snu.lgtvsdp.com", 1500, 4000, "TLS", "Cloud")
        for t in home.every(on, off, 1800, 0.6):
            home.connect(dev, t, "ad.lgsmartad.com", 2000, 60_000, "TLS", "Advertisement")
        service = rng.choice(("netflix", "netflix", "youtube", "prime"))
        t = on + 60
        while t < off:
            if service == "netflix":
                home.connect(dev, t, "ipv4-c001.1.fra001.ix.nflxvideo.net", 8000,
                             home.lognormal(60e6, 0.3), "NetFlix", "Video", duration=240)  # fmt: skip
            elif service == "youtube":
                home.connect(dev, t, "rr5.googlevideo.com", 6000, home.lognormal(40e6, 0.4),
                             "YouTube", "Media", duration=240)  # fmt: skip
            else:
                home.connect(dev, t, "atv-ps-eu.primevideo.com", 7000, home.lognormal(50e6, 0.3),
                             "AmazonVideo", "Video", duration=240)  # fmt: skip
            t += rng.uniform(120, 420)  # the player fetches ahead, not on a clock


def _ntp(home: Household, dev: Member, t: float) -> object:
    from lanward.engine.events import Flow

    ip = home.rng.choice(home.addresses("pool.ntp.org"))
    return Flow(
        dev.ip, ip, home.rng.randint(49152, 65535), 123, 17, dev.mac, "98:9b:cb:00:00:01",
        home.ms(t), home.ms(t + 0.05), 1, 90, 1, 90, app="NTP", category="System",
    )  # fmt: skip
