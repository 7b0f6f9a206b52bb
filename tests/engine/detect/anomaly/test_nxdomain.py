"""The failed-lookup check (anomaly/nxdomain.py): a burst of new domains answered NXDOMAIN.

Scripts of DNS lookups and answers in, alerts out; one script runs real DNS packets through a
FlowParser and the whole engine. The names of the bursts are the dictionary-word kind
(lanward.demo.dga's `wordpair`) that the character model cannot see.
"""

from __future__ import annotations

import json
import random
from typing import Any

import dns.message
import dns.rcode
from scapy.layers.inet import IP, UDP

from lanward.demo import dga as families
from lanward.engine.applayer import FlowParser
from lanward.engine.detect.anomaly import AnomalyDetector, find, nxdomain
from lanward.engine.events import DhcpSeen, DnsAnswer, FlowKey
from lanward.engine.pipeline import Engine, EngineConfig
from tests.engine.detect.anomaly.script import DAY, GATEWAY, MAC, T0, checks, feed
from tests.engine.detect.anomaly.script import IP as DEVICE_IP
from tests.engine.detect.anomaly.script import dns as query

MINUTE = 60_000
FLOOR = nxdomain.FLOORS["general"]  # a laptop's
USUAL = ("www.google.com", "outlook.office.com", "en.wikipedia.org", "www.bbc.co.uk")


def answer(ts: int, name: str, rcode: str = "NXDOMAIN", soa: str = "") -> DnsAnswer:
    key = FlowKey(DEVICE_IP, 33333, GATEWAY, 53, 17, MAC)
    zone = soa or name.rpartition(".")[2]
    if rcode != "NXDOMAIN":
        return DnsAnswer(key, ts + 20, name, "A", rcode, ("93.184.216.34",))
    return DnsAnswer(key, ts + 20, name, "A", rcode, soa=zone)


def lookup(ts: int, name: str, rcode: str = "NXDOMAIN", soa: str = "") -> list[Any]:
    return [query(ts, name), answer(ts, name, rcode, soa)]


def wordpairs(n: int, seed: int = 1) -> list[str]:
    return families.generate("wordpair", random.Random(seed), n)


def normal_days(start: int, days: int, failures: list[int] | None = None) -> list[Any]:
    """Days of a laptop's lookups: its usual names resolve; `failures` per day fail, each
    a new mistyped or dead name, hours apart."""
    events: list[Any] = []
    for day in range(days):
        base = start + day * DAY
        for hour in range(8, 23):
            for k, name in enumerate(USUAL):
                events += lookup(base + hour * 3_600_000 + k * 1000, name, "NOERROR")
        for k in range(failures[day % len(failures)] if failures else 0):
            events += lookup(base + (9 + 3 * k) * 3_600_000, f"deadlink{day}x{k}-shop.com")
    return events


def burst(start: int, names: list[str], spacing_ms: int = 15_000) -> list[Any]:
    events: list[Any] = []
    for k, name in enumerate(names):
        events += lookup(start + k * spacing_ms, name)
    return events


def learned(days: float = 2.0, **kwargs: Any) -> AnomalyDetector:
    detector = AnomalyDetector(learning_days=days, **kwargs)
    assert feed(detector, normal_days(T0, int(days), failures=[2, 3])) == []
    return detector


