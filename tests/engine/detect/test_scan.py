from __future__ import annotations

from lanward.engine.detect.scan import ScanDetector, is_probe
from lanward.engine.pipeline import EngineConfig

from .flows import HOME_MAC, OTHER_MAC, flow, probe

T0 = 1_700_000_000_000


def detector(**kw: int) -> ScanDetector:
    addon = ScanDetector(**kw)
    addon.configure(EngineConfig())
    return addon


def run(addon: ScanDetector, flows: list) -> list[dict]:  # type: ignore[type-arg]
    return [a for f in flows for a in addon.flow_end(f)]


def test_probe_shapes() -> None:
    assert is_probe(probe("192.168.1.2", 22, T0))
    # SYN, SYN-ACK, RST: a half-open (nmap -sS) probe of an open port.
    assert is_probe(flow(src2dst_packets=3, src2dst_bytes=198, dst2src_packets=1, dst2src_bytes=74))
    assert is_probe(flow(protocol=17, dst2src_packets=0, dst2src_bytes=0, src2dst_packets=1))
    assert not is_probe(flow())  # a real exchange
    assert not is_probe(flow(protocol=17, src2dst_packets=1, dst2src_packets=1))


def test_vertical_scan_alerts_once_at_the_threshold() -> None:
    addon = detector()
    alerts = run(addon, [probe("192.168.1.2", port, T0 + port * 100) for port in range(1, 30)])
    [alert] = alerts
    assert (alert["detector"], alert["severity"], alert["mac"]) == ("scan", "medium", HOME_MAC)
    assert alert["evidence"]["pattern"] == "vertical"
    assert alert["evidence"]["ports"] == [1, 2, 3, 4, 5, 6]
    assert alert["dst"] == "192.168.1.2"


def test_below_the_threshold_nothing() -> None:
    assert run(detector(), [probe("192.168.1.2", p, T0) for p in (22, 80, 443, 445, 8080)]) == []


def test_ports_spread_past_the_window_do_not_add_up() -> None:
    # One new port every 20 s: never six within a minute.
    flows = [probe("192.168.1.2", port, T0 + i * 20_000) for i, port in enumerate(range(1, 40))]
    assert run(detector(), flows) == []


def test_alerts_again_in_a_later_window() -> None:
    addon = detector()
    first = run(addon, [probe("192.168.1.2", p, T0) for p in range(1, 10)])
    again = run(addon, [probe("192.168.1.2", p, T0 + 120_000) for p in range(1, 10)])
    assert len(first) == len(again) == 1


def test_horizontal_sweep() -> None:
    addon = detector()
    alerts = run(addon, [probe(f"192.168.1.{h}", 23, T0 + h) for h in range(1, 40)])
    [alert] = alerts
    assert alert["evidence"]["pattern"] == "horizontal"
    assert alert["evidence"]["port"] == 23
    assert alert["evidence"]["host_count"] == 15


def test_answered_connections_are_not_probes() -> None:
    flows = [flow(dst_port=p, first_seen_ms=T0, last_seen_ms=T0) for p in range(1, 40)]
    assert run(detector(), flows) == []


def test_inbound_scan_from_outside() -> None:
    flows = [
        probe("192.168.1.2", p, T0 + p, src_ip="203.0.113.5", dst_mac=OTHER_MAC)
        for p in range(1, 10)
    ]
    [alert] = run(detector(), flows)
    assert alert["detector"] == "scan_inbound"
    assert alert["mac"] == OTHER_MAC


def test_foreign_to_foreign_and_multicast_ignored() -> None:
    addon = detector()
    assert run(addon, [probe("198.51.100.1", p, T0, src_ip="203.0.113.5") for p in range(30)]) == []
    assert run(addon, [probe("239.255.255.250", p, T0) for p in range(30)]) == []


def test_state_is_bounded() -> None:
    addon = detector(max_sources=50, max_probes=20)
    for i in range(2000):
        addon.flow_end(probe("192.168.1.2", 1000 + i, T0 + i, src_ip=f"10.0.{i // 250}.{i % 250}"))
    assert len(addon.sources) <= 50
    assert all(len(s.probes) <= 20 for s in addon.sources.values())
    one = ScanDetector(max_probes=20)
    for i in range(5000):
        one.flow_end(probe(f"192.168.{i // 250}.{i % 250}", i, T0 + i))
    [state] = one.sources.values()
    assert len(state.probes) == 20
    assert sum(len(c) for c in state.ports_by_host.values()) == 20
    assert sum(len(c) for c in state.hosts_by_service.values()) == 20


def test_idle_sources_expire_by_flow_time() -> None:
    addon = detector()
    addon.flow_end(probe("192.168.1.2", 1, T0, src_ip="192.168.1.50"))
    addon.flow_end(probe("192.168.1.2", 1, T0 + 3_600_000, src_ip="192.168.1.51"))
    assert list(addon.sources) == ["192.168.1.51"]


def test_thresholds_come_from_the_config() -> None:
    addon = ScanDetector()
    addon.configure(EngineConfig(scan_ports=3, scan_hosts=3, scan_window_s=10))
    [alert] = run(addon, [probe("192.168.1.2", p, T0) for p in (1, 2, 3)])
    assert alert["evidence"]["threshold"] == 3
    assert alert["evidence"]["window_s"] == 10


def test_the_stations_own_scans_are_not_an_attack() -> None:
    """The security check scans from the station itself: with its MAC in own_macs the whole
    engine reports nothing about it, while the same scan by another device is reported."""
    from lanward.engine.pipeline import Engine

    def engine_alerts(own: tuple[str, ...]) -> list[dict]:  # type: ignore[type-arg]
        engine = Engine(EngineConfig(own_macs=own))
        for port in range(1, 30):
            engine.flow(probe("192.168.1.2", port, T0 + port * 100))
        return [a for a in engine.alerts if a["kind"] == "internal_attack"]

    assert [a["mac"] for a in engine_alerts(())] == [HOME_MAC]
    assert engine_alerts((HOME_MAC.upper().replace(":", "-"),)) == []  # any spelling
    assert [a["mac"] for a in engine_alerts(("02:00:00:00:99:99", "not a mac"))] == [HOME_MAC]
