"""Incidents injected into a household's normal weeks, with their ground truth.

Three kinds, each placed after the learning period at a random time on a random device:

- `beacon`: the device starts calling one destination on a timer (period 30 s to 1 h, jitter up
  to 20 %, 12 to 40 calls, a few hundred bytes each way): a new name that is resolved first, a
  machine-made name, or a bare address in a network the household never used;
- `exfiltration`: an upload spike: the device sends 2 to 50 times (log-uniform) the most it sent
  in any hour of its normal weeks, at least 20 MB, within 10 to 60 minutes in several
  connections: to a new file-sharing name, to a bare address, or to a cloud the device already
  uses (hard: that cloud sees big uploads anyway);
- `dga`: the device looks up 8 to 40 machine-made names of one family (lanward.demo.dga) within
  a few minutes, nearly all unanswered (no connection follows).

Sizes and timers are drawn without regard to any detector's thresholds, so some incidents are
meant to be hard (twice the busiest hour, to the device's own cloud; a beacon with 20 % jitter
and a one-hour period; a Suppobox-style DGA made of dictionary words). Each incident starts a
day after the learning period at the earliest, and ends before the weeks do.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass, field
from typing import Any

from lanward.demo import dga
from lanward.demo.household import DAY_S, HOUR_S, Household, Member

KINDS = ("beacon", "exfiltration", "dga")
SHARING = ("transfer-files.net", "quickshare-upload.com", "mega.nz", "anonfiles-share.org")
# Networks nobody in the household uses (real blocks, for their registered countries).
FOREIGN = ("185.10.0.0/16", "45.130.0.0/16", "91.215.0.0/16", "5.188.0.0/16", "103.20.0.0/16")
CLOUD = {"laptop": "api.onedrive.com", "phone": "photos.googleapis.com",
         "camera": "alarm.ezvizlife.com", "plug": "a1.tuyaeu.com", "tv": "snu.lgtvsdp.com"}  # fmt: skip


@dataclass(frozen=True)
class Incident:
    kind: str
    device: str  # household key
    mac: str
    start_ms: int
    end_ms: int
    destinations: tuple[str, ...]
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "device": self.device,
            "mac": self.mac,
            "start_ms": self.start_ms,
            "end_ms": self.end_ms,
            "destinations": list(self.destinations),
            **self.detail,
        }


def _bare_address(home: Household) -> str:
    net = ipaddress.ip_network(home.rng.choice(FOREIGN))
    return str(net[home.rng.randrange(1, net.num_addresses - 1)])


def _when(home: Household, after_days: float, needs_s: float) -> float:
    latest = max(home.end_s - needs_s - HOUR_S, (after_days + 1) * DAY_S)
    return home.rng.uniform((after_days + 1) * DAY_S, latest)


def busiest_hour(home: Household, dev: Member) -> int:
    """The most the device sent to the internet in one hour of its normal weeks."""
    from lanward.engine.events import Flow

    hours: dict[int, int] = {}
    for ts, _, event in home.events:
        if isinstance(event, Flow) and event.src_mac == dev.mac and event.dst_port != 53:
            if not event.dst_ip.startswith("192.168."):
                hours[ts // 3_600_000] = hours.get(ts // 3_600_000, 0) + event.src2dst_bytes
    return max(hours.values(), default=0)


def beacon(home: Household, dev: Member, after_days: float) -> Incident:
    rng = home.rng
    period = rng.choice((30, 60, 120, 300, 600, 1800, 3600))
    jitter = rng.choice((0.0, 0.05, 0.1, 0.2))
    calls = rng.randint(12, 40)
    t = _when(home, after_days, calls * period * 1.2)
    style = rng.choice(("name", "generated", "address"))
    name, ip = "", ""
    if style == "name":
        name = rng.choice(("cdn-metrics-sync.com", "update-status.net", "telemetry-hub.org",
                           "cloud-checkin.info", "img-static-host.com"))  # fmt: skip
    elif style == "generated":
        name = dga.generate(rng.choice(dga.FAMILIES[:6]), rng, 1)[0]
    else:
        ip = _bare_address(home)
    times: list[float] = []
    now = t
    while len(times) < calls and now < home.end_s:
        times.append(now)
        now += period * (1 + rng.uniform(-jitter, jitter))
    for when in times:
        home.connect(dev, when, name, rng.randint(300, 900), rng.randint(200, 3000),
                     "TLS" if name else "Unknown", "Web" if name else "Unspecified",
                     ip=ip, sni=bool(name))  # fmt: skip
    return Incident(
        "beacon",
        dev.key,
        dev.mac,
        home.ms(t),
        home.ms(times[-1] + 5),
        (name or ip,),
        {"period_s": period, "jitter": jitter, "calls": len(times), "style": style},
    )


def exfiltration(home: Household, dev: Member, after_days: float) -> Incident:
    rng = home.rng
    factor = math.exp(rng.uniform(math.log(2), math.log(50)))
    total = int(max(20e6, factor * busiest_hour(home, dev)))
    span = rng.uniform(600, 3600)
    t = _when(home, after_days, span)
    style = rng.choice(("sharing", "address", "own cloud"))
    name = (
        rng.choice(SHARING)
        if style == "sharing"
        else CLOUD[dev.key]
        if style == "own cloud"
        else ""
    )
    ip = _bare_address(home) if style == "address" else ""
    pieces = rng.randint(3, 12)
    for k in range(pieces):
        when = t + span * k / pieces
        home.connect(dev, when, name, total // pieces, rng.randint(5000, 50000), "TLS",
                     "Web", duration=span / pieces * 0.9, ip=ip, sni=bool(name))  # fmt: skip
    return Incident(
        "exfiltration", dev.key, dev.mac, home.ms(t), home.ms(t + span),
        (name or ip,), {"bytes": total, "times_busiest_hour": round(factor, 1), "style": style},
    )  # fmt: skip


def dga_lookups(home: Household, dev: Member, after_days: float) -> Incident:
    rng = home.rng
    family = rng.choice(dga.FAMILIES)
    names = dga.generate(family, rng, rng.randint(8, 40))
    span = rng.uniform(30, 600)
    t = _when(home, after_days, span)
    for k, name in enumerate(names):
        home.resolve(dev, t + span * k / len(names), name)
    return Incident(
        "dga",
        dev.key,
        dev.mac,
        home.ms(t),
        home.ms(t + span),
        tuple(names),
        {"family": family, "names": len(names)},
    )


def inject(home: Household, learning_days: float, per_kind: int = 2) -> list[Incident]:
    """Add `per_kind` incidents of each kind after the learning period; their ground truth."""
    out = []
    makers = {"beacon": beacon, "exfiltration": exfiltration, "dga": dga_lookups}
    for kind in KINDS:
        for _ in range(per_kind):
            dev = home.rng.choice(list(home.members.values()))
            out.append(makers[kind](home, dev, learning_days))
    return out
