"""The household generator and its incidents: deterministic, recognisable, labelled."""

from __future__ import annotations

from collections import Counter

from lanward.demo import dga
from lanward.demo.household import normal_weeks
from lanward.demo.incidents import KINDS, inject
from lanward.engine.events import DhcpSeen, DnsQuery, Flow
from lanward.engine.pipeline import Engine, EngineConfig


def test_same_seed_same_weeks_other_seed_other_weeks() -> None:
    one, again, other = normal_weeks(3, days=2), normal_weeks(3, days=2), normal_weeks(4, days=2)
    assert one.sorted_events() == again.sorted_events()
    assert one.sorted_events() != other.sorted_events()


def test_events_are_in_time_order_and_of_every_kind() -> None:
    home = normal_weeks(1, days=2)
    events = home.sorted_events()
    times = [e.ts_ms if not isinstance(e, Flow) else e.last_seen_ms for e in events]
    assert times == sorted(times)
    kinds = Counter(type(e).__name__ for e in events)
    assert kinds["DhcpSeen"] == 5 and kinds["Flow"] > 3000 and kinds["DnsQuery"] > 500


def test_the_engine_recognises_the_household() -> None:
    home = normal_weeks(2, days=1)
    engine = Engine(EngineConfig())
    for event in home.sorted_events():
        if isinstance(event, DhcpSeen):
            engine.discovery(event)
        elif isinstance(event, DnsQuery):
            engine.app_event(event)
        else:
            engine.flow(event)
    types = {d.mac: d.identity().type.value for d in engine.devices.devices.values()}
    for member in home.members.values():
        assert types[member.mac] == member.kind, member.key
    # A day, all learning: no anomaly alert.
    assert [a for a in engine.alerts if a["kind"] == "anomaly"] == []


def test_incidents_come_after_learning_with_ground_truth() -> None:
    home = normal_weeks(5, days=10)
    incidents = inject(home, learning_days=7, per_kind=3)
    assert Counter(i.kind for i in incidents) == dict.fromkeys(KINDS, 3)
    for incident in incidents:
        assert incident.start_ms >= home.start_ms + 8 * 86_400_000
        assert incident.end_ms <= home.start_ms + 10 * 86_400_000
        assert incident.mac in {m.mac for m in home.members.values()}
        assert incident.as_dict()["destinations"]
    exfil = [i for i in incidents if i.kind == "exfiltration"]
    assert all(i.detail["bytes"] >= 20_000_000 for i in exfil)


def test_dga_families_have_their_shapes() -> None:
    import random

    rng = random.Random(1)
    assert all(len(n.split(".")[0]) >= 12 for n in dga.generate("cryptolocker", rng, 50))
    hexes = dga.generate("hexhash", rng, 50)
    assert all(set(n.split(".")[0]) <= set("0123456789abcdef") for n in hexes)
    assert len(set(dga.generate("necurs", rng, 200))) == 200
