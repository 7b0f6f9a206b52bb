"""Which credentials to try on a service, in which order, within a hard per-device budget.

Three lists, all public facts:

- `defaultcreds`: the defaultcreds-cheat-sheet database (MIT), vendor default accounts. Entries
  are "product (protocol)", username, password; the daemon hands its text in.
- `mirai`: the 62 username/password pairs the Mirai botnet tried on Telnet, weighted as in its
  scanner table (the worm tried higher weights more often).
- `weak`: a short list of passwords people choose that every guessing tool tries first.

For one service the order is: defaults of the device's own vendor (matched on the vendor hints:
MAC vendor, UPnP manufacturer, HTTP realm, page title), then the pairs most often seen as
defaults (Mirai's for Telnet/SSH, the most common defaultcreds pairs otherwise) interleaved two
to one with the weak list. A `Credential` never shows its password in a repr; findings carry
only `public()`.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

# (username, password, weight): Mirai's scanner table, decoded from its source (facts).
MIRAI: tuple[tuple[str, str, int], ...] = (
    ("root", "xc3511", 10),
    ("root", "vizxv", 9),
    ("root", "admin", 8),
    ("admin", "admin", 7),
    ("root", "888888", 6),
    ("root", "xmhdipc", 5),
    ("root", "default", 5),
    ("root", "juantech", 5),
    ("root", "123456", 5),
    ("root", "54321", 5),
    ("support", "support", 5),
    ("root", "", 4),
    ("admin", "password", 4),
    ("root", "root", 4),
    ("root", "12345", 4),
    ("root", "anko", 4),
    ("user", "user", 3),
    ("admin", "", 3),
    ("root", "pass", 3),
    ("admin", "admin1234", 3),
    ("root", "1111", 3),
    ("admin", "smcadmin", 3),
    ("admin", "1111", 2),
    ("root", "666666", 2),
    ("root", "password", 2),
    ("root", "1234", 2),
    ("root", "klv123", 1),
    ("Administrator", "meinsm", 1),  # the source's comment says admin; the table meinsm
    ("service", "service", 1),
    ("supervisor", "supervisor", 1),
    ("guest", "guest", 1),
    ("guest", "12345", 1),
    ("admin1", "password", 1),
    ("administrator", "1234", 1),
    ("666666", "666666", 1),
    ("888888", "888888", 1),
    ("ubnt", "ubnt", 1),
    ("root", "klv1234", 1),
    ("root", "Zte521", 1),
    ("root", "hi3518", 1),
    ("root", "jvbzd", 1),
    ("root", "zlxx.", 1),
    ("root", "7ujMko0vizxv", 1),
    ("root", "7ujMko0admin", 1),
    ("root", "system", 1),
    ("root", "ikwb", 1),
    ("root", "dreambox", 1),
    ("root", "user", 1),
    ("root", "realtek", 1),
    ("root", "00000000", 1),
    ("admin", "1111111", 1),
    ("admin", "1234", 1),
    ("admin", "12345", 1),
    ("admin", "54321", 1),
    ("admin", "123456", 1),
    ("admin", "7ujMko0admin", 1),
    ("admin", "4321", 1),
    ("admin", "pass", 1),
    ("admin", "meinsm", 1),
    ("tech", "tech", 1),
    ("mother", "fucker", 1),
)

# Passwords people pick, with the account names home devices have.
WEAK: tuple[tuple[str, str], ...] = (
    ("admin", "123456789"),
    ("root", "123456789"),
    ("admin", "qwerty"),
    ("admin", "letmein"),
    ("root", "qwerty"),
    ("admin", "password1"),
    ("user", "password"),
    ("admin", "12345678"),
    ("root", "letmein"),
    ("admin", "abc123"),
    ("admin", "111111"),
    ("admin", "changeme"),
    ("root", "changeme"),
    ("admin", "welcome"),
    ("user", "123456"),
)

# How the defaultcreds entries label a protocol, per service we check.
SERVICE_LABELS: dict[str, frozenset[str]] = {
    "http": frozenset({"web", "http", "https", "webui", "web interface", "http basic"}),
    "https": frozenset({"web", "http", "https", "webui", "web interface"}),
    "ssh": frozenset({"ssh"}),
    "telnet": frozenset({"telnet"}),
    "ftp": frozenset({"ftp"}),
    "snmp": frozenset({"snmp"}),
    "rtsp": frozenset({"rtsp", "web", "camera"}),
    "mqtt": frozenset({"mqtt"}),
}
# Words too generic to say which vendor a defaultcreds entry belongs to.
GENERIC_WORDS = frozenset(
    {"ftp", "web", "router", "generic", "general", "default", "the", "linux", "windows"}
)
MOST_COMMON = 25  # how many of defaultcreds' most frequent pairs count as "common defaults"


@dataclass(frozen=True)
class Credential:
    list: str  # defaultcreds | mirai | weak | custom | table
    vendor: str
    username: str
    password: str = field(repr=False)

    @property
    def kind(self) -> str:
        return "weak_password" if self.list in ("weak", "custom") else "default_password"

    def public(self) -> dict[str, str]:
        """What a finding may say about it: never the password."""
        return {"list": self.list, "vendor": self.vendor, "username": self.username}


@dataclass(frozen=True)
class DefaultEntry:
    vendor: str  # lower case, protocol label removed: "hikvision", "3com"
    label: str  # protocol label in parentheses, '' when none
    username: str
    password: str = field(repr=False)


def _blank(value: str) -> str:
    value = value.strip()
    return "" if value.lower() in ("<blank>", "(none)", "<none>", "blank") else value


def _entry(product: str, username: str, password: str) -> DefaultEntry | None:
    product = product.strip().lower()
    if not product or product in ("product", "productvendor", "-"):
        return None
    label = ""
    m = re.search(r"\(([^()]*)\)\s*$", product)
    if m:
        label = m.group(1).strip()
        product = product[: m.start()].strip()
    return DefaultEntry(product, label, _blank(username), _blank(password))


def parse_defaultcreds_json(text: str) -> list[DefaultEntry]:
    """The package's TinyDB file: {"_default": {"1": {"product", "username", "password"}}}."""
    data = json.loads(text)
    rows = data.get("_default", data) if isinstance(data, dict) else {}
    out = []
    for row in rows.values():
        e = _entry(
            str(row.get("product", "")), str(row.get("username", "")), str(row.get("password", ""))
        )
        if e is not None:
            out.append(e)
    return out


