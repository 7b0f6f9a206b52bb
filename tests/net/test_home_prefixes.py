"""A home's own public prefixes count as home: the networks on the LAN interface (a global IPv6
prefix from the ISP, a public IPv4 range) join the private-range defaults, read from a real
interface in a namespace the test creates."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest

from tests.net import netns

pytestmark = [pytest.mark.xdist_group("netns")]

PROBE = """
import json, sys, argparse
from lanward.lib.interfaces import interface_macs, interface_networks
from lanward.cli import _home_nets
opts = argparse.Namespace(home_net=sys.argv[2:] or None)
print(json.dumps({
    "networks": [str(n) for n in interface_networks(sys.argv[1])],
    "home": list(_home_nets(opts, sys.argv[1])),
    "macs": list(interface_macs([sys.argv[1], "lo"])),
}))
"""


@pytest.fixture
def lan_ns() -> Iterator[str]:
    reason = netns.unavailable_reason()
    if reason:
        pytest.skip(reason)
    ns = f"lw-pfx-{uuid.uuid4().hex[:8]}"
    netns.ip("netns", "add", ns)
    try:
        run = ["ip", "netns", "exec", ns]
        for argv in (
            ["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=0"],
            ["sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=0"],
            [
                "ip",
                "link",
                "add",
                "lan0",
                "address",
                "02:00:00:77:00:01",
                "type",
                "veth",
                "peer",
                "name",
                "lan0p",
            ],
            ["ip", "link", "set", "lan0p", "up"],
            ["sysctl", "-qw", "net.ipv6.conf.lan0.disable_ipv6=0"],
            ["ip", "addr", "add", "192.168.5.1/24", "dev", "lan0"],
            ["ip", "addr", "add", "100.64.3.1/24", "dev", "lan0"],
            ["ip", "addr", "add", "2001:db8:5:1::1/64", "dev", "lan0", "nodad"],
            ["ip", "addr", "add", "fd05::1/64", "dev", "lan0", "nodad"],
            ["ip", "addr", "add", "2001:db8:99::7/128", "dev", "lan0", "nodad"],
            ["ip", "link", "set", "lan0", "up"],
        ):
            subprocess.run([*run, *argv], check=True, capture_output=True, timeout=30)
        yield ns
    finally:
        netns.ip("netns", "del", ns, check=False)


def probe(ns: str, *args: str) -> dict[str, list[str]]:
    out = subprocess.run(
        ["ip", "netns", "exec", ns, sys.executable, "-c", PROBE, *args],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
        env={"DJANGO_SETTINGS_MODULE": "lanward.settings", "PATH": "/usr/bin:/bin"},
    )
    return json.loads(out.stdout)


def test_the_lan_interface_adds_its_public_prefixes(lan_ns: str) -> None:
    found = probe(lan_ns, "lan0")
    # Every network on the interface except link-local and the /128 host address.
    assert sorted(found["networks"]) == sorted(
        ["192.168.5.0/24", "100.64.3.0/24", "2001:db8:5:1::/64", "fd05::/64"]
    )
    # Home: the private defaults, plus what they do not already cover.
    home = found["home"]
    assert home[:6] == [
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "169.254.0.0/16",
        "fc00::/7",
        "fe80::/10",
    ]
    assert sorted(home[6:]) == ["100.64.3.0/24", "2001:db8:5:1::/64"]
    # The station's own hardware address, for not judging itself (loopback has none).
    assert found["macs"] == ["02:00:00:77:00:01"]


def test_networks_given_by_the_person_are_taken_as_they_are(lan_ns: str) -> None:
    assert probe(lan_ns, "lan0", "192.168.5.0/24")["home"] == ["192.168.5.0/24"]


def test_an_unknown_interface_adds_nothing(lan_ns: str) -> None:
    found = probe(lan_ns, "nope0")
    assert found["networks"] == [] and len(found["home"]) == 6
