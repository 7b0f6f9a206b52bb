"""The security check's network side: service discovery, configuration and password checks.

    result = await scan_hosts(targets, ScanOptions(protected_nets=("192.168.1.0/24",)))

Every target must be inside `protected_nets` (ScanRefused otherwise, before any packet). Only
the targets are contacted: TCP connections to their ports, unicast SSDP and SNMP to them, and
HTTP only to URLs on them. Modules: ports (connect scan), banners (greetings, RTSP, SMB1, MQTT),
web (HTTP, TLS, UPnP), passwords/ (one module per protocol, one budget per device), nmap (the
optional nmap -sV engine), run (one scan). The pure logic is in lanward.engine.seccheck.
"""

from lanward.daemons.scanner.run import scan_hosts
from lanward.engine.seccheck.model import (
    DEFAULT_PORTS,
    ScanOptions,
    ScanRefused,
    ScanResult,
    Service,
    Target,
)

__all__ = [
    "DEFAULT_PORTS",
    "ScanOptions",
    "ScanRefused",
    "ScanResult",
    "Service",
    "Target",
    "scan_hosts",
]
