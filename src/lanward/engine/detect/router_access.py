"""Router access protection: who tries to sign in to the home router's admin console.

Any session from a home device to the gateway's management ports (web console, SSH, telnet) is
a sign-in attempt; from a device the owner has not approved it is alerted (medium, and blocked
in gateway mode by the enforcer). Approvals are per MAC, for good or until a time (ms), passed
in `EngineConfig.router_approved`; the gateways come from `EngineConfig.gateways`.
"""

from __future__ import annotations

from typing import Any

from lanward.engine.detect.alerts import alert
from lanward.engine.events import Flow

MANAGEMENT_PORTS = {
    80: "HTTP",
    443: "HTTPS",
    8080: "HTTP",
    8443: "HTTPS",
    22: "SSH",
    23: "Telnet",
    2323: "Telnet",
}
FOREVER = 2**62


class RouterAccess:
    def __init__(self) -> None:
        self.gateways: frozenset[str] = frozenset()
        self.approved: dict[str, int] = {}
        self.alerted: dict[tuple[str, str, int], int] = {}
        self.quiet_ms = 10 * 60_000

    def configure(self, config: Any) -> None:
        self.gateways = frozenset(getattr(config, "gateways", ()) or ())
        self.policy(config)

    def policy(self, config: Any) -> None:
        self.approved = {
            mac.lower(): until or FOREVER
            for mac, until in (getattr(config, "router_approved", {}) or {}).items()
        }

    def flow_end(self, flow: Flow) -> list[dict[str, Any]]:
        service = MANAGEMENT_PORTS.get(flow.dst_port)
        if (
            service is None
            or flow.protocol != 6
            or flow.dst_ip not in self.gateways
            or flow.src_ip in self.gateways
        ):
            return []
        mac = flow.src_mac.lower()
        if self.approved.get(mac, 0) >= flow.first_seen_ms:
            return []
        key = (mac, flow.dst_ip, flow.dst_port)
        last = self.alerted.get(key)
        if last is not None and flow.last_seen_ms - last < self.quiet_ms:
            return []
        self.alerted[key] = flow.last_seen_ms
        if len(self.alerted) > 4096:
            self.alerted.pop(next(iter(self.alerted)))
        answered = flow.dst2src_packets > 1
        return [
            alert(
                "router_access",
                "medium",
                flow.last_seen_ms,
                flow.src_ip,
                f"{flow.dst_ip}:{flow.dst_port}",
                flow.src_mac,
                f"{flow.src_ip} {'opened' if answered else 'tried to open'} the router's {service} admin "
                "console, and this device is not approved to manage the router. If it was you, approve "
                "the device for an hour or for good; if not, something on your network is probing the router.",
                app=service,
                evidence={"service": service, "port": flow.dst_port, "answered": answered},
            )
        ]
