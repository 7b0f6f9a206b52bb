"""Blocklists: parse hosts files, plain domain lists, AdBlock-style domain rules, RPZ zones and
the eth-phishing-detect JSON config into one shape, counting (never misapplying) what they can't
express as a DNS rule. Pure: text in, a ParsedList out.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from lanward.lib.prefixes import LOCAL_RANGES, overlaps_any
from lanward.lib.prefixes import Network as IpNetwork

LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)")  # use with fullmatch: "$" accepts a "\n"
REGEX_RULE = re.compile(r"/.+/(\$[^/]*)?")  # /regex/ or /regex/$options: "$" may be inside
HOSTNAME = re.compile(r"(?:(?!-)[a-z0-9_-]{1,63}(?<!-)\.)+(?!-)[a-z0-9_-]{1,63}(?<!-)")
# AdBlock options that still make a rule apply to the whole domain (AdGuard DNS semantics).
DOMAIN_OPTIONS = {
    "important",
    "all",
    "document",
    "doc",
    "first-party",
    "1p",
    "popup",
    "third-party",
    "3p",
}
# What hosts files map to their own machine: never a block, never a complaint.
LOCAL_HOST_NAMES = {
    "localhost",
    "localhost.localdomain",
    "local",
    "broadcasthost",
    "ip6-localhost",
    "ip6-loopback",
    "ip6-localnet",
    "ip6-mcastprefix",
    "ip6-allnodes",
    "ip6-allrouters",
    "ip6-allhosts",
    "0.0.0.0",  # noqa: S104 - the "0.0.0.0 0.0.0.0" line of hosts files, not a bind
}
RPZ_ACTIONS = {
    ".": "nxdomain",
    "*.": "nodata",
    "rpz-passthru.": "passthru",
    "rpz-drop.": "drop",
    "rpz-tcp-only.": "tcp-only",
}


@dataclass
class RpzRule:
    action: str  # nxdomain, nodata, passthru, drop, tcp-only, local
    records: list[tuple[str, str]] = field(default_factory=list)  # (rdtype, rdata text) for "local"


@dataclass
class ParsedList:
    format: str
    block: set[str] = field(default_factory=set)
    allow: set[str] = field(default_factory=set)
    block_patterns: list[re.Pattern[str]] = field(default_factory=list)
    allow_patterns: list[re.Pattern[str]] = field(default_factory=list)
    # $important rules (AdGuard): a block that wins over list exceptions, an exception that wins
    # over those. Each is also in block/allow (or *_patterns) above.
    important: set[str] = field(default_factory=set)
    important_allow: set[str] = field(default_factory=set)
    important_patterns: list[re.Pattern[str]] = field(default_factory=list)
    important_allow_patterns: list[re.Pattern[str]] = field(default_factory=list)
    pattern_rules: dict[str, str] = field(default_factory=dict)  # regex source -> rule as written
    rpz: dict[str, RpzRule] = field(default_factory=dict)  # exact names
    rpz_wildcards: dict[str, RpzRule] = field(default_factory=dict)  # "*.x" stored under "x"
    # Addresses in an answer (RPZ rpz-ip triggers; IP and network lines of plain lists, "block")
    # and the client's own address (rpz-client-ip triggers).
    answer_ips: dict[IpNetwork, RpzRule] = field(default_factory=dict)
    client_ips: dict[IpNetwork, RpzRule] = field(default_factory=dict)
    accepted: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)

    def reject(self, reason: str, line: str) -> None:
        self.rejected[reason] += 1
        self.examples.setdefault(reason, line[:200])

    @property
    def size(self) -> int:
        return (
            len(self.block)
            + len(self.block_patterns)
            + len(self.rpz)
            + len(self.rpz_wildcards)
            + len(self.client_ips)
            # single addresses of plain lists are in `block` already
            + sum(
                1
                for n, r in self.answer_ips.items()
                if r.action != "block" or n.prefixlen < n.max_prefixlen
            )
        )


def normalize_domain(text: str) -> str | None:
    """A lower-case hostname without trailing dot, or None when it isn't one."""
    name = text.strip().lower().rstrip(".")
    if not name or len(name) > 253:
        return None
    if HOSTNAME.fullmatch(name):  # most lines of most lists: one regex, no exception raised
        return name
    try:
        ipaddress.ip_address(name)
        return name  # lists block raw IPs too; they match an IP-literal query name
    except ValueError:
        pass
    try:
        name = name.encode("idna").decode("ascii") if not name.isascii() else name
    except UnicodeError:
        return None
    labels = name.split(".")
    if len(labels) < 2 or not all(LABEL.fullmatch(label) for label in labels):
        return None
    return name


