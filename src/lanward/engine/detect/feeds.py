"""Indicator feeds: text in, `Indicators` out. Pure: the caller reads the files.

Formats (`parse_feed` picks one from the text):

- plain lists: one IP, CIDR, domain, URL or JA4 per line; `#`/`;`/`!` comments; AdBlock-style
  `||domain^` lines; nDPI category files (`value<TAB>category id`, id 100 = Malware);
- hosts files: `0.0.0.0 bad.example` (the address is ignored, local names are skipped);
- abuse.ch CSV (URLhaus, Feodo Tracker, ThreatFox, MalwareBazaar, SSL Blacklist and its JA3
  list): `#` comment header whose last line names the columns, quoted fields; the
  ip/domain/url/hash columns are taken;
- STIX 2.1 bundles: `indicator` objects whose pattern compares ipv4-addr/ipv6-addr/domain-name/
  url values or file hashes with `=`.

A line (or STIX object) that cannot be read is reported in `Indicators.problems` with its line
number and skipped; the rest of the feed still loads.

A URL whose host is an IP address also yields that IP (a server at a bare address that hands out
malware is the bad thing itself); a URL on a named host is matched against the HTTP requests the
application-layer parser sees (not against the host alone: it is often a hacked, otherwise good
site). File hashes are matched by the dangerous-file detector; MD5 entries also against TLS JA3 and
JA3S, SHA-1 entries against server certificates.
"""

from __future__ import annotations

import csv
import ipaddress
import json
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from lanward.engine.dns.lists import LOCAL_HOST_NAMES
from lanward.lib.prefixes import PrefixTable

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Category of a feed or an entry. "malware" and "c2" make high-severity matches.
MALICIOUS = frozenset({"malware", "c2"})
# Plain lists say nothing about themselves; the file name often does.
_NAME_HINTS = (
    ("c2", "c2"),
    ("botnet", "c2"),
    ("feodo", "c2"),
    ("malware", "malware"),
    ("urlhaus", "malware"),
    ("threatfox", "malware"),
    ("malicious", "malware"),
    ("ransom", "malware"),
    ("phish", "phishing"),
)
NDPI_CATEGORY_MALWARE = "100"
# The names hosts files map to their own machine: shared with the DNS list parser.
LOCAL_NAMES = LOCAL_HOST_NAMES
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")
_JA4 = re.compile(r"^[tqd][0-9a-z]{2}[di][0-9]{4}[0-9a-z]{2}_[0-9a-f]{12}_[0-9a-f]{12}$")
_HASH = re.compile(r"^(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64})$")
_STIX_TERM = re.compile(
    r"([a-z0-9-]+):([a-z0-9_.'-]+)\s*(=|!=|LIKE|MATCHES|IN|>|<|>=|<=)\s*'((?:[^'\\]|\\.)*)'",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Indicator:
    value: str  # as matched: lower-case domain, normalized IP/CIDR, JA4, URL or hash
    type: str  # ip | cidr | domain | url | ja4 | hash
    feed: str
    category: str = "unknown"  # malware | c2 | phishing | unknown
    line: int = 0
    source: str = ""  # the entry as the feed wrote it, when it differs from value
    note: str = ""  # the feed's own words: malware family, threat type, STIX name

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "feed": self.feed,
            "type": self.type,
            "value": self.value,
            "category": self.category,
            "line": self.line,
        }
        if self.source and self.source != self.value:
            out["entry"] = self.source
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True, slots=True)
class Problem:
    feed: str
    line: int
    text: str
    reason: str

    def __str__(self) -> str:
        return f"{self.feed}, line {self.line}: {self.reason}: {self.text[:80]!r}"


