"""The gateway's policy: policy, feeds and alerts in; set contents and actions out (dry run).

Alerts come from the real detectors fed with flows, so the mapping is checked against the
alerts the engine really raises; the backend is the `DryRunBackend`, whose sets show what the
gateway would hold.
"""

from __future__ import annotations

from typing import Any

import pytest

from lanward.enforce import ruleset as rs
from lanward.enforce.policy import Enforcement, address
from lanward.engine.detect.alerts import alert
from lanward.engine.detect.feeds import parse_feed
from lanward.engine.pipeline import Engine, EngineConfig
from lanward.lib.nftables import DryRunBackend, ReplaceSet
from tests.engine.detect.flows import flow

T = 1_700_000_000_000
PC, TV = "02:00:00:00:00:10", "02:00:00:00:00:20"
PC_IP, TV_IP = "192.168.77.10", "192.168.77.20"
ROUTER_IP, ROUTER_MAC = "192.168.77.1", "02:00:00:00:00:01"
ATTACKER = "203.0.113.9"
FEED = (
    "198.51.100.66\n198.51.100.128/25\n2001:db8:bad::/48\n10.0.0.0/8\n0.0.0.0/1\nc2.bad.example\n"
)
NEIGHBORS = {PC: [PC_IP], TV: [TV_IP, "2001:db8:1::20"]}


def sets_after(enf: Enforcement, now: int = T) -> dict[str, dict[Any, int | None]]:
    dry = DryRunBackend()
    changes = enf.changes(now)
    dry.apply(changes)
    enf.applied(changes, now)
    return dry.sets


def engine_alerts(*flows: Any, **config: Any) -> list[dict[str, Any]]:
    engine = Engine(
        EngineConfig(
            home_nets=("192.168.77.0/24",),
            gateways=(ROUTER_IP,),
            indicators=parse_feed(FEED, "botnet-c2.txt"),
            **config,
        )
    )
    for f in flows:
        engine.flow(f)
    return engine.alerts


def inbound_rdp(dst_port: int = 3389, app: str = "RDP") -> Any:
    return flow(
        src_ip=ATTACKER,
        src_mac=ROUTER_MAC,
        dst_ip=PC_IP,
        dst_mac=PC,
        src_port=51000,
        dst_port=dst_port,
        app=app,
        category="RemoteAccess",
        first_seen_ms=T,
        last_seen_ms=T + 5000,
    )


def gateway() -> Enforcement:
    return Enforcement(enforcing=True, home_nets=("192.168.77.0/24",), block_seconds=600)


def test_allowances_approvals_and_pauses_become_set_elements() -> None:
    enf = gateway()
    policy = {
        "remote_allowed": {
            PC.upper(): {"RDP": 0, "VNC": T + 60_000, "SSH": T - 1},  # SSH ran out
            TV: {"*": 0},
            "not-a-mac": {"RDP": 0},
            "02:00:00:00:00:99": {"RDP": 0},  # no address known: nothing to allow
        },
        "router_approved": {PC: 0, TV: T + 30_000, "02:00:00:00:00:98": T - 5},
        "paused": {"02:00:00:00:00:77": 0},
    }
    enf.set_policy(policy, NEIGHBORS, T)
    sets = sets_after(enf)
    allowed4 = sets[rs.REMOTE_ALLOWED[0]]
    assert allowed4[(PC_IP, 3389)] is None
    assert allowed4[(PC_IP, 5900)] == allowed4[(PC_IP, 5901)] == 60_000  # ms left
    assert (PC_IP, 22) not in allowed4
    assert {port for ip, port in allowed4 if ip == TV_IP} == set(rs.ALL_REMOTE_PORTS)
    assert {ip for ip, _ in sets[rs.REMOTE_ALLOWED[1]]} == {"2001:db8:1::20"}
    assert sets[rs.ROUTER_MANAGERS] == {(PC,): None, (TV,): 30_000}
    assert sets[rs.PAUSED] == {("02:00:00:00:00:77",): None}


def test_feed_addresses_are_blocked_from_the_start_but_never_home_or_half_the_internet() -> None:
    enf = gateway()
    feed = parse_feed(FEED, "botnet-c2.txt")
    enf.set_indicators(feed)
    sets = sets_after(enf)
    assert set(sets[rs.FEED[0]]) == {("198.51.100.66",), ("198.51.100.128/25",)}
    assert set(sets[rs.FEED[1]]) == {("2001:db8:bad::/48",)}
    assert sorted(enf.feed_skipped) == ["0.0.0.0/1", "10.0.0.0/8"]
    # Overlapping entries are merged (an interval set refuses overlaps).
    enf.set_indicators(parse_feed("198.51.100.130\n198.51.100.128/25\n", "x.txt"))
    assert set(sets_after(enf)[rs.FEED[0]]) == {("198.51.100.128/25",)}


