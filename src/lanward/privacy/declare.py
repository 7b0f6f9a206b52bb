"""The shapes of the privacy registry (lanward.privacy.registry holds the declarations).

A Feature says, in plain words, what it stores (Data: a model and the fields that matter, and
how long rows are kept), which files it writes, where anything it sends goes (Egress, with the
concrete destinations under the current configuration), and the switch that turns it off.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

SCOPES = {
    "household": "about the home's network and the people in it (exported and deleted with "
    "the household's data)",
    "account": "about one person's account (in that account's own export; deleted with it)",
    "portal": "kept by whoever runs the licensing portal, for licenses and billing",
    "settings": "choices the household made; no one's activity",
}


@dataclass(frozen=True)
class Retention:
    rule: str  # how long, in plain words
    setting: str = ""  # the PrivacySettings field that governs it ("" when none)
    default: str = ""  # the default, with the LANWARD_* variable that sets it


@dataclass(frozen=True)
class Data:
    model: str  # "app_label.modelname"
    what: str
    fields: tuple[str, ...]
    retention: Retention
    scope: str = "household"


@dataclass(frozen=True)
class Files:
    where: str  # relative to LANWARD_DATA_DIR
    what: str
    retention: Retention


@dataclass(frozen=True)
class Destination:
    """A host (address, network or name), a port (None: any) and a protocol (tcp, udp, any)."""

    host: str
    port: int | None = None
    proto: str = "any"

    def __str__(self) -> str:
        where = f"[{self.host}]" if ":" in self.host and "/" not in self.host else self.host
        return f"{self.proto} {where}:{self.port}" if self.port else f"{self.proto} {self.host}"

    @classmethod
    def parse(cls, text: str) -> Destination:
        """The inverse of str(): "tcp 203.0.113.5:443", "any [2001:db8::1]:53", "any 10.0.0.0/8"."""
        proto, _, where = text.partition(" ")
        if where.startswith("["):
            host, _, port = where[1:].partition("]:")
            return cls(host, int(port), proto)
        host, sep, port = where.rpartition(":")
        if sep and "/" not in port and port.isdigit() and ":" not in host:
            return cls(host, int(port), proto)
        return cls(where, None, proto)

    def matches(self, address: str, port: int | None, proto: str) -> bool:
        if self.proto not in ("any", proto):
            return False
        if self.port is not None and port != self.port:
            return False
        try:
            target = ipaddress.ip_address(address)
        except ValueError:
            return False
        try:
            return target in ipaddress.ip_network(self.host, strict=False)
        except ValueError:  # a host name: compare with what it resolves to
            import socket

            try:
                infos = socket.getaddrinfo(self.host, None)
            except OSError:
                return False
            return any(ipaddress.ip_address(i[4][0]) == target for i in infos)


def url_destination(url: str) -> Destination | None:
    """The destination an http(s) URL connects to (None for anything else, e.g. a file)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    return Destination(parts.hostname, port, "tcp")


def _none() -> list[Destination]:
    return []


@dataclass(frozen=True)
class Egress:
    to: str  # where, in plain words
    why: str
    sends: str  # what it sends
    required: bool  # False: optional, stopped by `switch` or by not configuring it
    switch: str = ""  # the PrivacySettings field that stops it
    condition: str = ""  # when it happens at all, in plain words
    destinations: Callable[[], list[Destination]] = field(default=_none, compare=False)

    def allowed(self, prefs: Any) -> bool:
        """May this leave the station under the household's settings?"""
        return self.required or not self.switch or bool(getattr(prefs, self.switch))


@dataclass(frozen=True)
class Switch:
    how: str  # where the switch is, in plain words
    costs: str  # what switching it off costs
    setting: str = ""  # the PrivacySettings field, when it is one
    read_by: tuple[str, ...] = ()  # dotted paths of the code that obeys it


@dataclass(frozen=True)
class Feature:
    key: str
    name: str
    purpose: str
    data: tuple[Data, ...] = ()
    files: tuple[Files, ...] = ()
    egress: tuple[Egress, ...] = ()
    switches: tuple[Switch, ...] = ()
    apps: tuple[str, ...] = ()  # Django app labels whose models it declares
