"""Gateway mode's I/O edge: the checks before start, the neighbor table, the heartbeat.

The checks run against real conditions (a namespace with forwarding off, a user who is not root);
the heartbeat against the real nft in a namespace of the test's own.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lanward.daemons.enforcer import (
    Gateway,
    GatewayError,
    GatewayOptions,
    addresses_by_mac,
    neighbors,
    preflight,
)
from lanward.enforce import ruleset as rs
from lanward.enforce.policy import Enforcement
from lanward.lib.nftables import DryRunBackend, NftBackend, NftError, ReplaceSet, find_nft
from tests.conftest import REPO
from tests.lib.test_nftables import inside
from tests.net import netns


@pytest.fixture
def namespace() -> Iterator[str]:
    """A namespace with two interfaces, lan0 and wan0 (a veth pair), forwarding off."""
    reason = netns.unavailable_reason()
    if reason:
        pytest.skip(reason)
    name = f"lw-enf-{uuid.uuid4().hex[:8]}"
    netns.ip("netns", "add", name)
    try:
        netns.ip("-n", name, "link", "add", "lan0", "type", "veth", "peer", "name", "wan0")
        for link in ("lan0", "wan0"):
            netns.ip("-n", name, "link", "set", link, "up")
        yield name
    finally:
        netns.ip("netns", "del", name, check=False)


def test_interfaces_are_checked_first() -> None:
    with pytest.raises(GatewayError, match="needs a LAN and a WAN interface"):
        preflight("", "eth0")
    with pytest.raises(GatewayError, match="both 'lo'"):
        preflight("lo", "lo")
    with pytest.raises(GatewayError, match=r"no network interface named 'nope0' \(the WAN") as e:
        preflight("lo", "nope0")
    assert "Available: " in str(e.value) and "lo" in str(e.value)


def test_missing_nft_and_forwarding_off_are_reported(namespace: str) -> None:
    def check(nft: str | None = None) -> str:
        try:
            preflight("lan0", "wan0", nft)
        except GatewayError as exc:
            return str(exc)
        return ""

    assert "apt-get install nftables" in inside(namespace, lambda: check(""))
    # A new namespace routes nothing until told to (net.ipv4.ip_forward is per namespace).
    assert "sysctl -w net.ipv4.ip_forward=1" in inside(namespace, check)
    netns.ip("netns", "exec", namespace, "sysctl", "-qw", "net.ipv4.ip_forward=1")
    assert inside(namespace, check) == ""


def test_ipv6_not_routed_is_pointed_out(namespace: str) -> None:
    from lanward.daemons.enforcer import ipv6_note

    netns.ip("netns", "exec", namespace, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=0")
    netns.ip("netns", "exec", namespace, "sysctl", "-qw", "net.ipv6.conf.all.forwarding=0")
    assert "sysctl -w net.ipv6.conf.all.forwarding=1" in inside(namespace, ipv6_note)
    netns.ip("netns", "exec", namespace, "sysctl", "-qw", "net.ipv6.conf.all.forwarding=1")
    assert inside(namespace, ipv6_note) == ""
    # With IPv6 off altogether there is nothing to route: nothing to say.
    netns.ip("netns", "exec", namespace, "sysctl", "-qw", "net.ipv6.conf.all.forwarding=0")
    netns.ip("netns", "exec", namespace, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
    assert inside(namespace, ipv6_note) == ""


def test_the_cli_says_what_to_do_and_exits_2(namespace: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["LANWARD_DATA_DIR"] = str(tmp_path)

    def station(*args: str, user: list[str] | None = None) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "lanward.cli", "station", "run", "--no-dns", *args]
        return subprocess.run(
            ["ip", "netns", "exec", namespace, *(user or []), *argv],
            capture_output=True,
            text=True,
            env=env,
            cwd=REPO,
            timeout=60,
            check=False,
        )

    off = station("--mode", "gateway", "--lan", "lan0", "--wan", "wan0")
    assert off.returncode == 2, off.stderr
    assert "IP forwarding is off" in off.stderr and "Traceback" not in off.stderr
    missing = station("--mode", "gateway", "--lan", "lan0", "--wan", "wan1")
    assert "no network interface named 'wan1' (the WAN interface)" in missing.stderr
    mixed = station("--lan", "lan0")
    assert "--lan and --wan are for gateway mode" in mixed.stderr
    env["LANWARD_INTERFACE"] = ""
    nothing = station()
    assert "give the interface to watch: --interface IF" in nothing.stderr
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    with tempfile.TemporaryDirectory() as data_dir:  # under /tmp: one nobody can reach
        os.chmod(data_dir, 0o777)
        env["LANWARD_DATA_DIR"] = data_dir
        not_root = station("--mode", "gateway", "--lan", "lan0", "--wan", "wan0", user=nobody)
    assert not_root.returncode == 2, not_root.stderr
    assert "run the station as root" in not_root.stderr
    for result in (missing, mixed, nothing, not_root):
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr


def test_addresses_come_from_the_neighbor_table_before_what_the_engine_saw(namespace: str) -> None:
    for ip, mac in (("192.168.77.10", "02:00:00:00:00:10"), ("192.168.77.11", "02:00:00:00:00:11")):
        netns.ip(
            "-n", namespace, "neigh", "add", ip, "lladdr", mac, "dev", "lan0", "nud", "permanent"
        )
    table = inside(namespace, lambda: neighbors("lan0"))
    assert table == {"192.168.77.10": "02:00:00:00:00:10", "192.168.77.11": "02:00:00:00:00:11"}
    seen = [("02:00:00:00:00:99", "192.168.77.10"), ("02:00:00:00:00:99", "192.168.77.50")]
    assert addresses_by_mac(table, seen) == {
        "02:00:00:00:00:10": ["192.168.77.10"],
        "02:00:00:00:00:11": ["192.168.77.11"],
        "02:00:00:00:00:99": ["192.168.77.50"],
    }


def gateway(backend: Any, heartbeat: float = 10) -> Gateway:
    return Gateway(
        GatewayOptions("lan0", "wan0", heartbeat_seconds=heartbeat),
        Enforcement(enforcing=True),
        backend,
    )


def test_every_beat_refreshes_the_heartbeat_with_the_changes_in_one_batch() -> None:
    dry = DryRunBackend()
    gw = gateway(dry)
    gw.start(0)
    assert "iifname @alive jump drops_forward" in dry.installed
    assert '"lan0"' in dry.installed and '"wan0"' in dry.installed
    gw.enforcement.set_policy({"router_approved": {"02:00:00:00:00:10": 0}}, {}, 0)
    gw.beat(1000)
    last = dry.batches[-1]
    assert last[0] == ReplaceSet(rs.HEARTBEAT, {("lan0",): 10_000, ("wan0",): 10_000})
    assert [op.name for op in last[1:]] == [rs.ROUTER_MANAGERS]
    gw.beat(2000)
    assert [op.name for op in dry.batches[-1]] == [rs.HEARTBEAT]  # nothing else changed
    assert gw.beat_seconds == pytest.approx(10 / 3)


class LosesTheTable(DryRunBackend):
    """Someone ran `nft flush ruleset` once: the next batch finds no table."""

    lost = True

    def apply(self, ops: Any) -> None:
        if self.lost:
            self.lost = False
            raise NftError("nft refused the change: Error: No such file or directory")
        super().apply(ops)


def test_a_table_deleted_under_the_station_is_put_back() -> None:
    backend = LosesTheTable()
    gw = gateway(backend)
    gw.enforcement.set_policy({"paused": {"02:00:00:00:00:10": 0}}, {}, 0)
    gw.beat(0)
    assert backend.installed
    assert backend.sets[rs.PAUSED] == {("02:00:00:00:00:10",): None}


def test_the_heartbeat_runs_out_on_its_own(namespace: str) -> None:
    """What fails open after kill -9: with no one refreshing it, the alive set empties."""
    if not find_nft():
        pytest.skip("nft is not installed (apt-get install nftables)")
    nft = NftBackend(nft=find_nft())
    gw = gateway(nft, heartbeat=1)
    inside(namespace, lambda: gw.start(0))
    assert sorted(inside(namespace, lambda: nft.list_set(rs.HEARTBEAT))) == [("lan0",), ("wan0",)]
    time.sleep(1.3)
    assert inside(namespace, lambda: nft.list_set(rs.HEARTBEAT)) == []
    assert inside(namespace, nft.table_exists)  # the table stays; its drops no longer apply
    inside(namespace, gw.stop)
    assert not inside(namespace, nft.table_exists)
