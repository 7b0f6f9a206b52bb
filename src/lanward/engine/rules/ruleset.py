"""A loaded rule set and the matching of application-layer events against it.

Rules are tried in Suricata's order (rules that set flowbits before rules that test them, then
by priority), so a flowbit set by one rule is seen by the next rule on the same transaction.
Flowbits live in a `FlowStates` table the caller owns (the Signatures addon), keyed by
`FlowKey.flow_id`, bounded so a long capture cannot grow it without end.
"""

from __future__ import annotations

import ipaddress
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources

from lanward.engine.events import AppEvent, FlowKey, HttpTransaction, MailTransaction
from lanward.engine.rules.addresses import Group, Variables
from lanward.engine.rules.buffers import EVENT_TYPES, TRANSFORMS, extract_all
from lanward.engine.rules.compile import Malformed, Unsupported, compile_rule
from lanward.engine.rules.inspect import inspect
from lanward.engine.rules.reader import parse_rule, rule_texts
from lanward.engine.rules.report import FileReport, LoadReport, Problem, Skipped
from lanward.engine.rules.rule import Rule
from lanward.engine.rules.threshold import Thresholds

BUILTIN_SOURCE = "lanward.rules"
EVENT_KIND = {event_type: kind for kind, event_type in EVENT_TYPES.items()}


@dataclass
class Match:
    rule: Rule
    buffer: str  # the first buffer the rule inspects ("" when it has none)
    value: bytes
    buffers: dict[str, bytes] = field(default_factory=dict)
    to_client: bool = False  # matched on the response side of the transaction


@dataclass
class _FlowState:
    bits: set[str] = field(default_factory=set)


class FlowStates:
    """What matching keeps between events: flowbits per flow (the least recently used flow
    dropped past `limit`) and threshold/detection_filter counts."""

    def __init__(self, limit: int = 65_536) -> None:
        self.limit = limit
        self._flows: OrderedDict[object, _FlowState] = OrderedDict()
        self.thresholds = Thresholds(limit)

    def get(self, key: object) -> tuple[_FlowState, bool]:
        """(state, seen before)."""
        state = self._flows.get(key)
        if state is not None:
            self._flows.move_to_end(key)
            return state, True
        state = _FlowState()
        self._flows[key] = state
        if len(self._flows) > self.limit:
            self._flows.popitem(last=False)
        return state, False

    def __len__(self) -> int:
        return len(self._flows)


def flow_key(flow: FlowKey) -> object:
    if flow.flow_id:
        return flow.flow_id
    return (flow.src_ip, flow.src_port, flow.dst_ip, flow.dst_port, flow.protocol)