def detect_format(text: str) -> str:
    head = text[:20000]
    stripped = head.lstrip()
    if stripped.startswith("{"):
        return "eth-phishing-json"
    if re.search(r"^\$ORIGIN|\bSOA\b", head, re.M) and re.search(r"\bCNAME\b", head):
        return "rpz"
    lines = [
        ln.strip()
        for ln in head.splitlines()
        if ln.strip() and not ln.lstrip().startswith(("#", ";"))
    ]
    if any(ln.startswith(("[Adblock", "||", "@@", "!")) for ln in lines[:200]) or head.startswith(
        "[Adblock"
    ):
        return "adblock"
    if (
        lines
        and sum(1 for ln in lines[:200] if re.match(r"^(0\.0\.0\.0|127\.0\.0\.1|::1?|::)\s+\S", ln))
        > len(lines[:200]) / 2
    ):
        return "hosts"
    return "domains"


def parse(text: str, fmt: str | None = None) -> ParsedList:
    fmt = fmt or detect_format(text)
    parser = {
        "hosts": _parse_hosts,
        "domains": _parse_domains,
        "adblock": _parse_adblock,
        "rpz": _parse_rpz,
        "eth-phishing-json": _parse_eth_json,
    }.get(fmt)
    if parser is None:
        raise ValueError(f"unknown list format {fmt!r}")
    out = ParsedList(format=fmt)
    parser(text, out)
    return out


def _parse_hosts(text: str, out: ParsedList) -> None:
    addresses: set[str] = set()  # a hosts file repeats one address: check it once, not per line
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) < 2:
            out.reject("hosts line without an address and a name", raw)
            continue
        if parts[0] not in addresses:
            try:
                ipaddress.ip_address(parts[0])
            except ValueError:
                out.reject("hosts line not starting with an address", raw)
                continue
            addresses.add(parts[0])
        for name in parts[1:]:
            if name.lower().rstrip(".") in LOCAL_HOST_NAMES:
                continue
            domain = normalize_domain(name)
            if domain is None:
                out.reject("not a domain name", raw)
            elif domain.endswith(".localdomain"):
                continue
            else:
                out.block.add(domain)
                out.accepted += 1


def _parse_domains(text: str, out: ParsedList) -> None:
    """One name per line. An IP address line blocks that literal name and any answer holding
    the address; a network line (CIDR) blocks answers inside it (C2 address lists)."""
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("*."):
            line = line[2:]
        if "/" in line or ":" in line or line[-1:].isdigit():
            network = _answer_network(line)
            if network is not None:
                out.answer_ips.setdefault(network, RpzRule("block"))
                if network.num_addresses == 1:
                    out.block.add(str(network.network_address))
                out.accepted += 1
                continue
        domain = normalize_domain(line)
        if domain is None:
            out.reject("not a domain name", raw)
            continue
        out.block.add(domain)
        out.accepted += 1


def _answer_network(text: str) -> IpNetwork | None:
    """An address or network worth blocking in answers; None for anything else, and for the
    unspecified, loopback and private ones (those are rebinding's business, and a list line
    such as 0.0.0.0 or 10.0.0.0/8 must not black out the home)."""
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None
    if overlaps_any(network, LOCAL_RANGES):
        return None
    if network.prefixlen < (8 if network.version == 4 else 16):
        return None  # a whole /0../7 is a mistake, not a threat list entry
    return network