def test_inbound_remote_access_not_allowed_blocks_the_pair_until_allowed() -> None:
    enf = gateway()
    enf.set_policy({}, NEIGHBORS, T)
    [found] = [a for a in engine_alerts(inbound_rdp(4000, "RDP")) if a["severity"] == "high"]
    assert enf.review(found, T) == f"blocked {ATTACKER} from reaching {PC_IP} for 10 min"
    assert found["action"].startswith("blocked")
    assert sets_after(enf)[rs.BLOCKED_PAIR[0]] == {(PC_IP, ATTACKER): 600_000}
    # Reviewing again changes nothing; nothing new to send either.
    assert enf.review(found, T + 5) == found["action"]
    assert enf.changes(T) == []
    # The owner allows RDP on the PC: the block goes at the next policy refresh.
    enf.set_policy({"remote_allowed": {PC: {"RDP": 0}}}, NEIGHBORS, T + 1000)
    assert sets_after(enf, T + 1000)[rs.BLOCKED_PAIR[0]] == {}


def test_an_allowed_session_is_not_blocked() -> None:
    enf = gateway()
    enf.set_policy({"remote_allowed": {PC: {"RDP": 0}}}, NEIGHBORS, T)
    [found] = engine_alerts(inbound_rdp(), remote_access_allowed={PC: ("RDP",)})
    assert found["severity"] == "info"
    assert enf.review(found, T) == "monitor only"
    assert rs.BLOCKED_PAIR[0] not in sets_after(enf)


def test_a_listed_address_is_blocked_from_the_first_packet() -> None:
    enf = gateway()
    enf.set_indicators(parse_feed(FEED, "botnet-c2.txt"))
    [found] = engine_alerts(flow(src_ip=PC_IP, src_mac=PC, dst_ip="198.51.100.66", dst_port=443))
    assert found["detector"] == "indicator_match" and found["severity"] == "high"
    assert enf.review(found, T) == (
        "blocked 198.51.100.66 from the first packet: it is on the feed 'botnet-c2.txt'"
    )
    assert rs.BLOCKED_REMOTE[0] not in sets_after(enf)  # the feed set already holds it


def test_a_listed_server_name_blocks_the_pair_and_a_lookup_is_left_to_dns() -> None:
    enf = gateway()
    [by_name] = engine_alerts(
        flow(src_ip=PC_IP, src_mac=PC, dst_ip="203.0.113.50", dst_port=443, sni="c2.bad.example")
    )
    assert enf.review(by_name, T) == f"blocked {PC_IP} from reaching 203.0.113.50 for 10 min"
    [lookup] = engine_alerts(
        flow(
            src_ip=PC_IP,
            src_mac=PC,
            dst_ip="203.0.113.53",
            dst_port=53,
            protocol=17,
            app="DNS",
            sni="c2.bad.example",
        )
    )
    assert enf.review(lookup, T) == "monitor only"
    assert sets_after(enf)[rs.BLOCKED_PAIR[0]] == {(PC_IP, "203.0.113.50"): 600_000}


def test_router_sign_in_blocks_the_device_from_the_admin_ports_until_approved() -> None:
    enf = gateway()
    [found] = engine_alerts(flow(src_ip=TV_IP, src_mac=TV, dst_ip=ROUTER_IP, dst_port=80))
    assert found["detector"] == "router_access"
    assert enf.review(found, T) == f"blocked {TV} from the router's admin ports for 10 min"
    assert sets_after(enf)[rs.ADMIN_BLOCKED] == {(TV,): 600_000}
    enf.set_policy({"router_approved": {TV: 0}}, NEIGHBORS, T)
    assert sets_after(enf)[rs.ADMIN_BLOCKED] == {}
    # A port the gateway does not guard is only reported.
    narrow = Enforcement(enforcing=True, admin_ports=(22,))
    [other] = engine_alerts(flow(src_ip=TV_IP, src_mac=TV, dst_ip=ROUTER_IP, dst_port=8080))
    assert narrow.review(other, T) == "monitor only"


