"""The device table: who is on the network, keyed by MAC, with the evidence about each."""

from __future__ import annotations

import ipaddress
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from lanward.engine.events import DhcpSeen, Evidence, Flow, MdnsSeen, NameSeen, Notice, SsdpSeen
from lanward.engine.recognize import classify, dhcp, mdns, names, oui, ssdp, useragent

DEFAULT_HOME_NETS = (
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "169.254.0.0/16",
    "fc00::/7",
    "fe80::/10",
)

# Names so generic that sharing one proves nothing about being the same device.
GENERIC_HOSTNAMES = {"localhost", "android", "iphone", "ipad", "unknown", "espressif", "host"}

MAX_EVIDENCE = 200
MAX_IPS = 16
MAX_USER_AGENTS = 20
MAX_SERVICES = 64


@dataclass
class Device:
    mac: str
    first_seen_ms: int
    last_seen_ms: int
    ips: OrderedDict[str, int] = field(default_factory=OrderedDict)
    evidence: OrderedDict[tuple[str, str, str], Evidence] = field(default_factory=OrderedDict)
    user_agents: OrderedDict[str, None] = field(default_factory=OrderedDict)
    services: OrderedDict[str, None] = field(default_factory=OrderedDict)
    linked_macs: dict[str, str] = field(default_factory=dict)
    dhcp_fingerprint: str = ""
    dhcp_vendor_class: str = ""
    client_id: str = ""
    dhcpv6_duid: str = ""
    dhcp_hostname: str = ""

    def touch(self, ts_ms: int) -> None:
        self.first_seen_ms = min(self.first_seen_ms, ts_ms)
        self.last_seen_ms = max(self.last_seen_ms, ts_ms)

    def add_ip(self, ip: str, ts_ms: int) -> None:
        self.ips[ip] = max(ts_ms, self.ips.get(ip, 0))
        self.ips.move_to_end(ip)
        while len(self.ips) > MAX_IPS:
            self.ips.popitem(last=False)

    def add_evidence(self, items: list[Evidence]) -> None:
        for ev in items:
            key = (ev.source, ev.field, ev.value)
            old = self.evidence.get(key)
            if old is None or old.confidence < ev.confidence:
                self.evidence[key] = ev
            self.evidence.move_to_end(key)
            if ev.field == "user_agent":
                self.user_agents[ev.value] = None
                self.user_agents.move_to_end(ev.value)
            elif ev.field in {"service", "upnp_device"}:
                self.services[ev.value] = None
        while len(self.evidence) > MAX_EVIDENCE:
            self.evidence.popitem(last=False)
        while len(self.user_agents) > MAX_USER_AGENTS:
            self.user_agents.popitem(last=False)
        while len(self.services) > MAX_SERVICES:
            self.services.popitem(last=False)

    def add_service(self, service: str) -> None:
        self.services[service] = None
        while len(self.services) > MAX_SERVICES:
            self.services.popitem(last=False)

    def identity(self) -> classify.Identity:
        return classify.identify(list(self.evidence.values()))

    def as_dict(self) -> dict[str, Any]:
        ident = self.identity()
        vendor = next((e.value for e in self.evidence.values() if e.field == "vendor"), "")
        hostname = self.dhcp_hostname or ident.hostname.value
        os_name = ident.os.value
        if os_name and ident.os_version.value:
            os_name = f"{os_name} {ident.os_version.value}"
        return {
            "mac": self.mac,
            "ips": list(self.ips),
            "hostname": hostname,
            "vendor": vendor,
            "brand": ident.brand.value,
            "type": ident.type.value,
            "type_confidence": ident.type.confidence,
            "os": os_name,
            "os_confidence": ident.os.confidence,
            "model": ident.model.value,
            "model_confidence": ident.model.confidence,
            "dhcp_fingerprint": self.dhcp_fingerprint,
            "dhcp_vendor_class": self.dhcp_vendor_class,
            "user_agents": list(self.user_agents),
            "services": list(self.services),
            "first_seen": self.first_seen_ms,
            "last_seen": self.last_seen_ms,
            "linked_macs": [{"mac": m, "reason": r} for m, r in self.linked_macs.items()],
            "evidence": [e.as_dict() for e in self.evidence.values()],
        }


def _usable_mac(mac: str) -> bool:
    try:
        return (
            bool(mac)
            and not oui.is_multicast(mac)
            and oui.normalize_mac(mac) != "00:00:00:00:00:00"
        )
    except ValueError:
        return False


def is_home_address(
    ip: str, home_nets: list[ipaddress.IPv4Network | ipaddress.IPv6Network]
) -> bool:
    """True for a unicast address inside one of the home networks."""
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return False
    if addr.is_multicast or addr.is_unspecified or str(addr) == "255.255.255.255":
        return False
    return any(addr in net for net in home_nets)


