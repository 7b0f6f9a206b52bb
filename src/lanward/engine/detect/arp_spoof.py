"""ARP spoofing: a MAC claiming the address of the gateway or of another device.

Man-in-the-middle tools (arpspoof, ettercap, bettercap) and some malware answer ARP for an
address that belongs to someone else, so traffic meant for the router (or a neighbour) flows
through them. The detector learns which MAC owns each IPv4 address from ARP itself and raises an
alert when a different MAC claims an address whose owner is still around (seen within
`owner_idle_s`). An owner that has been quiet longer simply hands the address over: that is a DHCP
lease moving to another device, not an attack. Claims for the router's addresses
(`EngineConfig.gateways`) are `high`; claims for another device's address are `high` too, with
words that say who is impersonated. One alert per (address, claimant) per `repeat_s`.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from lanward.engine.detect.alerts import alert
from lanward.engine.events import ArpSeen

_IGNORED = {"0.0.0.0", ""}  # noqa: S104 - the ARP probe sender address, not a bind
_BROADCAST_MACS = {"ff:ff:ff:ff:ff:ff", "00:00:00:00:00:00", ""}


class ArpSpoofing:
    def __init__(
        self, owner_idle_s: int = 600, repeat_s: int = 600, max_addresses: int = 8192
    ) -> None:
        self.owner_idle_ms = owner_idle_s * 1000
        self.repeat_ms = repeat_s * 1000
        self.max_addresses = max_addresses
        self.gateways: frozenset[str] = frozenset()
        # ip -> [owner mac, last time the owner spoke for it]
        self.owners: OrderedDict[str, list[Any]] = OrderedDict()
        self.claims: dict[tuple[str, str], list[int]] = {}  # (ip, claimant) -> [count, last alert]

    def configure(self, config: Any) -> None:
        self.gateways = frozenset(getattr(config, "gateways", ()) or ())

    def arp(self, event: ArpSeen) -> list[dict[str, Any]]:
        ip, mac = event.sender_ip, event.sender_mac.lower()
        if ip in _IGNORED or mac in _BROADCAST_MACS:
            return []
        now = event.ts_ms
        owner = self.owners.get(ip)
        if owner is None or owner[0] == mac or now - owner[1] > self.owner_idle_ms:
            self.owners[ip] = [mac, now]
            self.owners.move_to_end(ip)
            while len(self.owners) > self.max_addresses:
                self.owners.popitem(last=False)
            return []
        known_mac = owner[0]
        claim = self.claims.setdefault((ip, mac), [0, -(10**15)])
        claim[0] += 1
        if now - claim[1] < self.repeat_ms:
            return []
        claim[1] = now
        if len(self.claims) > self.max_addresses:
            self.claims.pop(next(iter(self.claims)))
        gateway = ip in self.gateways
        victim = "the router" if gateway else f"the device {known_mac}"
        why = (
            "Everything the home sends to the internet can then pass through that device, which "
            "can read or change it."
            if gateway
            else "Traffic meant for that device can then pass through the impostor."
        )
        forged = event.eth_src.lower() not in ("", mac)
        summary = (
            f"The device {mac} claims the address {ip}, which belongs to {victim} ({known_mac}). "
            f"That is ARP spoofing, the usual way to get in the middle of a network's traffic. "
            f"{why} If nobody at home runs such a tool, disconnect {mac} and check it."
        )
        return [
            alert(
                "arp_spoofing",
                "high",
                now,
                ip,
                event.target_ip,
                mac,
                summary,
                app="ARP",
                evidence={
                    "ip": ip,
                    "claimed_by": mac,
                    "known_mac": known_mac,
                    "gateway": gateway,
                    "packets": claim[0],
                    "op": "reply" if event.op == 2 else "request",
                    "ethernet_source": event.eth_src.lower(),
                    "forged_ethernet_source": forged,
                },
            )
        ]
