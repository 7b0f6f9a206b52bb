"""ARP spoofing: event scripts in, alerts out."""

from __future__ import annotations

from lanward.engine.detect.arp_spoof import ArpSpoofing
from lanward.engine.events import ArpSeen
from lanward.engine.pipeline import Engine, EngineConfig

from .flows import HOME_MAC, OTHER_MAC, ROUTER_MAC

T0 = 1_700_000_000_000
ATTACKER = "de:ad:be:ef:00:01"


def reply(mac: str, ip: str, at: int, eth: str = "", target: str = "192.168.1.10") -> ArpSeen:
    return ArpSeen(at, 2, eth or mac, mac, ip, HOME_MAC, target)


def detector() -> ArpSpoofing:
    d = ArpSpoofing()
    d.configure(EngineConfig(gateways=("192.168.1.1",)))
    return d


def test_a_second_mac_claiming_the_gateway_is_high() -> None:
    d = detector()
    assert d.arp(reply(ROUTER_MAC, "192.168.1.1", T0)) == []
    [a] = d.arp(reply(ATTACKER, "192.168.1.1", T0 + 1000))
    assert (a["kind"], a["detector"], a["severity"], a["mac"]) == (
        "internal_attack",
        "arp_spoofing",
        "high",
        ATTACKER,
    )
    assert a["evidence"]["known_mac"] == ROUTER_MAC
    assert a["evidence"]["gateway"] is True
    assert "the router" in a["summary"]
    # The flood that follows is one alert per window, counted.
    for i in range(50):
        assert d.arp(reply(ATTACKER, "192.168.1.1", T0 + 2000 + i)) == []
    assert d.arp(reply(ROUTER_MAC, "192.168.1.1", T0 + 300_000)) == []  # the router still here
    [again] = d.arp(reply(ATTACKER, "192.168.1.1", T0 + 601_000))
    assert again["evidence"]["packets"] == 52


def test_impersonating_another_device_names_it() -> None:
    d = detector()
    d.arp(reply(OTHER_MAC, "192.168.1.20", T0))
    [a] = d.arp(reply(ATTACKER, "192.168.1.20", T0 + 5))
    assert a["evidence"]["gateway"] is False and OTHER_MAC in a["summary"]


def test_the_owner_answering_again_is_normal() -> None:
    d = detector()
    for i in range(10):
        assert d.arp(reply(ROUTER_MAC, "192.168.1.1", T0 + i * 1000)) == []


def test_an_address_handed_over_after_the_owner_left_is_not_spoofing() -> None:
    d = detector()
    d.arp(reply(OTHER_MAC, "192.168.1.20", T0))
    # Eleven minutes later another device got the lease.
    assert d.arp(reply(HOME_MAC, "192.168.1.20", T0 + 11 * 60_000)) == []
    # ... and the old one coming back now is the claimant.
    [a] = d.arp(reply(OTHER_MAC, "192.168.1.20", T0 + 11 * 60_000 + 10))
    assert a["evidence"]["known_mac"] == HOME_MAC


def test_probes_and_broadcast_senders_are_ignored() -> None:
    d = detector()
    d.arp(reply(ROUTER_MAC, "192.168.1.1", T0))
    assert d.arp(reply(ATTACKER, "0.0.0.0", T0 + 1)) == []
    assert d.arp(reply("ff:ff:ff:ff:ff:ff", "192.168.1.1", T0 + 1)) == []


def test_forged_ethernet_source_is_in_the_evidence() -> None:
    d = detector()
    d.arp(reply(ROUTER_MAC, "192.168.1.1", T0))
    [a] = d.arp(reply(ATTACKER, "192.168.1.1", T0 + 1, eth="02:00:00:00:00:09"))
    assert a["evidence"]["forged_ethernet_source"] is True


def test_memory_is_bounded() -> None:
    d = ArpSpoofing(max_addresses=100)
    for i in range(1000):
        d.arp(reply(f"02:00:00:00:{i // 256:02x}:{i % 256:02x}", f"10.0.{i // 256}.{i % 256}", T0))
    assert len(d.owners) == 100


def test_engine_routes_arp_to_the_detector() -> None:
    engine = Engine(EngineConfig(gateways=("192.168.1.1",)))
    engine.arp(reply(ROUTER_MAC, "192.168.1.1", T0))
    engine.arp(reply(ATTACKER, "192.168.1.1", T0 + 1))
    assert [a["detector"] for a in engine.alerts] == ["arp_spoofing"]
