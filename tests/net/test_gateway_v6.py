"""Gateway mode over IPv6: the topology of test_gateway.py made dual-stack, and real IPv6
connections through `lanward station run --mode gateway` blocked by the `6` sets of the table.

    lw-gwl-<id> pc        eth0 192.168.77.10  fd77::10 ── lan0 fd77::1          lw-gwr-<id>
                                                          wan0 2001:db8:51::1    the station,
    lw-gww-<id> internet  eth0 198.51.100.2   2001:db8:51::2                     forwarding on
                               198.51.100.66  2001:db8:51::66 (on the indicator feed)

The LAN is a ULA prefix, given to the station as a home network; the WAN side is the
documentation prefix, which Python's ipaddress calls private, so only the explicit home networks
make it the internet. Every check is a TCP connection from one namespace to another.
"""

from __future__ import annotations

import re
import socket
import sqlite3
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests.net import netns
from tests.net import test_gateway as gw
from tests.net.test_gateway import (
    ADMIN,
    HTTPS,
    NOT_REMOTE,
    PC_MAC,
    RDP,
    VNC,
    Net,
    Station,
    _answer,
    eventually,
    fails_open,
)

# The IPv4 topology and the station of test_gateway.py; the fixtures below add IPv6 to them.
net = gw.net
station = gw.station

pytestmark = [pytest.mark.xdist_group("netns")]

LAN6 = "fd77::/64"
PC6, ROUTER_LAN6 = "fd77::10", "fd77::1"
ROUTER_WAN6, INTERNET6, LISTED6 = "2001:db8:51::1", "2001:db8:51::2", "2001:db8:51::66"


def _sysctl(n: Net, ns: str, *settings: str) -> None:
    n.lan.exec(ns, ["sysctl", "-qw", *settings])


def _serve6(n: Net, ns: str, port: int) -> None:
    """An IPv6-only listener beside the IPv4 one `Net.serve` opened on the same port."""
    server = netns._in_namespace(
        ns, lambda: socket.create_server(("::", port), family=socket.AF_INET6)
    )
    n.servers.append(server)
    threading.Thread(target=_answer, args=(server,), daemon=True).start()


@pytest.fixture
def net6(net: Net) -> Net:
    """`net` with IPv6 on: the namespaces were made with it off (netns.Lan._add_ns)."""
    links = {
        net.router: ("lo", "lan0", "wan0"),
        net.pc: ("lo", "eth0"),
        net.internet: ("lo", "eth0"),
    }
    for ns, names in links.items():
        # No duplicate address detection: the addresses work at once. No router adverts taken.
        confs = ("all", "default", *names)
        _sysctl(net, ns, *(f"net.ipv6.conf.{c}.accept_dad=0" for c in confs))
        _sysctl(net, ns, *(f"net.ipv6.conf.{c}.accept_ra=0" for c in confs))
        _sysctl(net, ns, *(f"net.ipv6.conf.{c}.disable_ipv6=0" for c in confs))
    for ns, link, addresses in (
        (net.router, "lan0", [f"{ROUTER_LAN6}/64"]),
        (net.router, "wan0", [f"{ROUTER_WAN6}/64"]),
        (net.pc, "eth0", [f"{PC6}/64"]),
        (net.internet, "eth0", [f"{INTERNET6}/64"]),
    ):
        for address in addresses:
            netns.ip("-n", ns, "addr", "add", address, "dev", link, "nodad")
    # The listed address is deprecated (preferred_lft 0): it still answers, but the internet
    # host's own connections come from INTERNET6, as they come from the primary address in v4.
    netns.ip(
        "-n", net.internet, "addr", "add", f"{LISTED6}/64", "dev", "eth0", "nodad",
        "preferred_lft", "0",
    )  # fmt: skip
    netns.ip("-n", net.pc, "-6", "route", "add", "default", "via", ROUTER_LAN6)
    netns.ip("-n", net.internet, "-6", "route", "add", "default", "via", ROUTER_WAN6)
    _sysctl(net, net.router, "net.ipv6.conf.all.forwarding=1")
    for port in (RDP, VNC, NOT_REMOTE):
        _serve6(net, net.pc, port)
    _serve6(net, net.router, ADMIN)
    _serve6(net, net.internet, HTTPS)
    return net


@pytest.fixture
def station6(net6: Net, station: Station) -> Iterator[Station]:
    """The station of test_gateway.py, told the IPv6 LAN is home and given a listed v6 address."""
    station.home_nets.append(LAN6)
    station.feed.write_text(station.feed.read_text() + f"{LISTED6}\n")
    yield station


def _alerts(station: Station) -> list[dict[str, Any]]:
    with sqlite3.connect(station.data / "lanward.sqlite3", timeout=10) as db:
        db.row_factory = sqlite3.Row
        rows = db.execute(
            "SELECT kind, detector, severity, src, dst, app, action FROM threats_alert"
        )
        return [dict(r) for r in rows]


