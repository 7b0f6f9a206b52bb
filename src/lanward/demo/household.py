"""Weeks of a household's traffic as engine events, for the smart-alert bench and tests.

`normal_weeks(seed, days)` returns the events a station would see from five devices (a Windows
laptop, an Android phone, a Hikvision camera, a Tuya smart plug and an LG TV) over `days` days:
a DHCP join each (so the engine recognises what they are), DNS queries (`DnsQuery`) and finished
flows (`Flow`, as nfstream reports them: addresses, ports, bytes, nDPI app and category, server
name). Behaviour follows each kind: the laptop browses its favourite sites in the evening and
sometimes discovers new ones, syncs files to OneDrive, calls home to Microsoft on timers; the
phone uses its apps and backs its photos up at night; the camera checks in with its cloud every
minute and uploads motion clips; the plug keeps its MQTT connection; the TV streams in the
evening. The laptop watches the camera over RTSP and the phone casts to the TV, so both
appliances serve on the LAN.

Remote addresses come from the real address blocks of the providers that host each name (so the
registered country of an address is right); nothing is ever sent, these are only records. All
of it follows from `seed`. Injected incidents (beaconing, exfiltration, DGA lookups) are added
by lanward.demo.incidents.
"""

from __future__ import annotations

import ipaddress
import math
import random
from dataclasses import dataclass, field
from typing import Any

from lanward.demo import sites
from lanward.engine.events import DhcpSeen, DnsQuery, Flow, FlowKey

HOUR_S = 3600
DAY_S = 24 * HOUR_S
LAN = "192.168.1."
GATEWAY = LAN + "1"
GATEWAY_MAC = "98:9b:cb:00:00:01"

# Providers and some of their real address blocks (what the registries say, not where they are).
PROVIDERS = {
    "google": ("142.250.0.0/15", "172.217.0.0/16", "216.58.192.0/19"),
    "microsoft": ("20.33.0.0/16", "40.64.0.0/13", "13.64.0.0/12"),
    "amazon": ("52.0.0.0/11", "3.120.0.0/14", "18.184.0.0/15"),
    "akamai": ("23.32.0.0/11", "2.16.0.0/13"),
    "cloudflare": ("104.16.0.0/13", "172.64.0.0/13"),
    "facebook": ("157.240.0.0/16", "31.13.64.0/18"),
    "netflix": ("45.57.0.0/17", "198.38.96.0/19"),
    "hetzner": ("88.198.0.0/16", "78.46.0.0/15"),
    "ovh": ("51.68.0.0/16",),
    "fastly": ("151.101.0.0/16",),
}


@dataclass
class Member:
    """A device of the household."""

    key: str
    kind: str
    mac: str
    ip: str
    hostname: str
    vendor_class: str
    params: tuple[int, ...]
    dns_cache: dict[str, float] = field(default_factory=dict)

    def describe(self) -> dict[str, str]:
        return {"key": self.key, "type": self.kind, "mac": self.mac, "ip": self.ip}


MEMBERS = (
    ("laptop", "computer", "e4:c7:67", 20, "DESKTOP-{tag}", "MSFT 5.0",
     (1, 3, 6, 15, 31, 33, 43, 44, 46, 47, 119, 121, 249, 252)),
    ("phone", "phone", "64:1b:2f", 21, "Galaxy-S23", "android-dhcp-13",
     (1, 3, 6, 15, 26, 28, 51, 58, 59, 43)),
    ("camera", "camera", "24:48:45", 40, "", "udhcp 1.19.4", (1, 3, 6, 12, 15, 28, 42)),
    ("plug", "smart plug/IoT hub", "fc:67:1f", 50, "smartplug-{mac6}", "udhcp 1.24.2",
     (1, 3, 6, 12, 15, 28, 42)),
    ("tv", "TV", "ac:5a:f0", 30, "LGwebOSTV", "", (1, 3, 6, 12, 15, 28, 42)),
)  # fmt: skip