def parse_defaultcreds_csv(text: str) -> list[DefaultEntry]:
    """The project's CSV: product,username,password."""
    import csv

    out = []
    for row in csv.reader(text.splitlines()):
        if len(row) >= 3:
            e = _entry(row[0], row[1], row[2])
            if e is not None:
                out.append(e)
    return out


def _words(text: str) -> list[str]:
    return [re.sub(r"[^a-z0-9]", "", w) for w in text.lower().split() if w.strip()]


def vendor_matches(entry_vendor: str, hints: Iterable[str]) -> bool:
    """True when a hint (MAC vendor, manufacturer, realm, title) names this entry's vendor."""
    words = [w for w in _words(entry_vendor) if w]
    if not words or words[0] in GENERIC_WORDS or len(words[0]) < 3:
        return False
    for hint in hints:
        if words[0] in _words(hint):
            return True
    return False


def label_fits(label: str, service: str) -> bool:
    if not label:
        return True
    labels = SERVICE_LABELS.get(service, frozenset())
    return any(part.strip() in labels for part in re.split(r"[/,&]| and ", label)) or label in (
        "general",
        "any",
        "multi",
    )


@dataclass
class CredentialData:
    defaults: list[DefaultEntry] = field(default_factory=list)
    _common: list[tuple[str, str]] | None = field(default=None, repr=False)

    def common_pairs(self) -> list[tuple[str, str]]:
        """The pairs most vendors ship, most frequent first (admin/admin, admin/'', ...)."""
        if self._common is None:
            counts = Counter((e.username, e.password) for e in self.defaults if e.username)
            self._common = [pair for pair, _ in counts.most_common(MOST_COMMON)]
        return self._common


def _interleave(primary: list[Credential], secondary: list[Credential]) -> list[Credential]:
    out: list[Credential] = []
    i = j = 0
    while i < len(primary) or j < len(secondary):
        out.extend(primary[i : i + 2])
        i += 2
        if j < len(secondary):
            out.append(secondary[j])
            j += 1
    return out


def candidates(
    data: CredentialData,
    service: str,
    hints: Iterable[str] = (),
    table: Iterable[tuple[str, str, str]] = (),
    custom: Iterable[tuple[str, str]] = (),
) -> list[Credential]:
    """Credentials to try on one service, best first, each (username, password) once.

    `table` holds (vendor, username, password) from a recognised login page; `custom`, when
    given, replaces every built-in list.
    """
    custom = list(custom)
    if custom:
        out = [Credential("custom", "", u, p) for u, p in custom]
    else:
        hints = [h for h in hints if h]
        own = [Credential("table", v, u, p) for v, u, p in table]
        own += [
            Credential("defaultcreds", e.vendor, e.username, e.password)
            for e in data.defaults
            if label_fits(e.label, service) and vendor_matches(e.vendor, hints)
        ]
        if service in ("telnet", "ssh"):
            common = [Credential("mirai", "", u, p) for u, p, _ in MIRAI]
        else:
            common = [Credential("defaultcreds", "", u, p) for u, p in data.common_pairs()]
        weak = [Credential("weak", "", u, p) for u, p in WEAK]
        out = own + _interleave(common, weak)
    seen: set[tuple[str, str]] = set()
    unique = []
    for c in out:
        if (c.username, c.password) not in seen:
            seen.add((c.username, c.password))
            unique.append(c)
    return unique


SNMP_COMMUNITIES = ("public", "private")


def snmp_communities(data: CredentialData, hints: Iterable[str] = ()) -> list[Credential]:
    """v2c communities: the two every agent ships with, then the vendor's SNMP defaults."""
    hints = list(hints)
    out = [Credential("defaultcreds", "", "", c) for c in SNMP_COMMUNITIES]
    for e in data.defaults:
        if e.label == "snmp" and e.password and vendor_matches(e.vendor, hints):
            out.append(Credential("defaultcreds", e.vendor, "", e.password))
    seen: set[str] = set()
    unique = []
    for c in out:
        if c.password not in seen:
            seen.add(c.password)
            unique.append(c)
    return unique
