"""Suricata/Snort signatures over application-layer events (engine/rules/).

`EngineConfig.rules` is the compiled rule set (`lanward analyze --rules FILE` builds one with
lanward's own rules plus the files); None means lanward's own rules (engine/rules/lanward.rules)
only. Each matching rule gives one alert per transaction (HTTP request, DNS query, TLS hello,
the server's TLS answer): severity from the rule's priority (1 high, 2 medium, 3 low, else
info), kind from its classtype (attacks on web applications `web_attack`, everything else
`network_protection`), and the device is the home side of the flow.
"""

from __future__ import annotations

import re
from typing import Any

from lanward.engine.detect.alerts import HomeNets, alert
from lanward.engine.devices import DEFAULT_HOME_NETS
from lanward.engine.events import (
    AppEvent,
    DnsQuery,
    HttpTransaction,
    MailTransaction,
    SmbTransaction,
    TlsClientHello,
    TlsServerHello,
)
from lanward.engine.rules import FlowStates, Match, RuleSet, Variables

MAX_VALUE = 300  # characters of the matched buffer kept in the evidence

BUFFER_WORDS = {
    "http.uri": "the URL",
    "http.uri.raw": "the URL",
    "http.host": "the host name",
    "http.host.raw": "the host name",
    "http.user_agent": "the User-Agent",
    "http.method": "the request method",
    "http.request_body": "the request body",
    "http.response_body": "the response body",
    "file.data": "the transferred content (a download, a mail attachment or a file on a share)",
    "http.header": "the HTTP headers",
    "http.stat_code": "the response status",
    "dns.query": "the DNS query",
    "tls.sni": "the TLS server name",
    "ja3.hash": "the TLS fingerprint (JA3)",
    "ja3.string": "the TLS fingerprint (JA3)",
    "ja3s.hash": "the server's TLS fingerprint (JA3S)",
    "ja3s.string": "the server's TLS fingerprint (JA3S)",
    "tls.cert_subject": "the server certificate's subject",
    "tls.cert_issuer": "the server certificate's issuer",
    "tls.cert_serial": "the server certificate's serial number",
    "tls.cert_fingerprint": "the server certificate's fingerprint",
    "tls.certs": "a certificate of the server's chain",
}


# Secrets a matched buffer may hold (HTTP headers and form bodies are inspected whole): masked
# before anything is shown or stored, so an alert never carries a password or a session.
_SECRET_HEADER = re.compile(
    r"(?im)^((?:proxy-)?authorization|cookie|set-cookie|x-api-key|x-auth-token)(\s*:\s*)[^\r\n]*"
)
_SECRET_FIELD = re.compile(r"(?i)\b([\w.-]*(?:pass|pwd|secret|token|session|auth)[\w.-]*=)[^&\s]*")


def _masked(text: str) -> str:
    text = _SECRET_HEADER.sub(lambda m: f"{m.group(1)}{m.group(2)}[hidden]", text)
    return _SECRET_FIELD.sub(lambda m: f"{m.group(1)}[hidden]", text)


def _shown(value: bytes) -> str:
    text = _masked(value.decode("latin-1"))
    return text if len(text) <= MAX_VALUE else text[:MAX_VALUE] + "..."


def _app(event: AppEvent) -> str:
    if isinstance(event, HttpTransaction):
        return "HTTP"
    if isinstance(event, DnsQuery):
        return "DNS"
    if isinstance(event, TlsClientHello | TlsServerHello):
        return "TLS"
    if isinstance(event, MailTransaction):
        return event.protocol.upper()
    if isinstance(event, SmbTransaction):
        return "SMB"
    return ""


class Signatures:
    def __init__(self) -> None:
        self.home = HomeNets()
        self.rules: RuleSet | None = None
        self.flows = FlowStates()

    def configure(self, config: Any) -> None:
        home_nets = tuple(config.home_nets)
        self.home = HomeNets(home_nets)
        self.feeds(config)
        self.flows = FlowStates()

    def feeds(self, config: Any) -> None:
        """New rules; flowbits already set stay set."""
        rules = getattr(config, "rules", None)
        self.rules = _builtin(tuple(config.home_nets)) if rules is None else rules

    def app_event(self, event: AppEvent) -> list[dict[str, Any]]:
        if self.rules is None:
            self.rules = _builtin(DEFAULT_HOME_NETS)
        return [self._alert(event, m) for m in self.rules.match(event, self.flows)]

    def _alert(self, event: AppEvent, match: Match) -> dict[str, Any]:
        flow = event.flow
        rule = match.rule
        if flow.src_ip in self.home or flow.dst_ip not in self.home:
            mac = flow.src_mac or flow.dst_mac
        else:
            mac = flow.dst_mac or flow.src_mac
        # A rule on the response reports it as the server's packet to the client (as Suricata).
        src, dst = (flow.dst_ip, flow.src_ip) if match.to_client else (flow.src_ip, flow.dst_ip)
        sport, dport = (
            (flow.dst_port, flow.src_port) if match.to_client else (flow.src_port, flow.dst_port)
        )
        where = BUFFER_WORDS.get(match.buffer, "the traffic")
        summary = f'{src} -> {dst}: "{rule.msg}" (signature {rule.sid}'
        summary += f", {where}: {_shown(match.value)})" if match.buffer else ")"
        evidence: dict[str, Any] = {
            "sid": rule.sid,
            "gid": rule.gid,
            "rev": rule.rev,
            "msg": rule.msg,
            "classtype": rule.classtype,
            "priority": rule.priority,
            "source": rule.source,
            "line": rule.line,
            "buffer": match.buffer,
            "value": _shown(match.value),
            "src_port": sport,
            "dst_port": dport,
        }
        if len(match.buffers) > 1:
            evidence["buffers"] = {name: _shown(v) for name, v in match.buffers.items()}
        if rule.metadata:
            evidence["metadata"] = list(rule.metadata)
        if rule.references:
            evidence["references"] = list(rule.references)
        return alert(
            "signature",
            rule.severity,
            event.ts_ms,
            src,
            dst,
            mac,
            summary,
            app=_app(event),
            evidence=evidence,
            kind=rule.kind,
        )


def _builtin(home_nets: tuple[str, ...]) -> RuleSet:
    rules = RuleSet(Variables.for_home(home_nets))
    rules.add_builtin()
    return rules
