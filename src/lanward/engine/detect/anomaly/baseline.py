"""One device's normal behaviour, as plain data the station can store and load.

A baseline holds what the device was seen doing, each part bounded (the least recently used
entries go first): the registered domains it uses (first and last time, count), the nDPI apps
and categories of its traffic, its activity per hour of the day, the remote upload and download
of its recent active hours and the most it sent to each destination in an hour, its LAN peers, the remote networks (/16 for IPv4, /48 for IPv6) and
countries it talked to, the services it answered on, the destinations it called on a regular
rhythm, how many of its lookups failed (NXDOMAIN) while it learned, and what was alerted on
without being learned (`flagged`).

`export()` gives a JSON-ready dict and `Baseline.load(dict)` takes it back (a ValueError says
what is wrong with a bad one). `learn(baseline, evidence)` folds an anomaly alert's evidence into
the baseline: the household said "this is normal".
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

FORMAT = 1
MAX_DOMAINS = 4000
MAX_SMALL = 512  # apps, categories, peers, networks, countries, services, periodic, flagged
MAX_HOURS = 28 * 24  # active hours of volume history kept


def _bounded_put(table: OrderedDict[str, Any], key: str, value: Any, limit: int) -> None:
    table[key] = value
    table.move_to_end(key)
    while len(table) > limit:
        table.popitem(last=False)


@dataclass
class Baseline:
    mac: str
    first_ms: int = 0
    last_ms: int = 0
    learned_ms: int = 0  # when the learning period ended (first_ms + its length); 0 before
    domains: OrderedDict[str, list[int]] = field(default_factory=OrderedDict)  # first, last, n
    apps: OrderedDict[str, int] = field(default_factory=OrderedDict)
    categories: OrderedDict[str, int] = field(default_factory=OrderedDict)
    hours_of_day: list[int] = field(default_factory=lambda: [0] * 24)
    upload_hours: list[int] = field(default_factory=list)
    download_hours: list[int] = field(default_factory=list)
    lan_peers: OrderedDict[str, int] = field(default_factory=OrderedDict)  # ip -> last ms
    networks: OrderedDict[str, int] = field(default_factory=OrderedDict)  # prefix -> last ms
    countries: OrderedDict[str, int] = field(default_factory=OrderedDict)  # code -> last ms
    services: OrderedDict[str, int] = field(default_factory=OrderedDict)  # "tcp/554" -> last
    periodic: OrderedDict[str, int] = field(default_factory=OrderedDict)  # dest -> period ms
    upload_peaks: OrderedDict[str, int] = field(default_factory=OrderedDict)  # dest -> bytes/h
    flagged: OrderedDict[str, int] = field(default_factory=OrderedDict)  # "check:key" -> ms
    tolerance: dict[str, int] = field(default_factory=dict)  # check -> learned allowance
    # Failed lookups while learning (nxdomain.py): "failures", new domains answered NXDOMAIN,
    # and "peak", the most of them within one window.
    nxdomain: dict[str, int] = field(default_factory=dict)

    # Whether the event being handled falls in the learning period (set per event by the
    # detector: events can come out of time order, e.g. a capture's DNS before its flows).
    learning: bool = field(default=True, compare=False)

    def learning_at(self, ts_ms: int, learning_ms: int) -> bool:
        """Is `ts_ms` inside the learning period (from the first traffic)? Ends it when not."""
        if not self.learned_ms and ts_ms - self.first_ms >= learning_ms:
            self.learned_ms = self.first_ms + learning_ms
        return not self.learned_ms or ts_ms < self.learned_ms

    # -- observations ------------------------------------------------------------------------

    def seen(self, ts_ms: int) -> None:
        if not self.first_ms or ts_ms < self.first_ms:
            self.first_ms = ts_ms
        self.last_ms = max(self.last_ms, ts_ms)

    def add_domain(self, domain: str, ts_ms: int) -> bool:
        """Record a use of the domain; True when it was new."""
        entry = self.domains.get(domain)
        if entry is None:
            _bounded_put(self.domains, domain, [ts_ms, ts_ms, 1], MAX_DOMAINS)
            return True
        entry[1] = max(entry[1], ts_ms)
        entry[2] += 1
        self.domains.move_to_end(domain)
        return False

    def count(self, table: str, key: str) -> None:
        counts: OrderedDict[str, int] = getattr(self, table)
        _bounded_put(counts, key, counts.get(key, 0) + 1, MAX_SMALL)

    def stamp(self, table: str, key: str, ts_ms: int) -> None:
        stamps: OrderedDict[str, int] = getattr(self, table)
        _bounded_put(stamps, key, max(ts_ms, stamps.get(key, 0)), MAX_SMALL)

    def flag(self, check: str, key: str, ts_ms: int) -> None:
        _bounded_put(self.flagged, f"{check}:{key}", ts_ms, MAX_SMALL)

    def is_flagged(self, check: str, key: str) -> bool:
        return f"{check}:{key}" in self.flagged

    def add_hour(self, upload: int, download: int, by_destination: dict[str, int]) -> None:
        for dest, sent in by_destination.items():
            if sent > self.upload_peaks.get(dest, 0):
                _bounded_put(self.upload_peaks, dest, sent, MAX_SMALL)
        self.upload_hours.append(upload)
        self.download_hours.append(download)
        del self.upload_hours[:-MAX_HOURS]
        del self.download_hours[:-MAX_HOURS]

    # -- plain data --------------------------------------------------------------------------

    def export(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "mac": self.mac,
            "first_ms": self.first_ms,
            "last_ms": self.last_ms,
            "learned_ms": self.learned_ms,
            "domains": {k: list(v) for k, v in self.domains.items()},
            "apps": dict(self.apps),
            "categories": dict(self.categories),
            "hours_of_day": list(self.hours_of_day),
            "upload_hours": list(self.upload_hours),
            "download_hours": list(self.download_hours),
            "lan_peers": dict(self.lan_peers),
            "networks": dict(self.networks),
            "countries": dict(self.countries),
            "services": dict(self.services),
            "periodic": dict(self.periodic),
            "upload_peaks": dict(self.upload_peaks),
            "flagged": dict(self.flagged),
            "tolerance": dict(self.tolerance),
            "nxdomain": dict(self.nxdomain),
        }

    @classmethod
    def load(cls, data: Any) -> Baseline:
        """A baseline from `export()` output; ValueError naming the bad part otherwise."""
        if not isinstance(data, dict):
            raise ValueError("a baseline must be a JSON object")
        if data.get("format") != FORMAT:
            raise ValueError(f"unknown baseline format {data.get('format')!r} (expected {FORMAT})")
        mac = data.get("mac")
        if not isinstance(mac, str) or not mac:
            raise ValueError("the baseline has no device MAC")
        out = cls(mac=mac)
        try:
            out.first_ms = int(data.get("first_ms", 0))
            out.last_ms = int(data.get("last_ms", 0))
            out.learned_ms = int(data.get("learned_ms", 0))
            out.domains = OrderedDict(
                (str(k), [int(x) for x in v][:3]) for k, v in dict(data["domains"]).items()
            )
            if any(len(v) != 3 for v in out.domains.values()):
                raise ValueError("each domain needs [first_ms, last_ms, count]")
            for name in ("apps", "categories", "lan_peers", "networks", "countries", "services"):
                setattr(out, name, _int_table(data.get(name, {}), name))
            out.periodic = _int_table(data.get("periodic", {}), "periodic")
            out.upload_peaks = _int_table(data.get("upload_peaks", {}), "upload_peaks")
            out.flagged = _int_table(data.get("flagged", {}), "flagged")
            out.tolerance = dict(_int_table(data.get("tolerance", {}), "tolerance"))
            out.nxdomain = dict(_int_table(data.get("nxdomain", {}), "nxdomain"))  # absent: older
            out.hours_of_day = [int(x) for x in data.get("hours_of_day", [0] * 24)]
            out.upload_hours = [int(x) for x in data.get("upload_hours", [])][-MAX_HOURS:]
            out.download_hours = [int(x) for x in data.get("download_hours", [])][-MAX_HOURS:]
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"the baseline is damaged ({exc!r}); delete it to learn anew") from exc
        if len(out.hours_of_day) != 24:
            raise ValueError("hours_of_day must have 24 counts")
        return out


def _int_table(value: Any, name: str) -> OrderedDict[str, int]:
    if not isinstance(value, dict):
        raise ValueError(f"{name} must be an object of numbers")
    try:
        return OrderedDict((str(k), int(v)) for k, v in value.items())
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must map names to numbers") from exc


def learn(baseline: Baseline, evidence: dict[str, Any]) -> list[str]:
    """Fold an anomaly alert's evidence into the baseline; returns what was learned, in words.

    Idempotent: learning the same alert twice leaves the baseline as learning it once.
    `evidence["learn"]` (written by the detector) names the tables and keys to add.
    """
    lesson = evidence.get("learn")
    if not isinstance(lesson, dict) or not lesson:
        raise ValueError("this alert carries nothing to learn (it is not an anomaly alert)")
    ts = int(evidence.get("time_ms", 0)) or baseline.last_ms
    done: list[str] = []
    for domain in lesson.get("domains", []):
        baseline.add_domain(str(domain), ts)
        baseline.flagged.pop(f"domain:{domain}", None)
        done.append(f"domain {domain}")
    for dest, period in dict(lesson.get("periodic", {})).items():
        _bounded_put(baseline.periodic, str(dest), int(period), MAX_SMALL)
        baseline.flagged.pop(f"beacon:{dest}", None)
        done.append(f"regular calls to {dest}")
    for table in ("services", "networks", "countries", "lan_peers"):
        for key in lesson.get(table, []):
            baseline.stamp(table, str(key), ts)
            baseline.flagged.pop(f"{table}:{key}", None)
            done.append(f"{table.replace('_', ' ')} {key}")
    for category in lesson.get("categories", []):
        if str(category) not in baseline.categories:
            baseline.count("categories", str(category))
        baseline.flagged.pop(f"categories:{category}", None)
        done.append(f"category {category}")
    for dest, sent in dict(lesson.get("upload_peaks", {})).items():
        peak = max(int(sent), baseline.upload_peaks.get(str(dest), 0))
        _bounded_put(baseline.upload_peaks, str(dest), peak, MAX_SMALL)
        done.append(f"uploads of {int(sent)} bytes an hour to {dest}")
    for check, amount in dict(lesson.get("tolerance", {})).items():
        baseline.tolerance[str(check)] = max(int(amount), baseline.tolerance.get(str(check), 0))
        done.append(f"{check} up to {int(amount)}")
    if not done:
        raise ValueError("this alert carries nothing to learn")
    return done
