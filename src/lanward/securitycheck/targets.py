"""Which addresses a scan may reach: devices in the inventory on the networks the station protects.

The protected networks are LANWARD_HOME_NETS (or the private ranges when unset), the same ones
the station watches. A target outside them is refused as a whole request, with the reason.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings

from lanward.engine.devices import DEFAULT_HOME_NETS
from lanward.inventory.models import Device

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class ScanRefused(ValueError):
    """The scan may not run as asked; the message says why and what to do."""


class ScanBusy(ScanRefused):
    """Another scan is running, or automatic scans ran too recently."""


@dataclass(frozen=True)
class PlannedTarget:
    address: str
    device: Device | None

    @property
    def label(self) -> str:
        return f"{self.device.display_name} ({self.address})" if self.device else self.address


def protected_nets(override: Sequence[str] | None = None) -> tuple[str, ...]:
    nets = tuple(override or ()) or tuple(settings.LANWARD_HOME_NETS) or DEFAULT_HOME_NETS
    for net in nets:
        try:
            ipaddress.ip_network(net, strict=False)
        except ValueError:
            raise ScanRefused(f"{net!r} is not a network; write it like 192.168.1.0/24") from None
    return nets


def _networks(nets: Iterable[str]) -> list[Network]:
    return [ipaddress.ip_network(n, strict=False) for n in nets]


def _inside(addr: ipaddress.IPv4Address | ipaddress.IPv6Address, nets: list[Network]) -> bool:
    return any(addr.version == n.version and addr in n for n in nets)


def current_address(device: Device, nets: list[Network]) -> str | None:
    """The device's newest address inside the protected networks (IPv4 first)."""
    inside = []
    for ip in reversed(device.ips or []):
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            continue
        if _inside(addr, nets):
            inside.append(addr)
    inside.sort(key=lambda a: a.version)  # stable: newest IPv4 first, then newest IPv6
    return str(inside[0]) if inside else None


def resolve(
    requested: Sequence[str] = (),
    device_ids: Sequence[int] = (),
    nets: Sequence[str] = (),
    online_only: bool = False,
) -> tuple[list[PlannedTarget], list[str]]:
    """The targets for a request, and notes on devices left out. Raises `ScanRefused`."""
    networks = _networks(protected_nets(nets))
    notes: list[str] = []
    devices = Device.objects.all()
    if online_only:
        devices = devices.filter(online=True)
    by_address: dict[str, Device] = {}
    for device in devices:
        address = current_address(device, networks)
        if address is not None:
            by_address.setdefault(address, device)
    if not requested and not device_ids:
        return [PlannedTarget(a, d) for a, d in sorted(by_address.items())], notes

    planned: dict[str, PlannedTarget] = {}
    outside: list[str] = []
    for text in requested:
        text = text.strip()
        try:
            if "/" in text:
                net = ipaddress.ip_network(text, strict=False)
                if not any(net.version == n.version and net.subnet_of(n) for n in networks):  # type: ignore[arg-type]
                    outside.append(text)
                    continue
                for address, device in by_address.items():
                    if ipaddress.ip_address(address) in net:
                        planned[address] = PlannedTarget(address, device)
            else:
                addr = ipaddress.ip_address(text)
                if not _inside(addr, networks):
                    outside.append(text)
                    continue
                planned[str(addr)] = PlannedTarget(str(addr), by_address.get(str(addr)))
        except ValueError:
            raise ScanRefused(
                f"{text!r} is not an address or network; write it like 192.168.1.20 "
                "or 192.168.1.0/24"
            ) from None
    if outside:
        raise ScanRefused(
            f"refused: {', '.join(outside)} {'is' if len(outside) == 1 else 'are'} outside the "
            f"networks this station protects ({', '.join(str(n) for n in networks)}). lanward "
            "only checks devices on your own network; set LANWARD_HOME_NETS (or --home-net) "
            "if your network uses other addresses."
        )
    for device in Device.objects.filter(pk__in=list(device_ids)):
        address = current_address(device, networks)
        if address is None:
            notes.append(
                f"{device.display_name}: no address on the protected networks; not checked"
            )
        else:
            planned[address] = PlannedTarget(address, device)
    return [planned[a] for a in sorted(planned)], notes
