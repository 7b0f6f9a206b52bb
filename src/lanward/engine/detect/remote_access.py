"""Remote-control sessions: every RDP, VNC, TeamViewer, AnyDesk, SSH, Telnet... flow is reported.

Someone reaching into a home device from outside (initiator not home, responder home) is the
case that matters most: it is how "tech support" scams and ransomware crews get in, so it is
`high` (kind `remote_access_inbound`). Sessions inside the home or going out are `info`
(kind `remote_access`): a record the owner can look through, not an alarm. A program the owner
allowed on a device (`EngineConfig.remote_access_allowed`: MAC -> app names, "*" for any) is
always `info`.
"""

from __future__ import annotations

from typing import Any

from lanward.engine.detect.alerts import HomeNets, alert
from lanward.engine.events import Flow

# nDPI protocol names of remote-control programs (the master or the sub-protocol of Flow.app).
REMOTE_APPS = frozenset(
    {
        "RDP",
        "VNC",
        "TeamViewer",
        "AnyDesk",
        "SSH",
        "Telnet",
        "Radmin",
        "RustDesk",
        "Splashtop",
        "PcAnywhere",
        "RemoteAccess",
        "Rsh",
        "Rlogin",
        "NoMachine",
        "ScreenConnect",
        "LogMeIn",
    }
)
REMOTE_CATEGORY = "RemoteAccess"


def remote_app(flow: Flow) -> str:
    """The remote-control program of a flow ('' if it is not one)."""
    master, _, sub = flow.app.partition(".")
    for name in (sub, master):
        if name in REMOTE_APPS:
            return name
    if flow.category == REMOTE_CATEGORY:
        return sub or master or REMOTE_CATEGORY
    return ""


class RemoteAccess:
    def __init__(self) -> None:
        self.home = HomeNets()
        self.allowed: dict[str, frozenset[str]] = {}
        self.until: dict[tuple[str, str], int] = {}

    def configure(self, config: Any) -> None:
        self.home = HomeNets(tuple(config.home_nets))
        self.policy(config)

    def policy(self, config: Any) -> None:
        allowed = getattr(config, "remote_access_allowed", None) or {}
        self.allowed = {mac.lower(): frozenset(apps) for mac, apps in allowed.items()}
        until = getattr(config, "remote_access_until", None) or {}
        self.until = {(mac.lower(), app): ms for (mac, app), ms in until.items()}

    def _is_allowed(self, mac: str, app: str, at_ms: int) -> bool:
        mac = mac.lower()
        apps = self.allowed.get(mac, frozenset())
        for name in (app, "*"):
            if name in apps:
                until = self.until.get((mac, name), 0)
                if not until or until >= at_ms:
                    return True
        return False

    def flow_end(self, flow: Flow) -> list[dict[str, Any]]:
        app = remote_app(flow)
        if not app:
            return []
        src_home, dst_home = flow.src_ip in self.home, flow.dst_ip in self.home
        answered = flow.dst2src_packets > 1 or flow.dst2src_bytes > 100 * max(
            flow.dst2src_packets, 1
        )
        if dst_home and not src_home:
            mac, where = flow.dst_mac, "inbound"
        elif src_home and not dst_home:
            mac, where = flow.src_mac, "outbound"
        else:
            # Inside the home (or two foreign hosts): the device being controlled is the responder.
            mac, where = flow.dst_mac, "lan"
        allowed = self._is_allowed(mac, app, flow.first_seen_ms)
        attempt = "" if answered else " (an attempt: the other side did not take it up)"
        if where == "inbound":
            kind, severity = "remote_access_inbound", "info" if allowed else "high"
            summary = (
                f"{flow.src_ip}, an address outside the home, opened a {app} remote-control "
                f"session to {flow.dst_ip}{attempt}. Whoever holds it can work that device as if "
                "sitting at it; if nobody in the home set this up, disconnect the device and "
                "change its passwords."
            )
        elif where == "outbound":
            kind, severity = "remote_access", "info"
            summary = (
                f"{flow.src_ip} opened a {app} remote-control session to {flow.dst_ip} outside "
                f"the home{attempt}. Usually someone at home working on another computer."
            )
        else:
            kind, severity = "remote_access", "info"
            summary = (
                f"{flow.src_ip} opened a {app} remote-control session to {flow.dst_ip} inside "
                f"the home{attempt}."
            )
        if allowed:
            summary += f" {app} is allowed on this device."
        return [
            alert(
                kind,
                severity,
                flow.first_seen_ms,
                flow.src_ip,
                flow.dst_ip,
                mac,
                summary,
                app=app,
                evidence={
                    "direction": where,
                    "allowed": allowed,
                    "answered": answered,
                    "src_port": flow.src_port,
                    "dst_port": flow.dst_port,
                    "protocol": flow.protocol,
                    "ndpi_app": flow.app,
                    "category": flow.category,
                    "packets_up": flow.src2dst_packets,
                    "bytes_up": flow.src2dst_bytes,
                    "packets_down": flow.dst2src_packets,
                    "bytes_down": flow.dst2src_bytes,
                    "duration_ms": flow.last_seen_ms - flow.first_seen_ms,
                },
            )
        ]