@dataclass
class Indicators:
    ips: dict[str, Indicator] = field(default_factory=dict)
    # (version, prefix length) -> network address as an int -> indicator: a lookup per length.
    networks: PrefixTable[Indicator] = field(default_factory=PrefixTable)
    domains: dict[str, Indicator] = field(default_factory=dict)
    ja4: dict[str, Indicator] = field(default_factory=dict)
    urls: dict[str, Indicator] = field(default_factory=dict)
    hashes: dict[str, Indicator] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    _url_index: dict[str, Indicator] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return (
            len(self.ips)
            + len(self.networks)
            + len(self.domains)
            + len(self.ja4)
            + len(self.urls)
            + len(self.hashes)
        )

    def add(self, ind: Indicator) -> None:
        if ind.type == "ip":
            self.ips.setdefault(ind.value, ind)
        elif ind.type == "cidr":
            self.networks.add(ipaddress.ip_network(ind.value), ind)
        else:
            table = {
                "domain": self.domains,
                "ja4": self.ja4,
                "url": self.urls,
                "hash": self.hashes,
            }[ind.type]
            table.setdefault(ind.value, ind)

    def merge(self, other: Indicators) -> Indicators:
        for table in ("ips", "domains", "ja4", "urls", "hashes"):
            mine, theirs = getattr(self, table), getattr(other, table)
            for key, ind in theirs.items():
                mine.setdefault(key, ind)
        for network, ind in other.networks.items():
            self.networks.add(network, ind)
        self.problems.extend(other.problems)
        return self

    def match_ip(self, ip: str) -> Indicator | None:
        """The entry for `ip` itself, else the most specific listed network holding it."""
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            return None
        found = self.ips.get(str(addr))
        if found is not None:
            return found
        hit = self.networks.longest(str(addr))
        return None if hit is None else hit[1]

    def match_domain(self, name: str) -> Indicator | None:
        """The listed domain `name` is or is under ('' names and bare TLDs never match)."""
        labels = name.strip().rstrip(".").lower().split(".")
        for i in range(len(labels) - 1):
            found = self.domains.get(".".join(labels[i:]))
            if found is not None:
                return found
        return None

    def match_ja4(self, ja4: str) -> Indicator | None:
        return self.ja4.get(ja4.strip().lower()) if ja4 else None

    def match_url(self, url: str) -> Indicator | None:
        """The listed URL `url` is (scheme and host case, default ports and a bare path ignored)."""
        if not self.urls:
            return None
        if not self._url_index or len(self._url_index) != len(self.urls):
            self._url_index = {url_key(u): ind for u, ind in self.urls.items()}
        return self._url_index.get(url_key(url))

    def match_hash(self, value: str) -> Indicator | None:
        return self.hashes.get(value.strip().lower()) if value else None


# -- one value ---------------------------------------------------------------------------------


def classify_value(text: str) -> tuple[str, str]:
    """(type, normalized value) of one indicator, or raise ValueError saying why not."""
    value = text.strip()
    if not value:
        raise ValueError("empty entry")
    if "://" in value:
        parts = urlsplit(value)
        if not parts.hostname:
            raise ValueError("URL without a host")
        return "url", value
    bare = value
    if bare.startswith("[") and "]" in bare:  # nDPI writes IPv6 in brackets: [2001:db8::1]/127
        inside, _, rest = bare[1:].partition("]")
        bare = inside + rest
    if "/" in bare:
        try:
            net = ipaddress.ip_network(bare, strict=False)
        except ValueError:
            raise ValueError("not an IP network") from None
        if net.num_addresses == 1:
            return "ip", str(net.network_address)
        return "cidr", str(net)
    try:
        return "ip", str(ipaddress.ip_address(bare))
    except ValueError:
        pass
    lower = value.lower().rstrip(".")
    if _JA4.match(lower):
        return "ja4", lower
    if _HASH.match(lower):
        return "hash", lower
    if lower.startswith("*."):
        lower = lower[2:]
    try:
        lower = lower.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError("not a valid domain name") from None
    if _DOMAIN.match(lower):
        return "domain", lower
    raise ValueError("not an IP address, network, domain, URL, JA4 or hash")


