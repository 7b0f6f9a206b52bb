"""Brute force and worm spreading, as scripts of flows in and alerts out."""

from __future__ import annotations

from lanward.engine.detect.lateral import BruteForce, WormSpread
from lanward.engine.events import Flow
from lanward.engine.pipeline import EngineConfig

T = 1_700_000_000_000
CAMERA, NAS = "192.168.1.50", "192.168.1.10"


def session(
    src: str, dst: str, port: int, at: int, *, data: int = 600, length_ms: int = 2000
) -> Flow:
    return Flow(
        src_ip=src,
        dst_ip=dst,
        src_port=40000 + at % 20000,
        dst_port=port,
        protocol=6,
        src_mac="02:00:00:00:00:50",
        dst_mac="02:00:00:00:00:10",
        first_seen_ms=T + at,
        last_seen_ms=T + at + length_ms,
        src2dst_packets=6,
        src2dst_bytes=data,
        dst2src_packets=5,
        dst2src_bytes=data,
    )


def configured(detector):
    detector.configure(EngineConfig())
    return detector


def test_ten_short_telnet_logins_to_one_host_is_brute_force():
    bf = configured(BruteForce())
    alerts = []
    for i in range(12):
        alerts += bf.flow_end(session(CAMERA, NAS, 23, i * 3000))
    assert [a["detector"] for a in alerts] == ["brute_force"]  # once per window
    assert alerts[0]["severity"] == "high"
    assert alerts[0]["evidence"]["attempts"] == 10
    assert "guessing passwords" in alerts[0]["summary"]


def test_inbound_guessing_is_reported_as_exposed():
    bf = configured(BruteForce())
    alerts = []
    for i in range(10):
        alerts += bf.flow_end(session("203.0.113.7", NAS, 22, i * 1000))
    assert [a["detector"] for a in alerts] == ["brute_force_inbound"]


def test_spread_out_logins_long_sessions_and_other_ports_are_not_brute_force():
    bf = configured(BruteForce())
    slow = [
        session(CAMERA, NAS, 22, i * 20_000) for i in range(10)
    ]  # one per 20 s: not 10 a minute
    long = [session(CAMERA, NAS, 22, i * 1000, length_ms=60_000) for i in range(10)]
    web = [session(CAMERA, NAS, 8443, i * 1000) for i in range(10)]
    assert not [a for f in slow + long + web for a in bf.flow_end(f)]


def test_telnet_to_many_hosts_is_worm_spread_and_state_is_bounded():
    worm = configured(WormSpread())
    alerts = []
    for i in range(15):
        alerts += worm.flow_end(session(CAMERA, f"192.168.1.{100 + i}", 23, i * 500))
    assert [a["detector"] for a in alerts] == ["worm_spread"]
    assert alerts[0]["evidence"]["host_count"] == 10
    for i in range(5000):  # many sources: the tables stay capped
        worm.flow_end(session(f"10.0.{i // 250}.{i % 250}", "192.168.1.2", 445, i))
    assert len(worm.windows.items) <= worm.windows.max_keys
    assert len(worm.windows.alerted) <= worm.windows.max_keys