def _wildcard(pattern: str) -> re.Pattern[str]:
    """A host pattern with `*` as a regex matching the name or any name below it.

    A plain translation of each `*` to `[a-z0-9._-]*` backtracks polynomially in the number of
    stars, so one list rule with a handful of them lets any client stall the resolver with a long
    query name. Like fnmatch.translate, every `*` but the last finds the next literal part
    lazily inside a lookahead and then commits (lookaheads don't backtrack): linear time.
    """
    parts = pattern.split("*")
    body = [re.escape(parts[0])]
    for i, part in enumerate(parts[1:-1]):
        if part:
            body.append(f"(?=(?P<s{i}>[a-z0-9._-]*?{re.escape(part)}))(?P=s{i})")
    if len(parts) > 1:
        body.append("[a-z0-9._-]*" + re.escape(parts[-1]))
    return re.compile(rf"^(?:[a-z0-9_-]+\.)*{''.join(body)}$")


def _parse_adblock(text: str, out: ParsedList) -> None:
    for raw in text.splitlines():
        line = raw.strip()
        if (
            not line
            or line.startswith(("!", "[", "#"))
            and not line.startswith(("##", "#@#", "#?#"))
        ):
            continue
        if "##" in line or "#@#" in line or "#?#" in line or "#$#" in line:
            out.reject("cosmetic (element hiding) rule", raw)
            continue
        allow = line.startswith("@@")
        if allow:
            line = line[2:]
        if REGEX_RULE.fullmatch(line):
            out.reject("regular-expression rule", raw)
            continue
        rule, _, options = line.partition("$")
        names: set[str] = set()
        if options:
            names = {o.strip().lower().lstrip("~") for o in options.split(",")}
            if not names <= DOMAIN_OPTIONS:
                out.reject(
                    "rule limited to some requests ($"
                    + ",".join(sorted(names - DOMAIN_OPTIONS))
                    + ")",
                    raw,
                )
                continue
        important = "important" in names
        anchored = rule.startswith("||")
        host = rule[2:] if anchored else rule
        if host.endswith("^|"):
            host = host[:-2]
        elif host.endswith("^"):
            host = host[:-1]
        elif anchored and host.endswith("|"):
            host = host[:-1]
        if not host or any(ch in host for ch in "/:?=&|^") or (not anchored and "*" in host):
            out.reject("URL or path rule (not a whole domain)", raw)
            continue
        if "*" in host:
            if not re.fullmatch(r"[a-z0-9*._-]+", host.lower()) or host.strip("*.") == "":
                out.reject("wildcard rule too broad or malformed", raw)
                continue
            pattern = _wildcard(host.lower().strip("."))
            out.pattern_rules[pattern.pattern] = raw.strip()
            (out.allow_patterns if allow else out.block_patterns).append(pattern)
            if important:
                (out.important_allow_patterns if allow else out.important_patterns).append(pattern)
            out.accepted += 1
            continue
        domain = normalize_domain(host)
        if domain is None:
            out.reject("not a domain name", raw)
            continue
        (out.allow if allow else out.block).add(domain)
        if important:
            (out.important_allow if allow else out.important).add(domain)
        out.accepted += 1


