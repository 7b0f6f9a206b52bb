"""Gateway mode's I/O: the checks before start, what the router knows of its LAN, and `Gateway`,
which keeps the nftables table in step with `lanward.enforce.policy.Enforcement`.

The station (daemons/station.py) owns the loop: it refreshes the policy, reviews alerts and calls
`Gateway.beat` every `beat_seconds` from a thread of its own, so the heartbeat never waits for the
database. `Gateway.stop` removes the table; if that never runs, the heartbeat runs out and the
gateway passes everything (see lanward.enforce.ruleset).
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import socket
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lanward.enforce import ruleset
from lanward.enforce.policy import Enforcement, normal_mac
from lanward.lib.nftables import Backend, NftError, ReplaceSet, find_nft

log = logging.getLogger("lanward.gateway")


class GatewayError(Exception):
    """Gateway mode cannot start; the message says what to do (one line)."""


@dataclass(frozen=True)
class GatewayOptions:
    lan: str
    wan: str
    heartbeat_seconds: float = 10.0
    admin_ports: tuple[int, ...] = ruleset.DEFAULT_ADMIN_PORTS
    block_seconds: int = 3600
    routers: tuple[str, ...] = ()  # other routers' addresses (LANWARD_GATEWAYS)


def _interface_exists(name: str) -> bool:
    try:
        socket.if_nametoindex(name)
    except OSError:
        return False
    return True


def preflight(lan: str, wan: str, nft: str | None = None) -> None:
    """Fail early, in one line, when gateway mode cannot work here (`nft`: its path)."""
    if not lan or not wan:
        raise GatewayError(
            "gateway mode needs a LAN and a WAN interface: --lan IF --wan IF "
            "(or LANWARD_LAN_INTERFACE and LANWARD_WAN_INTERFACE)"
        )
    if lan == wan:
        raise GatewayError(f"the LAN and the WAN interface are both {lan!r}: give two interfaces")
    for role, name in (("LAN", lan), ("WAN", wan)):
        if not _interface_exists(name):
            available = ", ".join(sorted(n for _, n in socket.if_nameindex()))
            raise GatewayError(
                f"there is no network interface named {name!r} (the {role} interface). "
                f"Available: {available}."
            )
    if os.geteuid() != 0:
        raise GatewayError(
            "gateway mode changes the firewall: run the station as root (or use monitor mode)"
        )
    if not (find_nft() if nft is None else nft):
        raise GatewayError(
            "gateway mode blocks with nftables, and nft is not installed: apt-get install nftables"
        )
    forwarding = Path("/proc/sys/net/ipv4/ip_forward")
    if not forwarding.exists() or forwarding.read_text().strip() != "1":
        raise GatewayError(
            f"IP forwarding is off, so nothing would pass between {lan} and {wan}: turn it on "
            "with sysctl -w net.ipv4.ip_forward=1 (and keep it in /etc/sysctl.d/)"
        )


def ipv6_note() -> str:
    """What to tell the person when IPv6 is not routed ('' when it is, or IPv6 is off here):
    not an error (nothing gets past the station), but devices then have IPv4 only."""
    disabled = Path("/proc/sys/net/ipv6/conf/all/disable_ipv6")
    forwarding = Path("/proc/sys/net/ipv6/conf/all/forwarding")
    try:
        if not forwarding.exists() or disabled.read_text().strip() == "1":
            return ""
        if forwarding.read_text().strip() == "1":
            return ""
    except OSError:
        return ""
    return (
        "IPv6 forwarding is off, so the home's devices reach the internet over IPv4 only; to "
        "route and protect IPv6 too: sysctl -w net.ipv6.conf.all.forwarding=1 (and keep it in "
        "/etc/sysctl.d/)"
    )


def _ip_json(*args: str) -> list[dict[str, Any]]:
    try:
        out = subprocess.run(
            ["ip", "-j", *args], capture_output=True, text=True, timeout=10, check=True
        ).stdout
        data = json.loads(out or "[]")
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        log.warning("ip %s failed: %s", " ".join(args), exc)
        return []
    return data if isinstance(data, list) else []


def interface_addresses(name: str) -> list[str]:
    """The addresses of an interface (link-local IPv6 left out)."""
    out = []
    for link in _ip_json("addr", "show", "dev", name):
        for info in link.get("addr_info", []):
            local = info.get("local", "")
            if local and not ipaddress.ip_address(local).is_link_local:
                out.append(str(local))
    return out


def neighbors(lan: str) -> dict[str, str]:
    """The router's neighbor table on the LAN: address -> MAC (entries that resolved)."""
    out = {}
    for entry in _ip_json("neigh", "show", "dev", lan):
        mac = normal_mac(str(entry.get("lladdr", "")))
        if mac and entry.get("dst") and "FAILED" not in entry.get("state", []):
            out[str(entry["dst"])] = mac
    return out


def addresses_by_mac(
    neighbor_table: Mapping[str, str], seen: Iterable[tuple[str, str]]
) -> dict[str, list[str]]:
    """MAC -> addresses: the neighbor table first, then what the engine saw (MAC, address)."""
    owner = dict(neighbor_table)
    for mac, ip in seen:
        owner.setdefault(ip, mac)
    out: dict[str, list[str]] = {}
    for ip, mac in owner.items():
        out.setdefault(mac, []).append(ip)
    return out


@dataclass
class Gateway:
    options: GatewayOptions
    enforcement: Enforcement
    backend: Backend
    failures: int = field(default=0)

    @property
    def beat_seconds(self) -> float:
        return max(0.2, self.options.heartbeat_seconds / 3)

    @property
    def layout(self) -> ruleset.Layout:
        return ruleset.Layout(self.options.lan, self.options.wan, self.options.admin_ports)

    def heartbeat(self) -> ReplaceSet:
        ms = int(self.options.heartbeat_seconds * 1000)
        return ReplaceSet(ruleset.HEARTBEAT, {(self.options.lan,): ms, (self.options.wan,): ms})

    def start(self, now_ms: int) -> None:
        self.backend.install(ruleset.definition(self.layout))
        self.enforcement.forget_sent()
        self.beat(now_ms)

    def beat(self, now_ms: int) -> list[ReplaceSet]:
        """Refresh the heartbeat and send the set changes, in one transaction."""
        changes = self.enforcement.changes(now_ms)
        try:
            self.backend.apply([self.heartbeat(), *changes])
        except NftError as exc:
            self.failures += 1
            if "no such file" not in str(exc).lower():
                raise
            # The table was deleted under us (nft flush ruleset, a firewall reload): put it back.
            log.warning("the lanward nftables table went missing; installing it again")
            self.start(now_ms)
            return changes
        self.enforcement.applied(changes, now_ms)
        self.failures = 0
        return changes

    def drops(self, macs: Mapping[str, str], now_ms: int) -> list[dict[str, Any]]:
        keys = [k for name in ruleset.DROPPED_INBOUND for k in self.backend.list_set(name)]
        return self.enforcement.dropped_inbound(keys, macs, now_ms)

    def stop(self) -> None:
        self.backend.remove()
