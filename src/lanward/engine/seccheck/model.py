"""What the security check scans and what it reports: targets, options, services, results.

The scanner (`lanward.daemons.scanner`) re-exports these; they live here so that the pure
logic (product identification, nmap output, findings) can build them without any I/O.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

# TCP ports home devices answer on: remote shells, file sharing, web consoles (routers, cameras
# and NAS often use 80/443 plus an alternative like 8080/8443, 81, 8000, 5000/5001), cameras'
# RTSP (554, 8554) and vendor ports, MQTT, UPnP's HTTP ports and the ISP's TR-069 (7547).
DEFAULT_PORTS: tuple[int, ...] = (
    21,
    22,
    23,
    25,
    80,
    81,
    139,
    443,
    445,
    554,
    1883,
    2323,
    5000,
    5001,
    5431,
    7547,
    8000,
    8008,
    8080,
    8081,
    8443,
    8554,
    8883,
    9000,
    37777,
    49152,
)

# The service a port usually carries, before a banner says otherwise.
PORT_SERVICES: dict[int, str] = {
    21: "ftp",
    22: "ssh",
    23: "telnet",
    2323: "telnet",
    25: "smtp",
    80: "http",
    81: "http",
    8000: "http",
    8008: "http",
    8080: "http",
    8081: "http",
    9000: "http",
    5000: "http",
    7547: "http",
    443: "https",
    5001: "https",
    8443: "https",
    139: "netbios-ssn",
    445: "smb",
    554: "rtsp",
    8554: "rtsp",
    1883: "mqtt",
    8883: "mqtts",
    5431: "upnp",
    49152: "upnp",
    37777: "dahua-dvr",
}

SEVERITIES = ("info", "low", "medium", "high", "critical")


@dataclass
class Target:
    address: str
    mac: str = ""
    vendor: str = ""
    name: str = ""


@dataclass
class ScanOptions:
    protected_nets: tuple[str, ...]
    ports: tuple[int, ...] = DEFAULT_PORTS
    password_check: bool = True
    attempts_per_device: int = 30
    delay_s: float = 0.2
    connect_timeout_s: float = 2.0
    concurrency: int = 64
    use_nmap: bool | None = None  # None: when nmap is installed
    # Instead of the built-in lists, try exactly these (username, password) pairs (list
    # "custom"); used to compare with other tools on the same list.
    credentials: tuple[tuple[str, str], ...] = ()
    # SNMP v2c communities are tried on UDP 161 as part of the password check.
    snmp: bool = True


@dataclass
class Service:
    address: str
    port: int
    transport: str = "tcp"
    name: str = ""
    banner: str = ""
    product: str = ""
    version: str = ""
    vendor: str = ""
    cpe: str = ""
    title: str = ""
    tls: dict[str, Any] = field(default_factory=dict)
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass
class ScanResult:
    services: list[Service] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    attempts: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    cancelled: bool = False


class ScanRefused(ValueError):
    """A target is not on a network the station protects; nothing was sent."""


def check_targets(targets: list[Target], protected_nets: tuple[str, ...]) -> None:
    """Raise ScanRefused unless every target is an address inside one of `protected_nets`."""
    if not protected_nets:
        raise ScanRefused(
            "no protected networks are configured, so nothing may be scanned: "
            "add your home network (for example --home-net 192.168.1.0/24)"
        )
    nets = []
    for net in protected_nets:
        try:
            nets.append(ipaddress.ip_network(net, strict=False))
        except ValueError:
            raise ScanRefused(
                f"{net!r} is not a network: give protected networks in CIDR form, "
                "for example 192.168.1.0/24"
            ) from None
    for target in targets:
        try:
            address = ipaddress.ip_address(target.address)
        except ValueError:
            raise ScanRefused(
                f"{target.address!r} is not an IP address: give device addresses such as "
                "192.168.1.20"
            ) from None
        if not any(address in net for net in nets):
            raise ScanRefused(
                f"{address} is not on a network this station protects "
                f"({', '.join(protected_nets)}): only home devices may be scanned; add its "
                "network to the protected networks if it really is yours"
            )
