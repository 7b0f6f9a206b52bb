"""Events built directly as dataclasses, and a rule set run over them."""

from __future__ import annotations

from lanward.engine.events import AppEvent, DnsQuery, FlowKey, HttpTransaction, TlsClientHello
from lanward.engine.rules import FlowStates, RuleSet, Variables

CLIENT = "192.168.1.20"
SERVER = "93.184.216.34"


def flow(
    src: str = CLIENT,
    dst: str = SERVER,
    sport: int = 50000,
    dport: int = 80,
    protocol: int = 6,
    flow_id: int = 1,
) -> FlowKey:
    return FlowKey(
        src, sport, dst, dport, protocol, "02:00:00:00:00:01", "02:00:00:00:00:02", flow_id
    )


def http(
    uri: str = "/",
    method: str = "GET",
    host: str = "example.com",
    user_agent: str | None = "Mozilla/5.0",
    key: FlowKey | None = None,
    headers: tuple[tuple[str, str], ...] | None = None,
) -> HttpTransaction:
    if headers is None:
        headers = (("Host", host),) if host else ()
        if user_agent is not None:
            headers += (("User-Agent", user_agent),)
    return HttpTransaction(
        key or flow(),
        1_700_000_000_000,
        method,
        uri,
        "HTTP/1.1",
        host=host,
        user_agent=user_agent or "",
        request_headers=headers,
    )


def dns(name: str, key: FlowKey | None = None, qtype: str = "A") -> DnsQuery:
    return DnsQuery(key or flow(dport=53, protocol=17), 1_700_000_000_000, name, qtype)


def tls(
    sni: str = "", ja3: str = "", ja3_hash: str = "", key: FlowKey | None = None
) -> TlsClientHello:
    return TlsClientHello(key or flow(dport=443), 1_700_000_000_000, sni, "TLS 1.3", ja3, ja3_hash)


def ruleset(text: str, home: tuple[str, ...] = ("192.168.0.0/16",)) -> RuleSet:
    rules = RuleSet(Variables.for_home(home))
    rules.add_text(text, "test.rules")
    return rules


def sids(text: str, *events: AppEvent, home: tuple[str, ...] = ("192.168.0.0/16",)) -> list[int]:
    """The sids that alert, in order, over the events (flowbits kept across them)."""
    rules = ruleset(text, home)
    report = rules.report.files[0]
    assert not report.malformed and not report.skipped, report.summary()
    states = FlowStates()
    out: list[int] = []
    for event in events:
        out.extend(m.rule.sid for m in rules.match(event, states))
    return out


def uri_rule(options: str, sid: int = 1) -> str:
    return f'alert http any any -> any any (msg:"t"; {options} sid:{sid};)'
