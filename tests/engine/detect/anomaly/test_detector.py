"""The anomaly detector, as scripts of events in and findings out (tests/.../script.py)."""

from __future__ import annotations

import pytest

from lanward.engine.detect.anomaly import AnomalyDetector
from lanward.engine.events import DhcpSeen
from lanward.engine.pipeline import Engine, EngineConfig
from tests.engine.detect.anomaly.script import (
    DAY,
    HOUR,
    IP,
    MAC,
    T0,
    camera_week,
    checks,
    dns,
    feed,
    inbound,
    lan,
    out,
)

AFTER = T0 + 7 * DAY + HOUR  # past the learning period


@pytest.fixture(scope="module")
def learned_camera() -> dict:
    detector = AnomalyDetector()
    detector.type_overrides[MAC] = "camera"
    assert camera_week(detector) == []  # nothing while learning
    return detector.export()


def camera(learned: dict) -> AnomalyDetector:
    detector = AnomalyDetector()
    detector.type_overrides[MAC] = "camera"
    assert detector.load(learned) == []
    return detector


def test_learning_period_is_quiet_then_the_same_traffic_stays_quiet(learned_camera):
    detector = camera(learned_camera)
    base = detector.states[MAC].baseline
    assert base.learned_ms == 0  # still learning until traffic past the 7 days comes
    assert "hik-connect.com" in base.domains and "devices.hik-connect.com" in base.periodic
    # Another normal day: check-ins every minute, a clip, DNS; nothing fires.
    events = []
    for minute in range(24 * 60):
        ts = AFTER + minute * 60_000
        events += [
            dns(ts, "devices.hik-connect.com"),
            out(ts + 100, "52.28.1.10", "devices.hik-connect.com"),
        ]
    events.append(out(AFTER + 5 * HOUR, "52.29.7.7", "alarm.ezvizlife.com", up=4_000_000))
    assert feed(detector, events) == []
    assert base.learned_ms == T0 + 7 * DAY and not base.learning


def test_beaconing_to_a_new_destination(learned_camera):
    detector = camera(learned_camera)
    calls = [out(AFTER + n * 300_000 + (n % 3) * 4000, "185.10.4.4") for n in range(12)]
    alerts = feed(detector, calls)
    assert checks(alerts).count("beacon") == 1
    beacon = next(a for a in alerts if a["evidence"]["check"] == "beacon")
    assert beacon["severity"] == "high"  # a bare address in a network the camera never used
    assert beacon["dst"] == "185.10.4.4" and beacon["mac"] == MAC and beacon["src"] == IP
    now = beacon["evidence"]["now"]
    assert now["period_s"] == pytest.approx(300, rel=0.05) and now["connections"] == 10
    assert "every 5 min like clockwork" in beacon["summary"]
    assert "never used before" in beacon["summary"]
    assert beacon["evidence"]["learn"] == {
        "periodic": {"185.10.4.4": now["period_s"] * 1000},
        "networks": ["185.10.0.0/16"],
        "countries": ["US"],  # 185.10.4.4 is registered in the US
    }
    # The same calls going on: no second alert.
    more = feed(detector, [out(AFTER + n * 300_000, "185.10.4.4") for n in range(12, 20)])
    assert "beacon" not in checks(more)


def test_irregular_connections_are_no_beacon(learned_camera):
    import random

    rng = random.Random(3)
    detector = camera(learned_camera)
    ts, calls = AFTER, []
    for _ in range(40):
        ts += int(rng.expovariate(1 / 300_000))
        calls.append(out(ts, "52.28.1.10", "devices.hik-connect.com"))
    assert "beacon" not in checks(feed(detector, calls))


def test_upload_spike_is_explained_with_the_baseline(learned_camera):
    detector = camera(learned_camera)
    pieces = [
        out(AFTER + n * 60_000, "52.29.7.7", "alarm.ezvizlife.com", up=20_000_000) for n in range(5)
    ]
    alerts = [a for a in feed(detector, pieces) if a["evidence"]["check"] == "upload"]
    assert len(alerts) == 1
    spike = alerts[0]
    base, now = spike["evidence"]["baseline"], spike["evidence"]["now"]
    assert base["busiest_hour_bytes"] == pytest.approx(3_000_000, rel=0.02)  # clip + check-ins
    assert now["upload_bytes"] > base["threshold_bytes"] or now["spike_of"] == "destination"
    assert "busiest hour on record 3.0 MB" in spike["summary"]
    assert spike["dst"] == "ezvizlife.com" and spike["severity"] in ("medium", "high")
    assert spike["evidence"]["learn"]["tolerance"]["upload_hour_bytes"] == now["upload_bytes"]