@pytest.mark.parametrize(
    ("detector", "src", "dst", "blocked"),
    [
        ("dangerous_file", PC_IP, "203.0.113.7", "203.0.113.7"),
        ("dangerous_file", "203.0.113.7", PC_IP, "203.0.113.7"),
        ("brute_force_inbound", ATTACKER, f"{PC_IP}:22", ATTACKER),
        ("scan_inbound", ATTACKER, PC_IP, ATTACKER),
        ("scan", PC_IP, "192.168.77.30", ""),  # inside the home: reported only
        ("worm_spread", PC_IP, "*:445", ""),
    ],
)
def test_other_alerts_block_the_remote_address(
    detector: str, src: str, dst: str, blocked: str
) -> None:
    enf = gateway()
    found = alert(detector, "high", T, src, dst, PC, "summary")
    action = enf.review(found, T)
    if blocked:
        assert action == f"blocked {blocked} for 10 min"
        assert sets_after(enf)[rs.BLOCKED_REMOTE[0]] == {(blocked,): 600_000}
    else:
        assert action == "monitor only"


def test_monitor_mode_says_what_gateway_mode_would_have_done() -> None:
    enf = Enforcement(enforcing=False, home_nets=("192.168.77.0/24",))
    [found] = [a for a in engine_alerts(inbound_rdp()) if a["severity"] == "high"]
    assert enf.review(found, T) == (
        f"monitor only: gateway mode would have blocked {ATTACKER} from reaching {PC_IP} for 60 min"
    )
    # The dry-run backend holds what the gateway would hold.
    assert sets_after(enf)[rs.BLOCKED_PAIR[0]] == {(PC_IP, ATTACKER): 3_600_000}


def test_blocks_expire_and_only_changed_sets_are_sent() -> None:
    enf = gateway()
    enf.set_indicators(parse_feed(FEED, "botnet-c2.txt"))
    enf.review(alert("scan_inbound", "medium", T, ATTACKER, PC_IP, PC, "s"), T)
    first = {op.name for op in enf.changes(T)}
    assert {rs.FEED[0], rs.BLOCKED_REMOTE[0]} <= first
    enf.applied(enf.changes(T), T)
    assert enf.changes(T + 1000) == []
    later = enf.changes(T + 600_001)
    assert [(op.name, dict(op.elements)) for op in later] == [(rs.BLOCKED_REMOTE[0], {})]


def test_dropped_inbound_attempts_become_one_alert_per_attempt() -> None:
    enf = gateway()
    macs = {PC_IP: PC}
    drop = (ATTACKER, PC_IP, "3389")
    [found] = enf.dropped_inbound([drop], macs, T)
    assert (found["detector"], found["severity"], found["mac"], found["app"]) == (
        "remote_access_inbound",
        "high",
        PC,
        "RDP",
    )
    assert found["action"] == f"blocked {ATTACKER} from opening RDP (port 3389) on {PC_IP}"
    assert found["evidence"]["dst_port"] == 3389 and found["evidence"]["allowed"] is False
    # Reviewing it does not block the pair: the allowance alone should let it in.
    assert enf.review(found, T) == found["action"]
    assert rs.BLOCKED_PAIR[0] not in enf.contents(T)
    assert enf.dropped_inbound([drop], macs, T + 1000) == []
    vnc = (ATTACKER, PC_IP, "5901")
    assert [a["app"] for a in enf.dropped_inbound([drop, vnc], macs, T + 2000)] == ["VNC"]
    # The drop log forgot the RDP attempt (its timeout): the next one is new again.
    assert enf.dropped_inbound([vnc], macs, T + 3000) == []
    assert len(enf.dropped_inbound([vnc, drop], macs, T + 4000)) == 1


def test_unsafe_values_never_reach_nft() -> None:
    enf = gateway()
    enf.set_policy({"router_approved": {'aa"; flush ruleset': 0}}, {}, T)
    enf.set_router_addresses(["192.168.1.254", "not an address", "fe80::1"])
    sets = sets_after(enf)
    assert sets.get(rs.ROUTER_MANAGERS, {}) == {}
    assert sets[rs.ROUTER_ADDRS[0]] == {("192.168.1.254",): None}
    with pytest.raises(ValueError, match="not an address"):
        DryRunBackend().apply([ReplaceSet(rs.PAUSED, {('x" drop',): None})])


def test_alert_addresses_are_read_with_or_without_a_port() -> None:
    assert address("1.2.3.4:80") == "1.2.3.4"
    assert address("[2001:db8::1]:22") == "2001:db8::1"
    assert address("2001:db8::1") == "2001:db8::1"
    assert address("*:445") == address("") == ""
