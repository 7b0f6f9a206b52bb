"""The networks configured on a network interface (its addresses with their prefixes).

Used to count a home's own public prefixes as home: an ISP hands most homes a global IPv6
prefix (and some a public IPv4 range) that the private-range defaults do not cover.
"""

from __future__ import annotations

import ipaddress
import socket

import psutil

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def interface_networks(name: str) -> list[Network]:
    """The networks of the addresses on interface `name` ([] when it has none or is unknown).

    Loopback and link-local networks are left out (they are never a home LAN's own prefix), and
    so are host routes (/32, /128) that say nothing about the network around them."""
    found: list[Network] = []
    for addr in psutil.net_if_addrs().get(name, []):
        if addr.family not in (socket.AF_INET, socket.AF_INET6) or not addr.netmask:
            continue
        try:
            # An IPv6 mask comes as an address (ffff:ffff:ffff:ffff::), which ip_network does
            # not take: count its bits.
            bits = bin(int(ipaddress.ip_address(addr.netmask))).count("1")
            net = ipaddress.ip_network(f"{addr.address.split('%', 1)[0]}/{bits}", strict=False)
        except ValueError:
            continue
        if net.is_loopback or net.is_link_local or net.num_addresses == 1:
            continue
        if net not in found:
            found.append(net)
    return found


def with_interface_networks(nets: tuple[str, ...], interfaces: list[str]) -> tuple[str, ...]:
    """`nets` plus each network on `interfaces` that none of `nets` already covers."""
    have = [ipaddress.ip_network(n, strict=False) for n in nets]
    extra: list[str] = []
    for name in interfaces:
        for net in interface_networks(name):
            if not any(net.version == h.version and net.subnet_of(h) for h in have):  # type: ignore[arg-type]
                have.append(net)
                extra.append(str(net))
    return (*nets, *extra)


def interface_macs(names: list[str]) -> tuple[str, ...]:
    """The hardware addresses of these interfaces (none for one without, e.g. a tunnel)."""
    found: list[str] = []
    table = psutil.net_if_addrs()
    for name in names:
        for addr in table.get(name, []):
            if (
                addr.family == psutil.AF_LINK
                and addr.address
                and addr.address != "00:00:00:00:00:00"
            ):
                if addr.address.lower() not in found:
                    found.append(addr.address.lower())
    return tuple(found)
