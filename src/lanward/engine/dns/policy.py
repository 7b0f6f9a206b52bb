"""Which names are blocked for whom: lists by category, allowlist, exceptions, RPZ.

Pure: the resolver hands in a query name and the client's profile and gets a Decision back.
Order: allowlist and per-device exceptions first, then $important list rules (exceptions before
blocks), then list exceptions (@@, whitelists), then RPZ QNAME triggers, then blocklists of the
categories the client's profile blocks. Address triggers are separate questions: the client's
address (`decide_client`, RPZ rpz-client-ip, asked before the name) and the addresses of the
upstream's answer (`decide_answer`: RPZ rpz-ip, IP and network lines of lists; asked when the
name was not explicitly allowed).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from lanward.engine.dns.lists import ParsedList, RpzRule
from lanward.lib.prefixes import PrefixTable

CATEGORIES = (
    "malware",
    "phishing",
    "scam",
    "ads",
    "trackers",
    "adult",
    "gambling",
    "social",
    "custom",
)


@dataclass(frozen=True)
class BlockList:
    name: str
    category: str
    parsed: ParsedList


@dataclass(frozen=True)
class Decision:
    action: (
        str  # "allow", "block" or an RPZ action (nxdomain, nodata, drop, tcp-only, local, passthru)
    )
    list_name: str = ""
    category: str = ""
    rule: str = ""  # the matching name (or pattern)
    rpz: RpzRule | None = None
    reason: str = ""

    @property
    def blocked(self) -> bool:
        return self.action not in ("allow", "passthru")


ALLOW = Decision("allow")


@dataclass(frozen=True)
class Profile:
    """What one client may resolve: blocked categories and its own exceptions."""

    blocked_categories: frozenset[str] = frozenset(CATEGORIES)
    allow: frozenset[str] = frozenset()
    block: frozenset[str] = frozenset()
    safe_search: bool = False
    paused: bool = False  # the household blocked the device: every lookup is refused


# Safe-search endpoints the search engines and YouTube publish for networks that enforce it.
SAFE_SEARCH = {
    "www.bing.com": "strict.bing.com",
    "bing.com": "strict.bing.com",
    "duckduckgo.com": "safe.duckduckgo.com",
    "www.duckduckgo.com": "safe.duckduckgo.com",
    "www.youtube.com": "restrict.youtube.com",
    "m.youtube.com": "restrict.youtube.com",
    "youtubei.googleapis.com": "restrict.youtube.com",
    "youtube.googleapis.com": "restrict.youtube.com",
    "www.youtube-nocookie.com": "restrict.youtube.com",
}


def safe_search_target(name: str) -> str:
    """The safe-search host to send `name` to, or "" (www.google.<any TLD> included)."""
    if name in SAFE_SEARCH:
        return SAFE_SEARCH[name]
    labels = name.split(".")
    if len(labels) >= 2 and (
        labels[0] == "google" or (labels[0] == "www" and labels[1] == "google")
    ):
        return "forcesafesearch.google.com"
    return ""


def suffixes(name: str) -> list[str]:
    labels = name.lower().rstrip(".").split(".")
    return [".".join(labels[i:]) for i in range(len(labels))]


@dataclass
class Policy:
    lists: list[BlockList] = field(default_factory=list)
    allowlist: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        # One index over all lists: name -> bitmask of the lists that block (or allow) it.
        self.block_index: dict[str, int] = {}
        self.allow_index: dict[str, int] = {}
        self.important_index: dict[str, int] = {}
        self.important_allow_index: dict[str, int] = {}
        for i, bl in enumerate(self.lists):
            bit = 1 << i
            for names, index in (
                (bl.parsed.block, self.block_index),
                (bl.parsed.allow, self.allow_index),
                (bl.parsed.important, self.important_index),
                (bl.parsed.important_allow, self.important_allow_index),
            ):
                for name in names:
                    index[name] = index.get(name, 0) | bit
        # Address triggers, per list (the first list in order that matches decides).
        self.answer_tables = _tables(self.lists, "answer_ips")
        self.client_tables = _tables(self.lists, "client_ips")

    def _mask(self, profile: Profile) -> int:
        mask = 0
        for i, bl in enumerate(self.lists):
            if bl.category in profile.blocked_categories:
                mask |= 1 << i
        return mask

    def decide(self, qname: str, profile: Profile = Profile()) -> Decision:
        name = qname.lower().rstrip(".")
        if profile.paused:  # before any exception: a paused device gets no answers at all
            return Decision(
                "block",
                list_name="paused device",
                category="paused",
                rule=name,
                reason="this device is paused (blocked) by the household",
            )
        names = suffixes(name)
        if profile.safe_search:
            target = safe_search_target(name)
            if target:
                return Decision(
                    "local",
                    category="safe-search",
                    rule=name,
                    rpz=RpzRule("local", [("CNAME", target + ".")]),
                    reason=f"safe search is enforced: {name} goes to {target}",
                )
        for candidate in names:
            if candidate in profile.allow:
                return Decision("allow", reason=f"your exception for {candidate}", rule=candidate)
            if candidate in self.allowlist:
                return Decision("allow", reason=f"allowlist entry {candidate}", rule=candidate)
        for candidate in names:
            if candidate in profile.block:
                return Decision(
                    "block",
                    list_name="your blocklist",
                    category="custom",
                    rule=candidate,
                    reason=f"you blocked {candidate}",
                )
        mask = self._mask(profile)
        if not mask:
            return ALLOW
        for index, patterns, allow in (
            (self.important_allow_index, "important_allow_patterns", True),
            (self.important_index, "important_patterns", False),
            (self.allow_index, "allow_patterns", True),
        ):
            hit = self._match(name, names, mask, index, patterns)
            if hit is not None:
                return self._list_decision(allow, *hit)
        for i, bl in enumerate(self.lists):
            if not (mask >> i) & 1 or not (bl.parsed.rpz or bl.parsed.rpz_wildcards):
                continue
            rule = bl.parsed.rpz.get(name)
            matched = name
            if rule is None:
                for candidate in names[1:]:
                    rule = bl.parsed.rpz_wildcards.get(candidate)
                    if rule is not None:
                        matched = f"*.{candidate}"
                        break
            if rule is not None:
                return Decision(
                    rule.action,
                    list_name=bl.name,
                    category=bl.category,
                    rule=matched,
                    rpz=rule,
                    reason=f"RPZ {rule.action} in {bl.name}",
                )
        hit = self._match(name, names, mask, self.block_index, "block_patterns")
        return ALLOW if hit is None else self._list_decision(False, *hit)

    def decide_answer(self, addresses: Iterable[str], profile: Profile = Profile()) -> Decision:
        """An answer's A/AAAA addresses against the lists' address triggers (RPZ rpz-ip, IP and
        network lines): the first list (in order) with a network holding one of them decides,
        its most specific network first. Asked only when the name itself was not allowed."""
        return self._by_address(self.answer_tables, list(addresses), profile, "the answer")

    def decide_client(self, client: str, profile: Profile = Profile()) -> Decision:
        """The client's own address against RPZ rpz-client-ip triggers (they come before the
        name: a zone can drop, or pass, everything one client asks)."""
        return self._by_address(self.client_tables, [client], profile, "the client")

    def _by_address(
        self,
        tables: list[tuple[int, PrefixTable[RpzRule]]],
        addresses: list[str],
        profile: Profile,
        whose: str,
    ) -> Decision:
        mask = self._mask(profile)
        if not tables or not mask or not addresses:
            return ALLOW
        for i, table in tables:
            if not (mask >> i) & 1:
                continue
            for address in addresses:
                hit = table.longest(address)
                if hit is None:
                    continue
                network, rule = hit
                bl = self.lists[i]
                return Decision(
                    rule.action,
                    list_name=bl.name,
                    category=bl.category,
                    rule=f"{address} in {network}" if network.num_addresses > 1 else address,
                    rpz=rule,
                    reason=f"{whose} address {address} is on {bl.name} ({bl.category})",
                )
        return ALLOW

    def _match(
        self, name: str, names: list[str], mask: int, index: dict[str, int], patterns: str
    ) -> tuple[BlockList, str, bool] | None:
        """The first list (of those in `mask`) with a rule for `name`: exact names, most
        specific first, then wildcard patterns. -> (list, rule, is_pattern)"""
        for candidate in names:
            bits = index.get(candidate, 0) & mask
            if bits:
                return self._first(bits), candidate, False
        for i, bl in enumerate(self.lists):
            if not (mask >> i) & 1:
                continue
            pattern: re.Pattern[str]
            for pattern in getattr(bl.parsed, patterns):
                if pattern.match(name):
                    return bl, bl.parsed.pattern_rules.get(pattern.pattern, pattern.pattern), True
        return None

    @staticmethod
    def _list_decision(allow: bool, bl: BlockList, rule: str, is_pattern: bool) -> Decision:
        if allow:
            return Decision("allow", list_name=bl.name, rule=rule, reason=f"exception in {bl.name}")
        reason = (
            f"a wildcard rule on {bl.name} ({bl.category})"
            if is_pattern
            else f"{rule} is on {bl.name} ({bl.category})"
        )
        return Decision("block", list_name=bl.name, category=bl.category, rule=rule, reason=reason)

    def _first(self, bits: int) -> BlockList:
        index = (bits & -bits).bit_length() - 1
        return self.lists[index]

    @classmethod
    def build(cls, lists: Iterable[BlockList], allowlist: Iterable[str] = ()) -> Policy:
        return cls(list(lists), frozenset(a.lower().rstrip(".") for a in allowlist))


def _tables(lists: list[BlockList], field_name: str) -> list[tuple[int, PrefixTable[RpzRule]]]:
    out = []
    for i, bl in enumerate(lists):
        networks = getattr(bl.parsed, field_name)
        if networks:
            table: PrefixTable[RpzRule] = PrefixTable()
            for network, rule in networks.items():
                table.add(network, rule)
            out.append((i, table))
    return out