def test_a_new_listening_service_from_the_internet_is_high(learned_camera):
    detector = camera(learned_camera)
    alerts = feed(detector, [inbound(AFTER, "203.0.113.9", 23)])
    assert checks(alerts) == ["listening"]
    assert alerts[0]["severity"] == "high" and "tcp/23" in alerts[0]["summary"]
    # Refused connections are no service; the same service again is not repeated.
    assert feed(detector, [inbound(AFTER + 1000, "203.0.113.9", 2323, answered=False)]) == []
    assert checks(feed(detector, [inbound(AFTER + 2000, "203.0.113.10", 23)])) == []


def test_camera_browsing_and_new_country(learned_camera):
    detector = camera(learned_camera)
    sites = ["wikipedia.org", "nytimes.com", "bbc.co.uk", "reddit.com", "imdb.com"]
    alerts = feed(detector, [dns(AFTER + n * 60_000, "www." + s) for n, s in enumerate(sites)])
    assert checks(alerts) == ["browsing"]
    assert alerts[0]["evidence"]["now"]["count"] == 4  # the camera's limit is 4 a hour
    alerts = feed(
        detector, [out(AFTER + 10 * 60_000, "88.198.2.2", "www.heise.de", category="Web")]
    )
    assert "country" in checks(alerts)
    country = next(a for a in alerts if a["evidence"]["check"] == "country")
    assert country["evidence"]["now"]["country"] == "DE"
    assert country["evidence"]["baseline"]["countries"] == ["US"]


def test_camera_reaching_across_the_lan(learned_camera):
    detector = camera(learned_camera)
    alerts = feed(detector, [lan(AFTER + n * 1000, f"192.168.1.{100 + n}", 23) for n in range(6)])
    assert checks(alerts) == ["lan_peers"]
    assert alerts[0]["severity"] == "high" and alerts[0]["evidence"]["now"]["count"] == 4


def test_dga_burst_and_lookalike(learned_camera):
    detector = camera(learned_camera)
    names = ["xkqjvbtrwzplmn.com", "qwpzkdjfhtyrvb.net", "zzkrpqmvwxtljd.org", "pvbqkxzrtwjmn.info"]
    alerts = feed(detector, [dns(AFTER + n * 5000, name) for n, name in enumerate(names)])
    assert "dga" in checks(alerts)
    burst = [a for a in alerts if a["evidence"]["now"].get("burst")]
    assert len(burst) == 1 and burst[0]["severity"] == "high"
    assert len(burst[0]["evidence"]["now"]["domains"]) == 3
    alerts = feed(detector, [dns(AFTER + HOUR, "devices.hik-c0nnect.com")])
    assert checks(alerts) == ["lookalike"]
    assert alerts[0]["evidence"]["now"]["imitates"] == "hik-connect"


def test_learn_it_silences_the_same_behaviour(learned_camera):
    detector = camera(learned_camera)
    calls = [out(AFTER + n * 300_000, "185.10.4.4") for n in range(12)]
    [beacon] = [a for a in feed(detector, calls) if a["evidence"]["check"] == "beacon"]
    learned = detector.learn(MAC, beacon["evidence"])
    assert learned == [
        "regular calls to 185.10.4.4",
        "networks 185.10.0.0/16",
        "countries US",
    ]
    assert "185.10.4.4" in detector.states[MAC].baseline.periodic
    # An upload spike learned raises the allowance: the same volume next day stays quiet.
    clip = out(AFTER + DAY, "52.29.7.7", "alarm.ezvizlife.com", up=25_000_000)
    [spike] = [a for a in feed(detector, [clip]) if a["evidence"]["check"] == "upload"]
    detector.learn(MAC, spike["evidence"])
    again = out(AFTER + 2 * DAY, "52.29.7.7", "alarm.ezvizlife.com", up=25_000_000)
    assert "upload" not in checks(feed(detector, [again]))
    # Far more than what was learned still alarms.
    more = [
        out(AFTER + 3 * DAY + n * 60_000, "52.29.7.7", "alarm.ezvizlife.com", up=40_000_000)
        for n in range(5)
    ]
    assert "upload" in checks(feed(detector, more))