class DeviceTable:
    """Devices keyed by MAC. Bounded: past `max_devices` the longest-idle device is dropped."""

    def __init__(self, home_nets: tuple[str, ...] = DEFAULT_HOME_NETS, max_devices: int = 4096):
        self.home_nets = [ipaddress.ip_network(n) for n in home_nets]
        self.max_devices = max_devices
        self.devices: OrderedDict[str, Device] = OrderedDict()
        self.aliases: dict[str, str] = {}
        self.never_link: set[str] = set()  # MACs the user split off a device
        self.new_devices: list[str] = []
        self.notices: list[Notice] = []

    # -- helpers ---------------------------------------------------------------------------

    def is_home(self, ip: str) -> bool:
        return is_home_address(ip, self.home_nets)

    def get(self, mac: str, ts_ms: int) -> Device | None:
        if not _usable_mac(mac):
            return None
        mac = oui.normalize_mac(mac)
        mac = self.aliases.get(mac, mac)
        device = self.devices.get(mac)
        if device is None:
            device = Device(mac=mac, first_seen_ms=ts_ms, last_seen_ms=ts_ms)
            device.add_evidence(oui.evidence(mac))
            self.devices[mac] = device
            self.new_devices.append(mac)
            self._bound(ts_ms)
        device.touch(ts_ms)
        self.devices.move_to_end(mac)
        return device

    def _bound(self, ts_ms: int) -> None:
        while len(self.devices) > self.max_devices:
            mac, _ = self.devices.popitem(last=False)
            self.notices.append(
                Notice(
                    "device_table_full",
                    f"device table full ({self.max_devices}); forgot the longest-idle device {mac}",
                    ts_ms,
                    {"mac": mac},
                )
            )

    # -- observations ------------------------------------------------------------------------

    def observe_flow(self, flow: Flow) -> tuple[Device | None, str]:
        """Returns the home device the flow belongs to and its direction ('up' = it sent first)."""
        owner: Device | None = None
        direction = ""
        if self.is_home(flow.src_ip):
            owner = self.get(flow.src_mac, flow.first_seen_ms)
            if owner:
                owner.touch(flow.last_seen_ms)
                owner.add_ip(flow.src_ip, flow.last_seen_ms)
                direction = "up"
                if flow.user_agent:
                    owner.add_evidence(useragent.evidence(flow.user_agent))
                if flow.ja4:
                    owner.add_evidence([Evidence("tls", "ja4", flow.ja4, 1.0)])
        if self.is_home(flow.dst_ip) and flow.dst2src_packets > 0:
            server = self.get(flow.dst_mac, flow.first_seen_ms)
            if server:
                server.touch(flow.last_seen_ms)
                server.add_ip(flow.dst_ip, flow.last_seen_ms)
                if flow.protocol == 6 and flow.dst_port:
                    server.add_service(f"{flow.dst_port}/tcp")
                if owner is None:
                    owner, direction = server, "down"
        return owner, direction

    def observe(self, event: DhcpSeen | MdnsSeen | SsdpSeen | NameSeen) -> None:
        if isinstance(event, DhcpSeen):
            self._dhcp(event)
            return
        device = self.get(event.mac, event.ts_ms)
        if device is None:
            return
        if event.ip and self.is_home(event.ip):
            device.add_ip(event.ip, event.ts_ms)
        if isinstance(event, MdnsSeen):
            items = mdns.evidence(event)
            for ev in list(items):
                if ev.field == "hostname":
                    items += names.from_name(ev.value, "mdns")
            device.add_evidence(items)
        elif isinstance(event, SsdpSeen):
            device.add_evidence(ssdp.evidence(event))
        elif isinstance(event, NameSeen):
            device.add_evidence(names.evidence(event))

    def _dhcp(self, event: DhcpSeen) -> None:
        if not _usable_mac(event.mac):
            return
        mac = oui.normalize_mac(event.mac)
        if (
            mac not in self.devices
            and mac not in self.aliases
            and mac not in self.never_link
            and oui.is_locally_administered(mac)
        ):
            self._maybe_link(mac, event)
        device = self.get(mac, event.ts_ms)
        if device is None:
            return
        items = dhcp.evidence(event)
        if event.hostname:
            items += names.from_name(event.hostname, "dhcpv6" if event.v6 else "dhcp")
        if event.v6:
            # The DHCPv6 option-request list is no option-55 fingerprint; DHCPv4 values win.
            device.dhcp_hostname = device.dhcp_hostname or event.hostname
            device.dhcp_vendor_class = device.dhcp_vendor_class or event.vendor_class
            device.dhcpv6_duid = event.client_id or device.dhcpv6_duid
        else:
            device.dhcp_hostname = event.hostname or device.dhcp_hostname
            if event.param_list:
                device.dhcp_fingerprint = dhcp.fingerprint_string(event.param_list)
            device.dhcp_vendor_class = event.vendor_class or device.dhcp_vendor_class
            device.client_id = event.client_id or device.client_id
        for ip in (event.ip, event.requested_ip):
            if ip and self.is_home(ip):
                device.add_ip(ip, event.ts_ms)
        device.add_evidence(items)

    def _maybe_link(self, mac: str, event: DhcpSeen) -> None:
        """A new randomized MAC continuing a known device's DHCP identity is that device."""
        for other in self.devices.values():
            reason = ""
            known_id = other.dhcpv6_duid if event.v6 else other.client_id
            if (
                event.client_id
                and event.client_id == known_id
                and not event.client_id.endswith(mac.replace(":", ""))
            ):
                reason = f"same DHCP{'v6 DUID' if event.v6 else ' client id'} {event.client_id}"
            elif (
                not event.v6
                and event.hostname
                and event.hostname.lower() == other.dhcp_hostname.lower()
                and event.hostname.lower() not in GENERIC_HOSTNAMES
                and (
                    not event.param_list
                    or dhcp.fingerprint_string(event.param_list) == other.dhcp_fingerprint
                )
            ):
                reason = f"same DHCP hostname {event.hostname!r} and fingerprint"
            if reason:
                self.aliases[mac] = other.mac
                other.linked_macs[mac] = reason
                return

    def unlink(self, mac: str) -> None:
        """Undo a link; the MAC stays a device of its own (never re-linked by inference)."""
        mac = oui.normalize_mac(mac)
        self.never_link.add(mac)
        canonical = self.aliases.pop(mac, None)
        if canonical and canonical in self.devices:
            self.devices[canonical].linked_macs.pop(mac, None)
