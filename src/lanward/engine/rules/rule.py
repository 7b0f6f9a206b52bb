"""A compiled rule, and what its classtype and priority mean for lanward's alerts."""

from __future__ import annotations

from dataclasses import dataclass, field

from lanward.engine.rules.addresses import ANY, Group
from lanward.engine.rules.inspect import Matcher
from lanward.engine.rules.threshold import Threshold

# The standard Snort/Suricata classtypes and their default priorities (classification.config).
CLASSTYPE_PRIORITY = {
    "not-suspicious": 3,
    "unknown": 3,
    "bad-unknown": 2,
    "attempted-recon": 2,
    "successful-recon-limited": 2,
    "successful-recon-largescale": 2,
    "attempted-dos": 2,
    "successful-dos": 2,
    "attempted-user": 1,
    "unsuccessful-user": 1,
    "successful-user": 1,
    "attempted-admin": 1,
    "successful-admin": 1,
    "rpc-portmap-decode": 2,
    "shellcode-detect": 1,
    "string-detect": 3,
    "suspicious-filename-detect": 2,
    "suspicious-login": 2,
    "system-call-detect": 2,
    "tcp-connection": 4,
    "trojan-activity": 1,
    "unusual-client-port-connection": 2,
    "network-scan": 3,
    "denial-of-service": 2,
    "non-standard-protocol": 2,
    "protocol-command-decode": 3,
    "web-application-activity": 2,
    "web-application-attack": 1,
    "misc-activity": 3,
    "misc-attack": 2,
    "icmp-event": 3,
    "policy-violation": 1,
    "default-login-attempt": 2,
    "targeted-activity": 1,
    "exploit-kit": 1,
    "external-ip-check": 2,
    "domain-c2": 1,
    "pup-activity": 2,
    "credential-theft": 1,
    "social-engineering": 2,
    "coin-mining": 2,
    "command-and-control": 1,
    "sdf": 2,
    "file-format": 1,
    "malware-cnc": 1,
    "malware-other": 1,
    "malware-backdoor": 1,
    "malware-tools": 2,
    "client-side-exploit": 1,
    "server-side-exploit": 1,
}
DEFAULT_PRIORITY = 3
# Attacks on web applications (and privilege gains, which ET files attacks under) are web
# attacks; everything else a signature finds (malware, C2, policy, scans...) is network
# protection.
WEB_ATTACK_CLASSTYPES = frozenset(
    {
        "web-application-attack",
        "web-application-activity",
        "attempted-admin",
        "successful-admin",
        "attempted-user",
        "successful-user",
        "unsuccessful-user",
        "server-side-exploit",
    }
)


def severity_of(priority: int) -> str:
    return {1: "high", 2: "medium", 3: "low"}.get(priority, "info")


def kind_of(classtype: str) -> str:
    return "web_attack" if classtype in WEB_ATTACK_CLASSTYPES else "network_protection"


@dataclass
class BufferSpec:
    name: str
    transforms: list[str] = field(default_factory=list)
    matchers: list[Matcher] = field(default_factory=list)


@dataclass
class Rule:
    sid: int
    rev: int
    gid: int
    msg: str
    classtype: str
    priority: int
    metadata: tuple[str, ...]
    references: tuple[str, ...]
    source: str
    line: int
    event: str  # "http", "dns" or "tls": the event type the rule inspects
    transport: int = 0  # 6 or 17 when the header says tcp/udp, 0 for any
    http_version: int = 0  # 1 or 2 when the header says http1/http2, 0 for any HTTP
    mail_protocol: str = ""  # "smtp" when the header says smtp: mail sent, not fetched
    also: tuple[str, ...] = ()  # other event kinds the rule applies to (file.data: mail, smb)
    src: Group = ANY
    src_ports: Group = ANY
    dst: Group = ANY
    dst_ports: Group = ANY
    bidirectional: bool = False
    # The side of a transaction the rule inspects: False the request (header matched client ->
    # server), True the response (server -> client), None either (tried in that order).
    to_client: bool | None = False
    established: bool | None = None  # flow:established / not_established
    buffers: list[BufferSpec] = field(default_factory=list)
    flowbit_checks: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    flowbit_actions: list[tuple[str, str]] = field(default_factory=list)
    noalert: bool = False
    thresholds: list[Threshold] = field(default_factory=list)  # threshold, detection_filter
    prefilter: tuple[int, bytes, bool] | None = None  # (buffer index, pattern, nocase)

    @property
    def severity(self) -> str:
        return severity_of(self.priority)

    @property
    def kind(self) -> str:
        return kind_of(self.classtype)

    @property
    def flowbits_rank(self) -> int:
        """Suricata's order: rules that only set flowbits, then set-and-read, then readers."""
        sets, reads = bool(self.flowbit_actions), bool(self.flowbit_checks)
        if sets and not reads:
            return 0
        if sets and reads:
            return 1
        if reads:
            return 2
        return 3
