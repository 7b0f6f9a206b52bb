"""Rule header addresses and ports: `any`, single values, CIDR and ranges, lists, negation and
variables, as Suricata reads them.

A group is a list of (negated, item) where an item is a network, a port range or a nested group.
It matches a value when one of its positive items does (or it has none) and no negated item does,
so `[10.0.0.0/8,!10.1.1.1]` is 10/8 except one host and `!$HOME_NET` is everything outside home.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field

from lanward.engine.devices import DEFAULT_HOME_NETS

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Suricata's default suricata.yaml address and port groups (vars: address-groups / port-groups).
SERVER_GROUPS = (
    "HTTP_SERVERS",
    "SMTP_SERVERS",
    "SQL_SERVERS",
    "DNS_SERVERS",
    "TELNET_SERVERS",
    "AIM_SERVERS",
    "DC_SERVERS",
    "DNP3_SERVER",
    "DNP3_CLIENT",
    "MODBUS_CLIENT",
    "MODBUS_SERVER",
    "ENIP_CLIENT",
    "ENIP_SERVER",
)
DEFAULT_PORT_VARS = {
    "HTTP_PORTS": "80",
    "SHELLCODE_PORTS": "!80",
    "ORACLE_PORTS": "1521",
    "SSH_PORTS": "22",
    "DNP3_PORTS": "20000",
    "MODBUS_PORTS": "502",
    "FILE_DATA_PORTS": "[$HTTP_PORTS,110,143]",
    "FTP_PORTS": "21",
    "GENEVE_PORTS": "6081",
    "VXLAN_PORTS": "4789",
    "TEREDO_PORTS": "3544",
    "SIP_PORTS": "[5060,5061]",
}


@dataclass(frozen=True)
class Variables:
    """Address and port variables a rule header may name ($HOME_NET, $HTTP_PORTS...)."""

    addresses: Mapping[str, str] = field(default_factory=dict)
    ports: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def for_home(cls, home_nets: tuple[str, ...] = DEFAULT_HOME_NETS) -> Variables:
        home = "[" + ",".join(home_nets) + "]" if home_nets else "any"
        addresses = {"HOME_NET": home, "EXTERNAL_NET": "!$HOME_NET"}
        addresses.update({name: "$HOME_NET" for name in SERVER_GROUPS})
        return cls(addresses, dict(DEFAULT_PORT_VARS))


@dataclass(frozen=True)
class Group:
    """A parsed address or port expression."""

    items: tuple[tuple[bool, object], ...]  # (negated, IPNetwork | (lo, hi) | Group)
    is_any: bool = False

    def __contains__(self, value: object) -> bool:
        if self.is_any:
            return True
        matched_positive = False
        has_positive = False
        for negated, item in self.items:
            hit = _item_contains(item, value)
            if negated:
                if hit:
                    return False
            else:
                has_positive = True
                matched_positive = matched_positive or hit
        return matched_positive or not has_positive


ANY = Group((), is_any=True)


def _item_contains(item: object, value: object) -> bool:
    if isinstance(item, Group):
        return value in item
    if isinstance(item, tuple):
        return isinstance(value, int) and item[0] <= value <= item[1]
    if isinstance(value, ipaddress.IPv4Address | ipaddress.IPv6Address):
        return isinstance(item, ipaddress.IPv4Network | ipaddress.IPv6Network) and (
            item.version == value.version and value in item
        )
    return False


def _split_list(text: str) -> list[str]:
    """'a, [b,c], !d' -> ['a', '[b,c]', '!d'] (commas at bracket depth 0)."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth < 0:
                raise ValueError(f"unbalanced ']' in {text!r}")
        elif ch == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    if depth != 0:
        raise ValueError(f"unbalanced '[' in {text!r}")
    parts.append(text[start:].strip())
    return parts


class _Parser:
    def __init__(self, variables: Mapping[str, str], kind: str) -> None:
        self.variables = variables
        self.kind = kind  # "address" or "port"
        self.expanding: list[str] = []

    def parse(self, text: str) -> Group:
        text = text.strip()
        if not text:
            raise ValueError(f"empty {self.kind}")
        if text == "any":
            return ANY
        negated, item = self._item(text)
        if negated and item is ANY:
            raise ValueError(f"'{text}' negates every {self.kind}: the rule could never match")
        if not negated and isinstance(item, Group):
            return item
        return Group(((negated, item),))

    def _item(self, text: str) -> tuple[bool, object]:
        text = text.strip()
        negated = False
        while text.startswith("!"):
            negated = not negated
            text = text[1:].strip()
        if not text:
            raise ValueError(f"'!' without an {self.kind}")
        if text.startswith("["):
            if not text.endswith("]"):
                raise ValueError(f"unbalanced brackets in {text!r}")
            inner = text[1:-1]
            parts = _split_list(inner)
            if any(not p for p in parts):
                raise ValueError(f"empty item in the {self.kind} list {text!r}")
            items = tuple(self._item(p) for p in parts)
            if any(item is ANY and not neg for neg, item in items):
                # 'any' in a list: everything except the negated items
                negatives = tuple((n, i) for n, i in items if n)
                return negated, Group(negatives) if negatives else ANY
            return negated, Group(items)
        if text.startswith("$"):
            name = text[1:]
            if name not in self.variables:
                raise ValueError(f"unknown {self.kind} variable ${name}")
            if name in self.expanding:
                raise ValueError(f"{self.kind} variable ${name} refers to itself")
            self.expanding.append(name)
            try:
                inner_negated, item = self._item(self.variables[name])
            finally:
                self.expanding.pop()
            return negated != inner_negated, item
        if text == "any":
            return negated, ANY
        return negated, self._value(text)

    def _value(self, text: str) -> object:
        if self.kind == "port":
            return _port_range(text)
        return _network(text)


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise ValueError(f"bad port {text!r}")
    return int(text)


def _port_range(text: str) -> tuple[int, int]:
    if ":" in text:
        lo, _, hi = text.partition(":")
        low = _port(lo.strip()) if lo.strip() else 0
        high = _port(hi.strip()) if hi.strip() else 65535
        if low > high:
            raise ValueError(f"port range {text!r} runs backwards")
        return low, high
    port = _port(text)
    return port, port


def _network(text: str) -> object:
    if "-" in text and "/" not in text:
        lo, _, hi = text.partition("-")
        try:
            first, last = ipaddress.ip_address(lo.strip()), ipaddress.ip_address(hi.strip())
        except ValueError:
            raise ValueError(f"bad address range {text!r}") from None
        if first.version != last.version or int(first) > int(last):
            raise ValueError(f"bad address range {text!r}")
        nets = list(ipaddress.summarize_address_range(first, last))  # type: ignore[type-var]
        return Group(tuple((False, n) for n in nets))
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise ValueError(f"bad address {text!r}") from None


def parse_addresses(text: str, variables: Variables) -> Group:
    """An address expression; ValueError with a plain reason when it cannot be read."""
    return _Parser(variables.addresses, "address").parse(text)


def parse_ports(text: str, variables: Variables) -> Group:
    return _Parser(variables.ports, "port").parse(text)


def ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None