def url_key(url: str) -> str:
    """A URL as compared: lower-case scheme and host, no default port, '/' for an empty path."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url.strip()
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if port is not None and port != {"http": 80, "https": 443}.get(scheme):
        host = f"{host}:{port}"
    query = f"?{parts.query}" if parts.query else ""
    return f"{scheme}://{host}{parts.path or '/'}{query}"


def _url_ip(url: str) -> str:
    host = urlsplit(url).hostname or ""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return ""


def _add_value(
    out: Indicators, feed: str, category: str, line_no: int, raw: str, note: str = ""
) -> None:
    kind, value = classify_value(raw)
    out.add(Indicator(value, kind, feed, category, line_no, raw.strip(), note))
    if kind == "url":
        ip = _url_ip(value)
        if ip:
            out.add(Indicator(ip, "ip", feed, category, line_no, raw.strip(), note))


def category_from_name(name: str) -> str:
    lower = name.lower()
    return next((cat for hint, cat in _NAME_HINTS if hint in lower), "unknown")


# -- whole feeds -------------------------------------------------------------------------------


def parse_feed(text: str, feed: str, category: str = "") -> Indicators:
    """Read one feed of any supported format. `feed` names it in matches and problems;
    `category` overrides what the feed or its name says ("malware", "c2", "phishing")."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("{"):
        return parse_stix(text, feed, category)
    if _looks_like_csv(text):
        return parse_abusech_csv(text, feed, category)
    return parse_list(text, feed, category)


def _looks_like_csv(text: str) -> bool:
    """Quoted CSV rows, or unquoted ones under a `# a,b,c` header naming a known column (the
    SSL Blacklist writes `2024-01-01 10:00:00,<sha1>,Dridex C&C`)."""
    header: list[str] = []
    for line in text.splitlines()[:200]:
        s = line.strip()
        if not s:
            continue
        if s.startswith("#"):
            head = s.lstrip("#").strip()
            if "," in head:
                header = [c.strip().strip('"').lower() for c in head.split(",")]
            continue
        if s.startswith('"') and '","' in s.replace('", "', '","'):
            return True
        known = set(_CSV_VALUE_COLUMNS) | set(_CSV_HASH_COLUMNS)
        return bool(known & set(header)) and s.count(",") == len(header) - 1
    return False


def parse_list(text: str, feed: str, category: str = "") -> Indicators:
    """Plain lists, hosts files, AdBlock `||domain^` lines and nDPI category files."""
    out = Indicators()
    default = category or category_from_name(feed)
    for line_no, line in enumerate(text.splitlines(), 1):
        s = line.split("#", 1)[0].strip() if not line.lstrip().startswith("||") else line.strip()
        if not s or s[0] in ";!" or (s.startswith("[") and s.endswith("]") and " " in s):
            continue  # comments and AdBlock section headers like [Adblock Plus 2.0]
        cat = default
        try:
            if s.startswith("||"):
                name = s[2:].split("^", 1)[0].split("$", 1)[0]
                if "/" in name or "*" in name:
                    raise ValueError("AdBlock rule with a path or wildcard")
                _add_value(out, feed, cat, line_no, name)
                continue
            fields = s.split()
            if len(fields) == 2 and fields[1].isdigit():  # nDPI: value<TAB>category id
                if not category and fields[1] == NDPI_CATEGORY_MALWARE:
                    cat = "malware"
                _add_value(out, feed, cat, line_no, fields[0], note=f"nDPI category {fields[1]}")
                continue
            if len(fields) >= 2 and _is_ip(fields[0]):  # hosts file: address name [aliases]
                for name in fields[1:]:
                    if name.lower() not in LOCAL_NAMES and not _is_unspecified(name):
                        _add_value(out, feed, cat, line_no, name)
                continue
            if len(fields) != 1:
                raise ValueError("more than one value on the line")
            _add_value(out, feed, cat, line_no, fields[0])
        except ValueError as exc:
            out.problems.append(Problem(feed, line_no, line, str(exc)))
    return out


def _is_unspecified(text: str) -> bool:
    """'0.0.0.0' as a host name: some hosts files list the sink address itself."""
    try:
        return ipaddress.ip_address(text).is_unspecified
    except ValueError:
        return False


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


# Column name -> what it holds. ThreatFox says the type in `ioc_type`.
_CSV_VALUE_COLUMNS = ("url", "dst_ip", "ip", "ip_address", "domain", "host", "ioc_value")
# abuse.ch's SSL Blacklist lists certificates by "SHA1" and its JA3 list clients by "ja3_md5".
_CSV_HASH_COLUMNS = ("sha256_hash", "sha1_hash", "md5_hash", "sha1", "ja3_md5")
_CSV_NOTE_COLUMNS = (
    "malware",
    "malware_printable",
    "signature",
    "threat",
    "threat_type",
    "listingreason",
)


def _csv_category(row: dict[str, str], columns: list[str]) -> str:
    threat = (row.get("threat_type") or row.get("threat") or row.get("listingreason") or "").lower()
    if "c2" in threat or "c&c" in threat or "botnet_cc" in threat or "c2_status" in columns:
        return "c2"
    return "malware"  # every abuse.ch feed lists malware: downloads, C2s, samples


def parse_abusech_csv(text: str, feed: str, category: str = "") -> Indicators:
    out = Indicators()
    columns: list[str] = []
    for line_no, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if not s:
            continue
        if s.startswith("#"):
            # The header is the last comment line that lists columns.
            head = s.lstrip("#").strip()
            if "," in head:
                columns = [
                    c.strip().strip('"').strip().lower()
                    for c in next(csv.reader([head], skipinitialspace=True))
                ]
            continue
        try:
            cells = next(csv.reader([s], skipinitialspace=True, strict=True))
        except csv.Error as exc:
            out.problems.append(Problem(feed, line_no, line, f"unreadable CSV ({exc})"))
            continue
        if not columns:
            columns = [f"col{i}" for i in range(len(cells))]
        if len(cells) != len(columns):
            out.problems.append(
                Problem(
                    feed, line_no, line, f"{len(cells)} fields where the header has {len(columns)}"
                )
            )
            continue
        row = dict(zip(columns, (c.strip() for c in cells), strict=True))
        cat = category or _csv_category(row, columns)
        note = next((row[c] for c in _CSV_NOTE_COLUMNS if row.get(c) and row[c] != "None"), "")
        try:
            raw = next((row[c] for c in _CSV_VALUE_COLUMNS if row.get(c)), "")
            if raw and row.get("ioc_type", "") == "ip:port":
                raw = raw.rsplit(":", 1)[0]
            if raw:
                _add_value(out, feed, cat, line_no, raw, note)
            hashes = [row[c] for c in _CSV_HASH_COLUMNS if row.get(c)]
            for value in hashes:
                _add_value(out, feed, cat, line_no, value, note)
            if not raw and not hashes:
                raise ValueError("no ip, domain, url or hash column")
        except ValueError as exc:
            out.problems.append(Problem(feed, line_no, line, str(exc)))
    return out


_STIX_PATHS = {
    ("ipv4-addr", "value"),
    ("ipv6-addr", "value"),
    ("domain-name", "value"),
    ("url", "value"),
}


def _stix_line(text: str, obj: dict[str, object]) -> int:
    """The line an object starts on, found by its id (STIX ids are unique)."""
    ident = obj.get("id")
    pos = text.find(json.dumps(ident)) if isinstance(ident, str) else -1
    return text.count("\n", 0, pos) + 1 if pos >= 0 else 0


def _stix_category(obj: dict[str, object]) -> str:
    parts: list[str] = []
    for key in ("indicator_types", "labels", "name", "description"):
        value = obj.get(key)
        if isinstance(value, list):
            parts.extend(str(x) for x in value)
        elif value:
            parts.append(str(value))
    words = " ".join(parts).lower()
    if "c2" in words or "command and control" in words or "botnet" in words:
        return "c2"
    if "malicious-activity" in words or "compromised" in words or "malware" in words:
        return "malware"
    if "phish" in words:
        return "phishing"
    return "unknown"


def parse_stix(text: str, feed: str, category: str = "") -> Indicators:
    out = Indicators()
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        out.problems.append(Problem(feed, exc.lineno, exc.msg, "not valid JSON"))
        return out
    objects = doc.get("objects") if isinstance(doc, dict) else None
    if not isinstance(objects, list):
        if isinstance(doc, dict) and doc.get("type") == "indicator":
            objects = [doc]
        else:
            out.problems.append(Problem(feed, 1, "", "not a STIX bundle (no objects list)"))
            return out
    for obj in objects:
        if not isinstance(obj, dict) or obj.get("type") != "indicator":
            continue
        line_no = _stix_line(text, obj)
        pattern = obj.get("pattern")
        if obj.get("pattern_type", "stix") != "stix" or not isinstance(pattern, str):
            out.problems.append(Problem(feed, line_no, str(pattern)[:200], "not a STIX pattern"))
            continue
        cat = category or _stix_category(obj)
        note = str(obj.get("name") or "")
        terms = _STIX_TERM.findall(pattern)
        if not terms:
            out.problems.append(Problem(feed, line_no, pattern, "no comparison in the pattern"))
            continue
        for obj_type, path, op, raw in terms:
            value = raw.replace("\\'", "'").replace("\\\\", "\\")
            obj_type, path = obj_type.lower(), path.lower()
            try:
                if op != "=":
                    raise ValueError(f"operator {op} is not supported, only =")
                if obj_type == "file" and path.startswith("hashes."):
                    kind, norm = classify_value(value)
                    if kind != "hash":
                        raise ValueError("not a file hash")
                    out.add(Indicator(norm, "hash", feed, cat, line_no, value, note))
                    continue
                if (obj_type, path) not in _STIX_PATHS:
                    raise ValueError(f"{obj_type}:{path} is not supported")
                _add_value(out, feed, cat, line_no, value, note)
            except ValueError as exc:
                out.problems.append(Problem(feed, line_no, pattern, str(exc)))
    return out