def _set_block(ruleset: str, name: str) -> str:
    """The text of `set NAME { ... }` in `nft list ruleset` output ('' when there is none)."""
    found = re.search(rf"^\s*set {name} {{\n(.*?)^\s*}}", ruleset, re.M | re.S)
    return found.group(1) if found else ""


def _set_holds(n: Net, name: str, element: str) -> bool:
    return element in _set_block(n.nft("list", "ruleset"), name)


def test_gateway_blocks_ipv6_allows_and_fails_open(net6: Net, station6: Station) -> None:
    net, station = net6, station6
    pc, internet = net.pc, net.internet
    log = lambda: station.log  # noqa: E731
    # Before the station: everything passes over IPv6 (and the router learns the pc's v6 MAC).
    for port in (RDP, VNC, NOT_REMOTE):
        assert net.reach(internet, PC6, port), port
    assert net.reach(pc, LISTED6, HTTPS)
    assert net.reach(pc, INTERNET6, HTTPS)
    assert net.reach(pc, ROUTER_LAN6, ADMIN)

    station.start()
    ruleset = net.nft("list", "ruleset")
    assert LISTED6 in _set_block(ruleset, "feed_remote6"), ruleset
    assert LISTED6 not in _set_block(ruleset, "feed_remote4"), ruleset
    assert "elements" not in _set_block(ruleset, "remote_allowed6"), ruleset

    # 1. Inbound RDP over IPv6 from the internet is dropped and alerted; a new try fails too.
    assert not net.reach(internet, PC6, RDP), f"RDP over IPv6 still open\n{station.log}"
    assert not net.reach(internet, PC6, VNC)
    assert net.reach(internet, PC6, NOT_REMOTE)  # not remote control: passes

    def dropped_rdp() -> list[dict[str, Any]]:
        return [
            a
            for a in _alerts(station)
            if a["detector"] == "remote_access_inbound" and a["app"] == "RDP"
        ]

    [rdp] = eventually(dropped_rdp, 10, "an alert for the dropped IPv6 RDP attempt", log)
    assert (rdp["kind"], rdp["severity"], rdp["src"], rdp["dst"]) == (
        "remote_access",
        "high",
        INTERNET6,
        PC6,
    )
    assert rdp["action"] == f"blocked {INTERNET6} from opening RDP (port {RDP}) on {PC6}"
    assert _set_holds(net, "dropped_inbound6", f"{INTERNET6} . {PC6} . {RDP}")
    assert not net.reach(internet, PC6, RDP), "RDP over IPv6 opened after the alert"

    # 2. The listed IPv6 address is blocked from the first packet; the other one is not.
    assert not net.reach(pc, LISTED6, HTTPS), f"the listed v6 address is reachable\n{station.log}"
    assert net.reach(pc, INTERNET6, HTTPS)
    # The router's admin page over IPv6 is closed to a device nobody approved.
    assert not net.reach(pc, ROUTER_LAN6, ADMIN)

    # 3. The owner allows RDP on the pc (its IPv6 address gets the allowance too) and approves
    # it to manage the router.
    station.django(
        f"""
from django.utils import timezone
from lanward.inventory.models import Device
from lanward.threats.models import RemoteAccessAllowance, RouterApproval
now = timezone.now()
pc, _ = Device.objects.get_or_create(mac={PC_MAC!r}, defaults={{"first_seen": now, "last_seen": now}})
RemoteAccessAllowance.objects.create(device=pc, app="RDP")
RouterApproval.objects.create(device=pc)
"""
    )
    eventually(lambda: net.reach(internet, PC6, RDP), 10, "RDP over IPv6 allowed", log)
    eventually(lambda: net.reach(pc, ROUTER_LAN6, ADMIN), 10, "admin over IPv6 approved", log)
    assert _set_holds(net, "remote_allowed6", f"{PC6} . {RDP}"), net.nft("list", "ruleset")
    assert not net.reach(internet, PC6, VNC)  # allowed was RDP, not every program

    # The blocked attempt to the listed v6 address becomes an alert once nfstream ends the flow.
    def feed_alert() -> list[dict[str, Any]]:
        return [a for a in _alerts(station) if a["detector"] == "indicator_match"]

    [listed] = eventually(feed_alert, 30, "the IPv6 indicator alert", log)
    assert (listed["severity"], listed["src"], listed["dst"]) == ("high", PC6, LISTED6)
    assert listed["action"] == (
        f"blocked {LISTED6} from the first packet: it is on the feed 'botnet-c2.txt'"
    )

    # 4. Fail open over IPv6: SIGTERM, started again, kill -9 and the heartbeat.
    fails_open(net, station, PC6, LISTED6)
