"""The alert every detector returns, and the home-network test they share.

An alert is a plain dict (it goes straight into `lanward analyze --json`; the schema is in
docs/analyze-json.md, section "alert").
"""

from __future__ import annotations

import ipaddress
from typing import Any

from lanward.engine.devices import DEFAULT_HOME_NETS, is_home_address

SEVERITIES = ("info", "low", "medium", "high", "critical")
# The alert kinds of `lanward analyze --json` (docs/analyze-json.md); every detector name maps to
# one. `detector` in the alert says which check fired.
KINDS = (
    "remote_access",
    "internal_attack",
    "network_protection",
    "router_access",
    "dangerous_file",
    "web_attack",
    "cleartext_credentials",
    "anomaly",
)
DETECTOR_KIND = {
    "remote_access": "remote_access",
    "remote_access_inbound": "remote_access",
    "scan": "internal_attack",
    "scan_inbound": "network_protection",
    "brute_force": "internal_attack",
    "brute_force_inbound": "network_protection",
    "worm_spread": "internal_attack",
    "arp_spoofing": "internal_attack",
    "indicator_match": "network_protection",
    "signature": "network_protection",
    "router_access": "router_access",
    "dangerous_file": "dangerous_file",
    "cleartext_credentials": "cleartext_credentials",
    "anomaly": "anomaly",
}


def alert(
    detector: str,
    severity: str,
    time: int,
    src: str,
    dst: str,
    mac: str,
    summary: str,
    app: str = "",
    evidence: dict[str, Any] | None = None,
    kind: str = "",
) -> dict[str, Any]:
    if severity not in SEVERITIES:
        raise ValueError(f"unknown severity {severity!r}")
    kind = kind or DETECTOR_KIND[detector]
    if kind not in KINDS:
        raise ValueError(f"unknown alert kind {kind!r}")
    return {
        "kind": kind,
        "detector": detector,
        "severity": severity,
        "time": time,
        "src": src,
        "dst": dst,
        "mac": mac,
        "app": app,
        "summary": summary,
        "evidence": dict(evidence or {}),
    }


class HomeNets:
    """Which addresses are home, from `EngineConfig.home_nets` (the private ranges by default)."""

    def __init__(self, nets: tuple[str, ...] = DEFAULT_HOME_NETS) -> None:
        self.nets = [ipaddress.ip_network(n) for n in nets]

    def __contains__(self, ip: object) -> bool:
        return isinstance(ip, str) and is_home_address(ip, self.nets)