def _parse_eth_json(text: str, out: ParsedList) -> None:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"the JSON list is not valid JSON ({exc.msg} at line {exc.lineno})"
        ) from exc
    except RecursionError as exc:
        raise ValueError("the JSON list is nested too deeply to be a list of domains") from exc
    if not isinstance(data, dict):
        raise ValueError("the JSON list must be an object with blacklist/whitelist arrays")
    for key in ("blacklist", "whitelist", "fuzzylist"):
        if not isinstance(data.get(key) or [], list):
            raise ValueError(f"the JSON list's {key!r} must be an array of domain names")
    for key, target in (("blacklist", out.block), ("whitelist", out.allow)):
        for item in data.get(key) or []:
            domain = normalize_domain(str(item)) if isinstance(item, str) else None
            if domain is None:
                out.reject(f"not a domain name in {key}", str(item))
            else:
                target.add(domain)
                out.accepted += 1
    fuzzy = data.get("fuzzylist") or []
    if fuzzy:
        out.rejected["fuzzy lookalike entries (checked by smart alerts, not DNS rules)"] += len(
            fuzzy
        )


def _parse_rpz(text: str, out: ParsedList) -> None:
    import dns.exception
    import dns.rdatatype
    import dns.zone

    try:
        zone = dns.zone.from_text(text, relativize=True, check_origin=False)
    except dns.exception.DNSException as exc:
        raise ValueError(f"the RPZ zone could not be read: {exc}") from exc
    for name, node in zone.nodes.items():
        owner = name.to_text().lower()
        if owner == "@":
            continue
        for rdataset in node.rdatasets:
            rdtype = dns.rdatatype.to_text(rdataset.rdtype)
            if rdtype in ("SOA", "NS"):
                continue
            table: dict[Any, RpzRule]
            trigger = re.search(r"\.(rpz-(?:client-ip|ip|nsdname|nsip))$", owner)
            if trigger and trigger.group(1) in ("rpz-ip", "rpz-client-ip"):
                try:
                    key: Any = rpz_network(owner[: trigger.start()])
                except ValueError as exc:
                    out.reject(f"{trigger.group(1)} trigger that is not an address ({exc})", owner)
                    continue
                table = out.answer_ips if trigger.group(1) == "rpz-ip" else out.client_ips
            elif trigger or owner.startswith("rpz-"):
                kind = owner.rsplit(".", 1)[-1]
                out.reject(
                    f"{kind} trigger (needs the name servers of a recursive lookup; lanward "
                    "forwards)",
                    f"{owner} {rdtype}",
                )
                continue
            else:
                target = owner[2:] if owner.startswith("*.") else owner
                table = out.rpz_wildcards if owner.startswith("*.") else out.rpz
                key = normalize_domain(target)
                if key is None:
                    out.reject("not a domain name", owner)
                    continue
            rule = table.get(key)
            for rdata in rdataset:
                text_value = rdata.to_text(origin=zone.origin, relativize=False)
                if rdtype == "CNAME" and text_value.lower() in RPZ_ACTIONS:
                    table[key] = RpzRule(RPZ_ACTIONS[text_value.lower()])
                else:
                    if rule is None or rule.action != "local":
                        rule = table[key] = RpzRule("local")
                    rule.records.append((rdtype, text_value))
            out.accepted += 1


def rpz_network(labels_text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """The network of an RPZ IP trigger's owner name (without `.rpz-ip`): the prefix length,
    then the address's parts in reverse, `zz` standing for the `::` of IPv6
    (draft-vixie-dnsop-dns-rpz 4.2): `32.2.0.0.10` is 10.0.0.2/32, `48.zz.db8.2001` 2001:db8::/48.
    """
    labels = labels_text.split(".")
    if len(labels) < 2 or not labels[0].isdigit():
        raise ValueError("no prefix length first")
    prefix, parts = int(labels[0]), labels[1:][::-1]
    if len(parts) == 4 and all(p.isdigit() for p in parts):
        text = ".".join(parts)
    else:
        groups = ["" if p == "zz" else p for p in parts]
        if groups and groups[0] == "":
            groups.insert(0, "")
        if groups and groups[-1] == "":
            groups.append("")
        text = ":".join(groups)
    network = ipaddress.ip_network(f"{text}/{prefix}", strict=False)
    if prefix < 1 or prefix > network.max_prefixlen:
        raise ValueError(f"prefix length {prefix}")
    return network