def nx_alerts(alerts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [a for a in alerts if a["evidence"]["check"] == "nxdomain"]


def test_a_burst_alerts_once_with_the_names_in_evidence() -> None:
    detector = learned()
    names = wordpairs(20)
    start = T0 + 3 * DAY + 10 * 3_600_000
    alerts = feed(detector, burst(start, names))
    (alert,) = alerts  # the character model sees nothing in dictionary words
    assert alert["kind"] == "anomaly" and alert["severity"] == "high"
    assert (alert["mac"], alert["src"]) == (MAC, DEVICE_IP)
    evidence = alert["evidence"]
    assert evidence["check"] == "nxdomain"
    assert evidence["check_name"] == nxdomain_check_name()
    threshold = evidence["baseline"]["alert_at"]
    assert threshold == nxdomain.FLOORS["general"]  # a quiet laptop: the floor
    assert evidence["now"]["domains"] == names[:threshold]
    assert evidence["now"]["count"] == threshold and evidence["now"]["window_minutes"] == 10
    assert evidence["now"]["first_ms"] == start + 20
    assert evidence["baseline"]["failed_lookups_per_day"] == 2.5  # 2 and 3 a day
    assert evidence["baseline"]["most_in_window"] == 1
    assert evidence["learn"] == {"tolerance": {"nxdomain_per_window": threshold}}
    summary = alert["summary"]
    assert f"looked up {threshold} domains that do not exist within 10 min" in summary
    assert names[0] in summary and "2.5 of its lookups a day fail" in summary
    assert alert["dst"] == names[threshold - 1]
    # The burst goes on for half an hour more: still the same burst, no second alert.
    more = wordpairs(60, seed=2)
    assert feed(detector, burst(start + 20 * 15_000, more, spacing_ms=30_000)) == []
    # Quiet for hours, then a new burst: a new alert.
    later = start + 6 * 3_600_000
    assert checks(feed(detector, burst(later, wordpairs(FLOOR, seed=3)))) == ["nxdomain"]


def nxdomain_check_name() -> str:
    from lanward.engine.detect.anomaly.explain import CHECKS

    return CHECKS["nxdomain"]


def test_a_normal_trickle_and_small_prefetch_bursts_do_not_alert() -> None:
    detector = learned()
    after = T0 + 2 * DAY
    events = normal_days(after, 7, failures=[1, 4, 2, 6, 3])
    for day in range(7):  # a browser prefetching suggestions: 2-4 names within seconds
        base = after + day * DAY + 20 * 3_600_000
        stem = f"gardenplan{day}"
        events += burst(
            base, [f"{stem}{x}.com" for x in ("", "online", "-shop", "world")][: 2 + day % 3], 2000
        )
    alerts = feed(detector, sorted(events, key=lambda e: e.ts_ms))
    assert nx_alerts(alerts) == []


def test_names_that_do_not_count() -> None:
    """Known domains, names without a registered domain, lanward's own block answers, other
    failures than NXDOMAIN: a dozen distinct of each, more than any threshold."""
    detector = AnomalyDetector(learning_days=2)
    known = [f"known{k}-site.com" for k in range(12)]
    usual = [e for k, name in enumerate(known) for e in lookup(T0 + k * 1000, name, "NOERROR")]
    assert feed(detector, usual + normal_days(T0, 2, failures=[1])) == []
    start = T0 + 3 * DAY
    events: list[Any] = []
    for k in range(12):
        ts = start + k * 10_000
        events += lookup(ts, f"gone.{known[k]}")  # a known registered domain
        events += lookup(ts + 1, f"qzkfhw{k}")  # a browser's random single-label probe
        events += lookup(ts + 2, f"printer{k}.local")
        events += lookup(ts + 3, f"{k}.1.168.192.in-addr.arpa")
        events += lookup(ts + 4, f"ads{k}.tracker{k}.net", soa="blocked.lanward")
        events.append(answer(ts + 5, f"refused{k}.example{k}.com", rcode="SERVFAIL"))
    assert nx_alerts(feed(detector, events)) == []
    assert [d for t, d in detector.states[MAC].failed if t >= start] == []


def test_the_learning_period_is_respected_and_learns_the_busiest_window() -> None:
    detector = AnomalyDetector(learning_days=2)
    events = normal_days(T0, 1) + burst(T0 + DAY + 3_600_000, wordpairs(15))
    assert feed(detector, events) == []
    baseline = detector.states[MAC].baseline
    assert baseline.nxdomain == {"failures": 15, "peak": 15}
    # After learning, 15 in a window is this device's normal: it takes twice that.
    after = T0 + 3 * DAY
    assert feed(detector, burst(after, wordpairs(29, seed=4), spacing_ms=10_000)) == []
    fresh = burst(after + 6 * 3_600_000, wordpairs(30, seed=5), spacing_ms=10_000)
    (alert,) = feed(detector, fresh)
    assert alert["evidence"]["baseline"]["alert_at"] == 30


def test_a_device_whose_normal_is_noisy_needs_more() -> None:
    quiet, noisy = learned(), AnomalyDetector(learning_days=2)
    noisy_days = normal_days(T0, 2, failures=[2])
    noisy_days += burst(T0 + 5 * 3_600_000, [f"deadtracker{k}-ads.net" for k in range(6)])
    assert feed(noisy, sorted(noisy_days, key=lambda e: e.ts_ms)) == []
    assert noisy.states[MAC].baseline.nxdomain["peak"] == 6
    names = wordpairs(11, seed=6)
    start = T0 + 3 * DAY
    assert checks(feed(quiet, burst(start, names))) == ["nxdomain"]
    assert feed(noisy, burst(start, names)) == []  # 11 < 2 x 6
    (alert,) = feed(noisy, burst(start + 6 * 3_600_000, wordpairs(12, seed=7)))
    assert alert["evidence"]["baseline"]["most_in_window"] == 6
    assert alert["evidence"]["baseline"]["alert_at"] == 12


def test_sensitivity_by_device_type_and_level() -> None:
    camera = learned()
    camera.type_overrides[MAC] = "camera"
    start = T0 + 3 * DAY
    (alert,) = nx_alerts(feed(camera, burst(start, wordpairs(5, seed=8))))
    assert alert["evidence"]["baseline"]["alert_at"] == nxdomain.FLOORS["appliance"] == 5
    assert alert["evidence"]["device_type"] == "camera"
    off = learned(sensitivity={"camera": "off"})
    off.type_overrides[MAC] = "camera"
    assert feed(off, burst(start, wordpairs(40, seed=9))) == []  # no check speaks when "off"
    low = learned(sensitivity={"camera": "low"})
    low.type_overrides[MAC] = "camera"
    assert nx_alerts(feed(low, burst(start, wordpairs(9, seed=10)))) == []
    (alert,) = nx_alerts(feed(low, burst(start + 6 * 3_600_000, wordpairs(10, seed=11))))
    assert alert["evidence"]["baseline"]["alert_at"] == 10
    assert alert["evidence"]["sensitivity"] == {"profile": "appliance", "level": "low"}


def test_a_burst_the_character_model_reported_is_not_reported_again() -> None:
    detector = learned()
    rng = random.Random(12)
    random_names = families.generate("cryptolocker", rng, 20)
    alerts = feed(detector, burst(T0 + 3 * DAY, random_names))
    assert "dga" in checks(alerts) and "nxdomain" not in checks(alerts)
    assert [a["evidence"]["now"]["burst"] for a in alerts].count(True) == 1


def test_after_this_check_reported_the_character_model_keeps_quiet() -> None:
    """Words first, then random letters, in one burst: one alert."""
    detector = learned()
    names = wordpairs(FLOOR, seed=13) + families.generate("cryptolocker", random.Random(14), 10)
    assert checks(feed(detector, burst(T0 + 3 * DAY, names))) == ["nxdomain"]


def test_state_round_trips_and_old_baselines_still_load() -> None:
    noisy = AnomalyDetector(learning_days=2)
    events = normal_days(T0, 2, failures=[3]) + burst(T0 + 30 * MINUTE, wordpairs(7, seed=15))
    feed(noisy, sorted(events, key=lambda e: e.ts_ms))
    saved = json.loads(json.dumps(noisy.export()))
    assert saved[MAC]["nxdomain"] == {"failures": 13, "peak": 7}
    restored = AnomalyDetector(learning_days=2)
    assert restored.load(saved) == []
    assert restored.states[MAC].baseline.nxdomain == {"failures": 13, "peak": 7}
    start = T0 + 3 * DAY
    assert feed(restored, burst(start, wordpairs(13, seed=16))) == []  # 13 < 2 x 7
    assert checks(feed(restored, burst(start + 6 * 3_600_000, wordpairs(14, seed=17)))) == [
        "nxdomain"
    ]
    # A baseline saved before this check existed loads; the floor applies, and the alert
    # says the device's failure rate was not learned.
    del saved[MAC]["nxdomain"]
    old = AnomalyDetector(learning_days=2)
    assert old.load(saved) == []
    assert old.states[MAC].baseline.nxdomain == {}
    (alert,) = feed(old, burst(start, wordpairs(FLOOR, seed=18)))
    assert alert["evidence"]["baseline"]["failed_lookups_per_day"] is None
    assert "not learned yet" in alert["summary"]


def test_this_is_normal_raises_the_bar() -> None:
    detector = learned()
    start = T0 + 3 * DAY
    (alert,) = feed(detector, burst(start, wordpairs(FLOOR + 1, seed=19)))
    assert detector.learn(MAC, alert["evidence"]) == [f"nxdomain_per_window up to {FLOOR}"]
    again = start + 6 * 3_600_000
    assert feed(detector, burst(again, wordpairs(FLOOR, seed=20))) == []
    assert checks(feed(detector, burst(again + 6 * 3_600_000, wordpairs(FLOOR + 1, seed=21)))) == [
        "nxdomain"
    ]


# --- through the engine, from packets ----------------------------------------------------------


def test_real_dns_answers_through_the_engine() -> None:
    """Real DNS packets -> FlowParser -> Engine (every detector) -> one nxdomain alert."""
    laptop_mac = "e4:c7:67:00:00:20"
    engine = Engine(EngineConfig(anomaly_learning_days=0.5))
    engine.discovery(
        DhcpSeen(laptop_mac, T0, "request", "DESKTOP-1", (1, 3, 6, 15, 31, 33), "MSFT 5.0")
    )

    def exchange(ts: int, name: str, rcode: int, port: int) -> None:
        q = dns.message.make_query(name + ".", "A")
        r = dns.message.make_response(q)
        r.set_rcode(rcode)
        key = FlowKey(DEVICE_IP, port, GATEWAY, 53, 17, laptop_mac, "98:9b:cb:00:00:01")
        parser = FlowParser(key)
        packets = [
            (True, IP(src=DEVICE_IP, dst=GATEWAY) / UDP(sport=port, dport=53) / q.to_wire()),
            (False, IP(src=GATEWAY, dst=DEVICE_IP) / UDP(sport=53, dport=port) / r.to_wire()),
        ]
        for k, (to_server, pkt) in enumerate(packets):
            for event in parser.packet(ts + k * 20, to_server, bytes(pkt)):
                engine.app_event(event)
        assert parser.failure is None

    for k in range(24):  # the learning half day: its usual names resolve
        exchange(T0 + k * 1_800_000, USUAL[k % len(USUAL)], dns.rcode.NOERROR, 40000 + k)
    start = T0 + DAY
    names = wordpairs(12, seed=22)
    for k, name in enumerate(names):
        exchange(start + k * 20_000, name, dns.rcode.NXDOMAIN, 50000 + k)
    anomalies = [a for a in engine.alerts if a["kind"] == "anomaly"]
    assert checks(anomalies) == ["nxdomain"]
    assert anomalies[0]["mac"] == laptop_mac
    assert anomalies[0]["evidence"]["device_type"] == "computer"
    assert anomalies[0]["evidence"]["now"]["domains"] == names[:FLOOR]
    assert find(engine.addons) is not None
    assert not [n for n in engine.notices if n.kind == "addon_error"]


def test_a_name_that_does_not_exist_is_not_learned_as_the_devices_own() -> None:
    """A typo during learning must not become one of the device's domains, or the next
    look-alike of it, or of the real name, would be measured against a name nobody uses."""
    detector = AnomalyDetector(learning_days=2.0)
    events = normal_days(T0, 2, failures=[1])
    events += lookup(T0 + 10 * 3_600_000 + 500, "wikipedai.org")  # mistyped, answered NXDOMAIN
    events += lookup(T0 + 11 * 3_600_000 + 500, "www.bbc.co.uk", "NOERROR")
    assert feed(detector, events) == []
    known = detector.states[MAC].baseline.domains
    assert "wikipedia.org" in known and "bbc.co.uk" in known
    assert "wikipedai.org" not in known and not any(d.startswith("deadlink") for d in known)


def test_the_station_itself_learns_no_baseline_and_raises_nothing() -> None:
    """The station forwards the household's lookups: a burst it relays is not its own."""
    from lanward.engine.pipeline import EngineConfig

    detector = AnomalyDetector(learning_days=2.0)
    detector.configure(EngineConfig(own_macs=(MAC,)))
    events = normal_days(T0, 2, failures=[2, 3]) + burst(T0 + 3 * DAY, wordpairs(30))
    assert feed(detector, events) == []
    assert MAC not in detector.states
