"""nftables: the one place that runs `nft` (Debian package `nftables`).

The gateway's enforcement (`lanward.enforce`) describes what it wants as a ruleset text (once,
at start) and as batches of set updates; a backend carries them out:

- `NftBackend` pipes each batch to `nft -f -`: one transaction, so a batch applies entirely or
  not at all, and packets never see a half-written set;
- `DryRunBackend` has the same interface and only records (tests of the policy; monitor mode,
  which reports what gateway mode would have blocked).

A set update is `ReplaceSet`: the set's whole content, written as `flush set` + `add element` in
the batch. Re-sending the same content is harmless (idempotent), and an element's timeout is
given in milliseconds, so the kernel expires it even if the station stops looking after it.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

FAMILY = "inet"
TABLE = "lanward"
# A set element: its key, one part per concatenated field (an address, a MAC, a port, a name).
Key = tuple[str | int, ...]
_MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
_NAME = re.compile(r"^[A-Za-z0-9_.:@-]{1,15}$")  # interface names (IFNAMSIZ - 1)


class NftError(Exception):
    """nft refused a command or could not be run; the message says what happened."""


@dataclass(frozen=True)
class ReplaceSet:
    """Make set `name` hold exactly `elements`: key -> timeout in ms (None: no timeout)."""

    name: str
    elements: Mapping[Key, int | None]


def render_value(value: str | int) -> str:
    """One part of an element, as nft reads it. Anything that is not plainly safe is refused."""
    if isinstance(value, int):
        if not 0 <= value <= 65535:
            raise ValueError(f"port out of range: {value}")
        return str(value)
    if _MAC.match(value):
        return value
    try:
        if "/" in value:
            return str(ipaddress.ip_network(value))
        return str(ipaddress.ip_address(value))
    except ValueError:
        pass
    if _NAME.match(value):
        return f'"{value}"'
    raise ValueError(f"not an address, MAC, port or interface name: {value!r}")


def render_key(key: Key) -> str:
    return " . ".join(render_value(part) for part in key)


def render(ops: Sequence[ReplaceSet], table: str = TABLE) -> str:
    """The `nft -f` text of one batch."""
    lines = []
    for op in ops:
        lines.append(f"flush set {FAMILY} {table} {op.name}")
        items = [
            render_key(key) + ("" if ms is None else f" timeout {max(int(ms), 1)}ms")
            for key, ms in sorted(op.elements.items(), key=lambda kv: repr(kv[0]))
        ]
        # Chunks keep each line of the batch a manageable size for big feeds.
        for start in range(0, len(items), 2000):
            chunk = ", ".join(items[start : start + 2000])
            lines.append(f"add element {FAMILY} {table} {op.name} {{ {chunk} }}")
    return "\n".join(lines) + "\n"


def replace_table(definition: str, table: str = TABLE) -> str:
    """A batch that replaces the table (left over from an earlier run or not) in one step."""
    return f"table {FAMILY} {table}\ndelete table {FAMILY} {table}\n{definition}"


class Backend(Protocol):
    def install(self, definition: str) -> None:
        """Create the table from its definition, replacing any earlier one atomically."""

    def apply(self, ops: Sequence[ReplaceSet]) -> None:
        """Carry out one batch of set updates as one transaction."""

    def list_set(self, name: str) -> list[tuple[str, ...]]:
        """The keys a set holds now (sets the rules fill themselves)."""

    def remove(self) -> None:
        """Delete the table; nothing of it stays behind."""


def find_nft() -> str:
    """The path of `nft`, or '' when nftables is not installed (sbin counts, even off PATH)."""
    path = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
    return shutil.which("nft", path=path) or ""


@dataclass
class NftBackend:
    nft: str = "nft"
    table: str = TABLE
    timeout: float = 30.0

    def _run(self, args: list[str], text: str | None = None) -> str:
        try:
            result = subprocess.run(
                [self.nft, *args],
                input=text,
                capture_output=True,
                text=True,
                timeout=self.timeout,
                check=False,
            )
        except FileNotFoundError as exc:
            raise NftError(
                "nft is not installed: install nftables (apt-get install nftables)"
            ) from exc
        except subprocess.TimeoutExpired as exc:
            raise NftError(f"nft did not answer within {self.timeout:.0f} s") from exc
        if result.returncode != 0:
            raise NftError(describe_failure(result.stderr))
        return result.stdout

    def install(self, definition: str) -> None:
        self._run(["-f", "-"], replace_table(definition, self.table))

    def apply(self, ops: Sequence[ReplaceSet]) -> None:
        if ops:
            self._run(["-f", "-"], render(ops, self.table))

    def list_set(self, name: str) -> list[tuple[str, ...]]:
        out = self._run(["-j", "list", "set", FAMILY, self.table, name])
        return parse_set_json(out)

    def remove(self) -> None:
        try:
            self._run(["delete", "table", FAMILY, self.table])
        except NftError as exc:
            if "no such file" not in str(exc).lower():
                raise

    def table_exists(self) -> bool:
        return f"table {FAMILY} {self.table}" in self._run(["list", "tables"])


def describe_failure(stderr: str) -> str:
    text = " ".join(stderr.split())[:500] or "nft failed without saying why"
    if "operation not permitted" in text.lower():
        return (
            "no permission to change the firewall: run the station as root (or with CAP_NET_ADMIN)"
        )
    return f"nft refused the change: {text}"


def parse_set_json(text: str) -> list[tuple[str, ...]]:
    """The keys of `nft -j list set ...` output, each a tuple of strings."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise NftError(f"nft printed something that is not JSON: {text[:120]!r}") from exc
    keys: list[tuple[str, ...]] = []
    for item in data.get("nftables", []):
        for elem in item.get("set", {}).get("elem", []) if isinstance(item, dict) else []:
            if isinstance(elem, dict) and "elem" in elem:
                elem = elem["elem"]["val"]
            keys.append(_json_key(elem))
    return keys


def _json_key(value: Any) -> tuple[str, ...]:
    if isinstance(value, dict) and "concat" in value:
        return tuple(part for v in value["concat"] for part in _json_key(v))
    if isinstance(value, dict) and "prefix" in value:
        return (f"{value['prefix']['addr']}/{value['prefix']['len']}",)
    if isinstance(value, dict) and "range" in value:
        low, high = value["range"]
        return (f"{low}-{high}",)
    return (str(value),)


@dataclass
class DryRunBackend:
    """Records what would be done. `sets` holds each set's content as the batches left it;
    `batches` the latest `keep` batches (monitor mode runs for months)."""

    keep: int = 1000
    installed: str = ""
    batches: list[list[ReplaceSet]] = field(default_factory=list)
    sets: dict[str, dict[Key, int | None]] = field(default_factory=dict)
    removed: bool = False

    def install(self, definition: str) -> None:
        self.installed, self.removed = definition, False
        self.sets = {}

    def apply(self, ops: Sequence[ReplaceSet]) -> None:
        for op in ops:
            for key in op.elements:
                render_key(key)  # the same refusal of unsafe values as the real backend
        if ops:
            self.batches.append(list(ops))
            del self.batches[: -self.keep]
        for op in ops:
            self.sets[op.name] = dict(op.elements)

    def list_set(self, name: str) -> list[tuple[str, ...]]:
        return [tuple(str(part) for part in key) for key in self.sets.get(name, {})]

    def remove(self) -> None:
        self.removed = True
        self.sets = {}