class Household:
    """Event builder: devices, name resolution, flows; everything at seconds since `start_ms`."""

    def __init__(self, seed: int, start_ms: int, days: int) -> None:
        self.rng = random.Random(seed)
        self.start_ms = start_ms
        self.days = days
        self.events: list[tuple[int, int, Any]] = []
        self.members: dict[str, Member] = {}
        self._addresses: dict[str, list[str]] = {}
        self._seq = 0
        for key, kind, prefix, host, name, vendor_class, params in MEMBERS:
            tail = self.rng.randbytes(3).hex()
            mac = prefix + ":" + ":".join(tail[i : i + 2] for i in (0, 2, 4))
            hostname = name.format(tag=f"{self.rng.getrandbits(28):07X}", mac6=tail)
            self.members[key] = Member(
                key, kind, mac, LAN + str(host), hostname, vendor_class, params
            )

    @property
    def end_s(self) -> float:
        return self.days * DAY_S

    def ms(self, t: float) -> int:
        return self.start_ms + int(t * 1000)

    def add(self, t: float, event: Any) -> None:
        self._seq += 1
        self.events.append((self.ms(t), self._seq, event))

    def sorted_events(self) -> list[Any]:
        return [e for _, _, e in sorted(self.events, key=lambda x: (x[0], x[1]))]

    # -- addresses ---------------------------------------------------------------------------

    def provider(self, domain: str) -> str:
        for word, name in (
            ("google", "google"), ("youtube", "google"), ("gstatic", "google"),
            ("googlevideo", "google"), ("android", "google"), ("ytimg", "google"),
            ("microsoft", "microsoft"), ("windows", "microsoft"), ("office", "microsoft"),
            ("live.com", "microsoft"), ("onedrive", "microsoft"), ("bing", "microsoft"),
            ("msft", "microsoft"), ("skype", "microsoft"), ("outlook", "microsoft"),
            ("facebook", "facebook"), ("instagram", "facebook"), ("whatsapp", "facebook"),
            ("fbcdn", "facebook"), ("nflx", "netflix"), ("netflix", "netflix"),
            ("tuya", "amazon"), ("lg", "amazon"), ("hik", "amazon"), ("ezviz", "amazon"),
            ("amazon", "amazon"), ("prime", "amazon"),
        ):  # fmt: skip
            if word in domain:
                return name
        if domain.endswith(".de"):
            return "hetzner"
        if domain.endswith(".fr"):
            return "ovh"
        h = sum(domain.encode()) % 4
        return ("cloudflare", "akamai", "fastly", "amazon")[h]

    def addresses(self, domain: str) -> list[str]:
        found = self._addresses.get(domain)
        if found is None:
            blocks = PROVIDERS[self.provider(domain)]
            rng = random.Random(domain)  # a name keeps its servers across households
            found = []
            for _ in range(rng.randint(1, 3)):
                net = ipaddress.ip_network(rng.choice(blocks))
                found.append(str(net[rng.randrange(1, net.num_addresses - 1)]))
            self._addresses[domain] = found
        return found

    # -- what devices do ---------------------------------------------------------------------

    def join(self, dev: Member, t: float) -> None:
        self.add(
            t,
            DhcpSeen(
                mac=dev.mac,
                ts_ms=self.ms(t),
                message_type="request",
                hostname=dev.hostname,
                param_list=dev.params,
                vendor_class=dev.vendor_class,
                client_id="01" + dev.mac.replace(":", ""),
                requested_ip=dev.ip,
                ip=dev.ip,
            ),
        )

    def resolve(self, dev: Member, t: float, name: str, ttl: float = 300.0) -> None:
        if dev.dns_cache.get(name, -1.0) > t:
            return
        dev.dns_cache[name] = t + ttl
        port = self.rng.randint(32768, 60999)
        key = FlowKey(dev.ip, port, GATEWAY, 53, 17, dev.mac, GATEWAY_MAC)
        self.add(t, DnsQuery(key, self.ms(t), name, "A"))
        self.add(
            t + 0.02,
            Flow(
                dev.ip, GATEWAY, port, 53, 17, dev.mac, GATEWAY_MAC, self.ms(t),
                self.ms(t + 0.02), 1, 74, 1, 90, app="DNS", category="Network", sni=name,
            ),
        )  # fmt: skip

    def connect(
        self,
        dev: Member,
        t: float,
        name: str,
        up: int,
        down: int,
        app: str = "TLS",
        category: str = "Web",
        port: int = 443,
        duration: float = 0.0,
        ip: str = "",
        resolve: bool = True,
        sni: bool = True,
    ) -> None:
        """A connection to a named server (resolved first) or, with `ip`, to an address."""
        if not ip:
            if resolve:
                self.resolve(dev, t, name)
                t += 0.03
            ip = self.rng.choice(self.addresses(".".join(name.split(".")[-2:])))
        duration = duration or self.rng.uniform(0.2, 4.0)
        packets_up = max(2, up // 900)
        packets_down = max(2, down // 1300)
        self.add(
            t + duration,
            Flow(
                dev.ip, ip, self.rng.randint(49152, 65535), port, 6, dev.mac, GATEWAY_MAC,
                self.ms(t), self.ms(t + duration), packets_up, up, packets_down, down,
                app=app, category=category, sni=name if sni else "",
            ),
        )  # fmt: skip

    def lan(self, client: Member, server: Member, t: float, port: int, up: int, down: int,
            duration: float, app: str) -> None:  # fmt: skip
        self.add(
            t + duration,
            Flow(
                client.ip, server.ip, self.rng.randint(49152, 65535), port, 6, client.mac,
                server.mac, self.ms(t), self.ms(t + duration), max(3, up // 900), up,
                max(3, down // 1300), down, app=app, category="Media",
            ),
        )  # fmt: skip

    def lognormal(self, median: float, sigma: float) -> int:
        return int(median * math.exp(self.rng.gauss(0, sigma)))

    def every(self, start: float, end: float, period: float, jitter: float) -> list[float]:
        """Times from start to end, `period` apart with relative `jitter`."""
        out, t = [], start + self.rng.uniform(0, period)
        while t < end:
            out.append(t)
            t += period * (1 + self.rng.uniform(-jitter, jitter))
        return out


def normal_weeks(seed: int = 1, days: int = 14, start_ms: int = 1_767_225_600_000) -> Household:
    """The household's normal life for `days` days (start: 2026-01-01 00:00 UTC by default)."""
    from lanward.demo import routines

    home = Household(seed, start_ms, days)
    for n, dev in enumerate(home.members.values()):
        home.join(dev, 1.0 + n)
    routines.laptop(home, home.members["laptop"], home.members["camera"])
    routines.phone(home, home.members["phone"], home.members["tv"])
    routines.camera(home, home.members["camera"])
    routines.plug(home, home.members["plug"])
    routines.tv(home, home.members["tv"])
    return home


def favourites(rng: random.Random, count: int) -> list[str]:
    """A person's usual sites: a sample of the browsing list, most used first."""
    return rng.sample(sites.BROWSING, count)
