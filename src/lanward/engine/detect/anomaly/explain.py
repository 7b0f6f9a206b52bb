"""The anomaly alerts, in plain words: what was unusual, why it matters, and the evidence.

Every alert's evidence has the same frame, so the console can show it and "learn it" can fold it
back into the baseline:

    {"check": ..., "device_type": ..., "sensitivity": {...}, "time_ms": ...,
     "baseline": {what is normal for this device}, "now": {what was seen},
     "learn": {what "this is normal" adds to the baseline}}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lanward.engine.detect.alerts import alert
from lanward.engine.detect.anomaly.sensitivity import Sensitivity

CHECKS = {
    "dga": "algorithmically generated domain names",
    "nxdomain": "a burst of lookups of domains that do not exist (generated names)",
    "lookalike": "a look-alike domain",
    "beacon": "regular calls to one destination (beaconing)",
    "upload": "an upload far above normal",
    "listening": "a new listening service",
    "country": "a country it never talked to",
    "network": "a network it never talked to",
    "category": "a new kind of traffic",
    "browsing": "an appliance browsing",
    "lan_peers": "an appliance reaching out across the home network",
    "remote_sweep": "an appliance contacting many new addresses",
}


@dataclass(frozen=True)
class Who:
    """The device an alert is about."""

    mac: str
    ip: str
    device_type: str
    sensitivity: Sensitivity

    @property
    def name(self) -> str:
        kind = self.device_type if self.device_type != "unknown" else "device"
        return f"The {kind} {self.ip}" if self.ip else f"The {kind} {self.mac}"


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


def human_period(ms: float) -> str:
    seconds = ms / 1000
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def make(
    who: Who,
    check: str,
    severity: str,
    ts_ms: int,
    dst: str,
    summary: str,
    baseline: dict[str, Any],
    now: dict[str, Any],
    learn: dict[str, Any],
    app: str = "",
) -> dict[str, Any]:
    evidence = {
        "check": check,
        "check_name": CHECKS[check],
        "device_type": who.device_type,
        "sensitivity": who.sensitivity.as_dict(),
        "time_ms": ts_ms,
        "baseline": baseline,
        "now": now,
        "learn": learn,
    }
    return alert("anomaly", severity, ts_ms, who.ip, dst, who.mac, summary, app, evidence)


def listing(items: list[str], limit: int = 5) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")
