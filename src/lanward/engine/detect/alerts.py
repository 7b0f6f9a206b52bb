"""The alert every detector returns, and the home-network test they share.

An alert is a plain dict (it goes straight into `lanward analyze --json`; the schema is in
docs/analyze-json.md, section "alert").
"""

from __future__ import annotations

import ipaddress
from typing import Any

from lanward.engine.devices import DEFAULT_HOME_NETS, is_home_address

SEVERITIES = ("info", "low", "medium", "high")


def alert(
    kind: str,
    severity: str,
    time: int,
    src: str,
    dst: str,
    mac: str,
    summary: str,
    app: str = "",
    evidence: dict[str, Any] | None = None,
) -> dict[str, Any]:
    if severity not in SEVERITIES:
        raise ValueError(f"unknown severity {severity!r}")
    return {
        "kind": kind,
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
