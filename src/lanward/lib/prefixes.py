"""Longest-prefix lookup of IP addresses in a set of networks (IPv4 and IPv6 together).

One dict per (version, prefix length), keyed by the network address as an int: a lookup is one
masked dict probe per prefix length present, longest first, so the most specific entry names
the match. Used by the indicator feeds (listed networks) and the DNS policy (RPZ IP triggers).
"""

from __future__ import annotations

import ipaddress
from typing import Generic, TypeVar

T = TypeVar("T")
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Where homes, their routers and the ISP's hand-over live (private, carrier-grade NAT, loopback,
# link-local, "this network"): never a threat list's remote server, whatever a list says.
LOCAL_RANGES: tuple[Network, ...] = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "::/127",
        "fc00::/7",
        "fe80::/10",
    )
)
MULTICAST_RANGES: tuple[Network, ...] = (
    ipaddress.ip_network("224.0.0.0/3"),
    ipaddress.ip_network("ff00::/8"),
)


def overlaps_any(network: Network, ranges: tuple[Network, ...]) -> bool:
    return any(network.overlaps(r) for r in ranges if r.version == network.version)


class PrefixTable(Generic[T]):
    def __init__(self) -> None:
        self.tables: dict[tuple[int, int], dict[int, tuple[Network, T]]] = {}
        self._order: list[tuple[int, int]] = []

    def __len__(self) -> int:
        return sum(len(t) for t in self.tables.values())

    def __bool__(self) -> bool:
        return bool(self.tables)

    def add(self, network: Network, value: T, replace: bool = False) -> None:
        """Adds the network; an existing entry for it stays unless `replace`."""
        key = (network.version, network.prefixlen)
        table = self.tables.get(key)
        if table is None:
            table = self.tables[key] = {}
            self._order = sorted(self.tables, key=lambda k: -k[1])
        address = int(network.network_address)
        if replace or address not in table:
            table[address] = (network, value)

    def get(self, network: Network) -> T | None:
        """The value stored for exactly this network."""
        found = self.tables.get((network.version, network.prefixlen), {}).get(
            int(network.network_address)
        )
        return None if found is None else found[1]

    def longest(self, address: str) -> tuple[Network, T] | None:
        """The most specific network holding `address` and its value; None when none does or
        `address` is not an IP address."""
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return None
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped  # ::ffff:10.0.0.2 from a dual-stack socket is 10.0.0.2
        bits, value = ip.max_prefixlen, int(ip)
        for version, length in self._order:
            if version != ip.version:
                continue
            mask = ((1 << length) - 1) << (bits - length) if length else 0
            found = self.tables[(version, length)].get(value & mask)
            if found is not None:
                return found
        return None

    def items(self) -> list[tuple[Network, T]]:
        return [entry for table in self.tables.values() for entry in table.values()]