class RuleSet:
    def __init__(self, variables: Variables | None = None) -> None:
        self.variables = variables or Variables.for_home()
        self.rules: list[Rule] = []
        self.report = LoadReport()
        self._by_event: dict[str, list[Rule]] = {}
        self._ids: dict[tuple[int, int], tuple[str, int]] = {}
        self._groups: dict[tuple[str, str], Group] = {}

    def add_text(self, text: str, source: str) -> FileReport:
        """Load the rules of one file's text; every rule not loaded is in the report."""
        started = time.perf_counter()
        report = FileReport(source)
        for rule_text in rule_texts(text):
            try:
                parsed = parse_rule(rule_text)
            except ValueError as exc:
                report.malformed.append(Problem(rule_text.line, str(exc)))
                continue
            if parsed.action != "alert":
                report.skipped.append(
                    Skipped(parsed.line, parsed.sid, (f"action {parsed.action}",))
                )
                continue
            try:
                rule = compile_rule(
                    parsed.header, parsed.options, self.variables, source, parsed.line, self._groups
                )
            except Unsupported as exc:
                report.skipped.append(Skipped(parsed.line, parsed.sid, tuple(exc.keywords)))
                continue
            except Malformed as exc:
                report.malformed.append(Problem(parsed.line, str(exc)))
                continue
            first = self._ids.get((rule.gid, rule.sid))
            if first is not None and first[0] == BUILTIN_SOURCE != source:
                self._replace_builtin(rule, parsed.line)
                first = None
            if first is not None:
                report.malformed.append(
                    Problem(
                        parsed.line,
                        f"sid {rule.sid} is already used ({first[0]} line {first[1]})",
                    )
                )
                continue
            self._ids[(rule.gid, rule.sid)] = (source, parsed.line)
            self.rules.append(rule)
            report.loaded += 1
        report.seconds = time.perf_counter() - started
        self.report.files.append(report)
        self._order()
        return report

    def _replace_builtin(self, rule: Rule, line: int) -> None:
        """A rule file's rule wins over lanward's own rule with the same sid."""
        old = next(r for r in self.rules if (r.gid, r.sid) == (rule.gid, rule.sid))
        self.rules.remove(old)
        builtin = next(f for f in self.report.files if f.source == BUILTIN_SOURCE)
        builtin.loaded -= 1
        builtin.skipped.append(
            Skipped(old.line, old.sid, (f"sid taken by {rule.source} line {line}",))
        )

    def add_builtin(self) -> FileReport:
        text = resources.files(__package__).joinpath(BUILTIN_SOURCE).read_text(encoding="utf-8")
        return self.add_text(text, BUILTIN_SOURCE)

    def _order(self) -> None:
        ordered = sorted(self.rules, key=lambda r: (r.flowbits_rank, r.priority))
        self._by_event = {}
        for rule in ordered:
            for kind in (rule.event, *rule.also):
                self._by_event.setdefault(kind, []).append(rule)

    def __len__(self) -> int:
        return len(self.rules)

    def match(self, event: AppEvent, flows: FlowStates) -> list[Match]:
        kind = EVENT_KIND.get(type(event))
        if kind is None:
            return []
        rules = self._by_event.get(kind)
        if not rules:
            return []
        flow = event.flow
        state, seen = flows.get(flow_key(flow))
        established = flow.protocol == 6 or seen
        ctx = _Context(event, flow)
        out = []
        http_version = 0
        if isinstance(event, HttpTransaction):
            http_version = 2 if event.version.startswith("HTTP/2") else 1
        for rule in rules:
            if rule.transport and rule.transport != flow.protocol:
                continue
            if rule.http_version and rule.http_version != http_version:
                continue  # `alert http1` / `alert http2`: that version only
            if rule.mail_protocol and (
                not isinstance(event, MailTransaction) or event.protocol != rule.mail_protocol
            ):
                continue  # `alert smtp`: mail sent over SMTP only
            if rule.established is not None and rule.established != established:
                continue
            if not _flowbits_hold(rule, state.bits):
                continue
            found = None
            for side in (False, True) if rule.to_client is None else (rule.to_client,):
                found = ctx.inspect(rule, side)
                if found is not None:
                    break
            if found is None:
                continue
            for op, name in rule.flowbit_actions:
                if op == "set":
                    state.bits.add(name)
                elif op == "unset":
                    state.bits.discard(name)
                elif name in state.bits:
                    state.bits.discard(name)
                else:
                    state.bits.add(name)
            if rule.noalert:
                continue
            if rule.thresholds and not _thresholds_allow(rule, found, flow, flows, event.ts_ms):
                continue
            out.append(found)
        return out


def _thresholds_allow(
    rule: Rule, match: Match, flow: FlowKey, flows: FlowStates, ts_ms: int
) -> bool:
    """threshold/detection_filter, tracking the alert's own source and destination."""
    src, dst = (flow.dst_ip, flow.src_ip) if match.to_client else (flow.src_ip, flow.dst_ip)
    allowed = True
    for limit in rule.thresholds:
        # Every limit counts the match, even when an earlier one already said no.
        counted = flows.thresholds.allow(
            (rule.gid, rule.sid), limit, src, dst, flow_key(flow), ts_ms
        )
        allowed = allowed and counted
    return allowed


