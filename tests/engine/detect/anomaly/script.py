"""Event scripts for the anomaly detector: one home device, flows and DNS queries by the second."""

from __future__ import annotations

from typing import Any

from lanward.engine.detect.anomaly import AnomalyDetector
from lanward.engine.events import DnsQuery, Flow, FlowKey

T0 = 1_767_225_600_000  # 2026-01-01 00:00 UTC
DAY = 86_400_000
HOUR = 3_600_000
MAC = "24:48:45:00:00:40"
IP = "192.168.1.40"
GATEWAY = "192.168.1.1"


def out(ts: int, dst: str = "52.28.1.10", sni: str = "", up: int = 600, down: int = 400,
        port: int = 443, sport: int = 0, app: str = "TLS", category: str = "Cloud",
        proto: int = 6, mac: str = MAC, ip: str = IP) -> Flow:  # fmt: skip
    """A connection the device opened to the internet at `ts` (ms)."""
    return Flow(
        ip, dst, sport or 40000 + (ts // 1000) % 20000, port, proto, mac, "98:9b:cb:00:00:01",
        ts, ts + 500, max(2, up // 900), up, max(2, down // 1300), down,
        app=app, category=category, sni=sni,
    )  # fmt: skip


def inbound(
    ts: int, src: str, port: int, mac: str = MAC, ip: str = IP, answered: bool = True
) -> Flow:
    """A connection someone opened to the device's `port`."""
    back = (6, 4000) if answered else (1, 60)
    return Flow(
        src, ip, 51000, port, 6, "98:9b:cb:00:00:01", mac, ts, ts + 800, 6, 900, back[0], back[1],
        app="HTTP", category="Web",
    )  # fmt: skip


def lan(ts: int, dst: str, port: int = 80, mac: str = MAC, ip: str = IP) -> Flow:
    return Flow(ip, dst, 40001, port, 6, mac, "00:11:22:33:44:55", ts, ts + 300, 4, 500, 4, 900)


def dns(ts: int, name: str, mac: str = MAC, ip: str = IP) -> DnsQuery:
    return DnsQuery(FlowKey(ip, 33333, GATEWAY, 53, 17, mac), ts, name, "A")


def feed(detector: AnomalyDetector, events: list[Any]) -> list[dict[str, Any]]:
    alerts: list[dict[str, Any]] = []
    for event in events:
        if isinstance(event, Flow):
            alerts += detector.flow_end(event)
        else:
            alerts += detector.app_event(event)
    return alerts


def camera_week(detector: AnomalyDetector, days: int = 7) -> list[dict[str, Any]]:
    """A camera's normal days: a check-in every minute, a clip upload twice a day, NTP."""
    events: list[Any] = []
    for minute in range(days * 24 * 60):
        ts = T0 + minute * 60_000
        if minute % 5 == 0:
            events.append(dns(ts, "devices.hik-connect.com"))
        events.append(out(ts + 100, "52.28.1.10", "devices.hik-connect.com"))
        if minute % 720 == 300:
            events.append(out(ts + 200, "52.29.7.7", "alarm.ezvizlife.com", up=3_000_000))
    return feed(detector, events)


def checks(alerts: list[dict[str, Any]]) -> list[str]:
    return [a["evidence"]["check"] for a in alerts]
