"""Router access protection: unapproved devices signing in to the router's admin console."""

from __future__ import annotations

from lanward.engine.detect.router_access import RouterAccess
from lanward.engine.events import Flow
from lanward.engine.pipeline import EngineConfig

T = 1_700_000_000_000
ROUTER = "192.168.1.1"
LAPTOP, PLUG = "02:00:00:00:00:20", "02:00:00:00:00:50"


def to_router(mac: str, port: int, at: int = 0, src: str = "192.168.1.20") -> Flow:
    return Flow(
        src_ip=src,
        dst_ip=ROUTER,
        src_port=50000,
        dst_port=port,
        protocol=6,
        src_mac=mac,
        dst_mac="02:00:00:00:00:01",
        first_seen_ms=T + at,
        last_seen_ms=T + at + 1000,
        src2dst_packets=8,
        src2dst_bytes=900,
        dst2src_packets=7,
        dst2src_bytes=3000,
    )


def detector(**config) -> RouterAccess:
    d = RouterAccess()
    d.configure(EngineConfig(gateways=(ROUTER,), **config))
    return d


def test_an_unapproved_device_opening_the_admin_console_is_alerted_once():
    d = detector()
    alerts = d.flow_end(to_router(PLUG, 80)) + d.flow_end(to_router(PLUG, 80, at=60_000))
    assert [(a["detector"], a["severity"], a["mac"]) for a in alerts] == [
        ("router_access", "medium", PLUG)
    ]
    assert "not approved" in alerts[0]["summary"]


def test_approved_devices_pass_for_good_or_until_their_time():
    d = detector(router_approved={LAPTOP: 0, PLUG: T + 3_600_000})
    assert d.flow_end(to_router(LAPTOP, 443)) == []
    assert d.flow_end(to_router(PLUG, 22, at=1000)) == []
    assert [a["detector"] for a in d.flow_end(to_router(PLUG, 22, at=3_700_000))] == [
        "router_access"
    ]


def test_other_ports_and_other_hosts_are_not_router_access():
    import dataclasses

    d = detector()
    assert d.flow_end(to_router(PLUG, 53)) == []
    assert d.flow_end(dataclasses.replace(to_router(PLUG, 80), dst_ip="192.168.1.30")) == []
    unconfigured = RouterAccess()
    unconfigured.configure(EngineConfig())
    assert unconfigured.flow_end(to_router(PLUG, 80)) == []