def _flowbits_hold(rule: Rule, bits: set[str]) -> bool:
    for op, names in rule.flowbit_checks:
        if op == "isset" and not any(n in bits for n in names):
            return False
        if op == "isnotset" and all(n in bits for n in names):
            return False
    return True


class _Context:
    """One event's addresses and buffers, each worked out once for all rules."""

    def __init__(self, event: AppEvent, flow: FlowKey) -> None:
        self.event = event
        self.flow = flow
        self.src = _ip(flow.src_ip)
        self.dst = _ip(flow.dst_ip)
        self.values: dict[tuple[str, tuple[str, ...], bool], tuple[bytes, ...] | None] = {}
        self.lowered: dict[tuple[str, tuple[str, ...], bool], tuple[bytes, ...]] = {}
        self.membership: dict[tuple[int, object], bool] = {}  # (group, address or port) -> in it

    def addresses_match(self, rule: Rule, to_client: bool) -> bool:
        """The header against the packet's direction: client -> server, or the reverse for the
        response."""
        f = self.flow
        forward = (self.src, f.src_port, self.dst, f.dst_port)
        reverse = (self.dst, f.dst_port, self.src, f.src_port)
        first, second = (reverse, forward) if to_client else (forward, reverse)
        if self._header_matches(rule, *first):
            return True
        return rule.bidirectional and self._header_matches(rule, *second)

    def _in(self, group: Group, value: object) -> bool:
        key = (id(group), value)
        hit = self.membership.get(key)
        if hit is None:
            hit = self.membership[key] = value in group
        return hit

    def _header_matches(self, rule: Rule, src: object, sport: int, dst: object, dport: int) -> bool:
        return (
            self._in(rule.src, src)
            and self._in(rule.src_ports, sport)
            and self._in(rule.dst, dst)
            and self._in(rule.dst_ports, dport)
        )

    def value(
        self, name: str, transforms: Iterable[str], to_client: bool
    ) -> tuple[bytes, ...] | None:
        """The buffer's values: one, or one per item of a multi-buffer (tls.certs)."""
        key = (name, tuple(transforms), to_client)
        if key not in self.values:
            values = extract_all(name, self.event, to_client)
            if values is not None and key[1]:
                changed = []
                for data in values:
                    for transform in key[1]:
                        data = TRANSFORMS[transform](data)
                    changed.append(data)
                values = tuple(changed)
            self.values[key] = values
        return self.values[key]

    def inspect(self, rule: Rule, to_client: bool) -> Match | None:
        """The rule on one side of the event: its fast pattern first, then the header, then
        every keyword."""
        if rule.prefilter is not None:
            index, pattern, nocase = rule.prefilter
            spec = rule.buffers[index]
            values = self.value(spec.name, spec.transforms, to_client)
            if values is None:
                return None
            if nocase:
                key = (spec.name, tuple(spec.transforms), to_client)
                lowered = self.lowered.get(key)
                if lowered is None:
                    lowered = self.lowered[key] = tuple(v.lower() for v in values)
                values = lowered
            if not any(pattern in v for v in values):
                return None
        if not self.addresses_match(rule, to_client):
            return None
        seen: dict[str, bytes] = {}
        for spec in rule.buffers:
            values = self.value(spec.name, spec.transforms, to_client)
            if values is None:
                return None
            hit = next((v for v in values if inspect(spec.matchers, v)), None)
            if hit is None:
                return None
            seen[spec.name] = hit
        if rule.buffers:
            first = rule.buffers[0].name
            return Match(rule, first, seen[first], seen, to_client)
        return Match(rule, "", b"", {}, to_client)


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def load_rules(
    sources: Iterable[tuple[str, str]],
    variables: Variables | None = None,
    builtin: bool = True,
) -> RuleSet:
    """A rule set from (name, text) pairs, lanward's own rules first unless builtin=False."""
    rules = RuleSet(variables)
    if builtin:
        rules.add_builtin()
    for name, text in sources:
        rules.add_text(text, name)
    return rules