def test_a_new_device_is_quiet_while_it_learns(learned_camera):
    detector = camera(learned_camera)
    newcomer = "02:aa:bb:cc:dd:ee"
    names = ["xkqjvbtrwzplmn.com", "qwpzkdjfhtyrvb.net", "zzkrpqmvwxtljd.org"]
    events = [dns(AFTER + n, name, mac=newcomer, ip="192.168.1.77") for n, name in enumerate(names)]
    events += [
        out(AFTER + n * 60_000, "185.10.4.4", mac=newcomer, ip="192.168.1.77") for n in range(20)
    ]
    assert feed(detector, events) == []
    assert detector.states[newcomer].baseline.learning


def test_events_out_of_time_order_are_judged_by_their_own_time():
    """A capture hands over all its DNS queries before its flows: a flow from inside the
    learning period is learned even when a later query already ended it."""
    detector = AnomalyDetector(learning_days=1 / 24)
    feed(detector, [dns(T0, "example.com"), dns(T0 + 2 * HOUR, "example.org")])
    base = detector.states[MAC].baseline
    assert base.learned_ms == T0 + HOUR
    assert feed(detector, [out(T0 + 1000, "88.198.2.2", "www.example.net")]) == []
    assert "example.net" in base.domains


def test_sensitivity_off_silences_a_type_but_learns():
    detector = AnomalyDetector(learning_days=0)
    detector.configure(EngineConfig(anomaly_learning_days=0, anomaly_sensitivity={"camera": "off"}))
    detector.type_overrides[MAC] = "camera"
    alerts = feed(detector, [out(T0, "185.10.4.4"), inbound(T0 + 10, "203.0.113.9", 23)])
    assert alerts == []
    with pytest.raises(ValueError, match="unknown anomaly sensitivity"):
        detector.configure(EngineConfig(anomaly_sensitivity={"camera": "paranoid"}))


def test_in_the_engine_the_device_type_comes_from_recognition():
    """Through the whole engine: DHCP makes the plug a smart plug, whose sensitivity is tight."""
    engine = Engine(EngineConfig(anomaly_learning_days=60 / 86400))  # a minute
    engine.discovery(DhcpSeen(mac="fc:67:1f:00:00:50", ts_ms=T0, message_type="request",
                              hostname="smartplug-000050", param_list=(1, 3, 6, 12, 15, 28, 42),
                              vendor_class="udhcp 1.24.2", ip="192.168.1.50"))  # fmt: skip
    plug = {"mac": "fc:67:1f:00:00:50", "ip": "192.168.1.50"}
    engine.flow(out(T0 + 1000, "52.28.1.10", "a1.tuyaeu.com", **plug))  # learning: US cloud
    engine.flow(out(T0 + 120_000, "88.198.2.2", sni="", **plug))  # a bare address in DE
    alerts = [a for a in engine.alerts if a["kind"] == "anomaly"]
    assert sorted(checks(alerts)) == ["country", "network"]  # a bare address, in DE
    assert {a["evidence"]["device_type"] for a in alerts} == {"smart plug/IoT hub"}
    assert {a["evidence"]["sensitivity"]["profile"] for a in alerts} == {"appliance"}
    assert engine.notices == []


def test_a_cameras_stream_to_the_home_is_expected_but_not_from_the_internet(learned_camera):
    """A phone app starting to watch the camera after learning is no new back door; the same
    stream answered to the internet is."""
    detector = camera(learned_camera)
    assert feed(detector, [inbound(AFTER, "192.168.1.21", 554)]) == []
    alerts = feed(detector, [inbound(AFTER + 1000, "203.0.113.9", 8554)])
    assert checks(alerts) == ["listening"] and alerts[0]["severity"] == "high"
    # A service no camera offers its household still alerts from the home too.
    assert checks(feed(detector, [inbound(AFTER + 2000, "192.168.1.21", 23)])) == ["listening"]


def test_expected_services_by_type() -> None:
    from lanward.engine.detect.anomaly.novelty import expected_at_home

    assert expected_at_home("TV", "tcp/36866")  # a DLNA media server's dynamic port
    assert expected_at_home("speaker", "tcp/1400") and expected_at_home("TV", "tcp/49152+")
    assert not expected_at_home("TV", "tcp/23") and not expected_at_home("TV", "udp/40000")
    assert not expected_at_home("computer", "tcp/36866")
    assert not expected_at_home("camera", "tcp/36866")
