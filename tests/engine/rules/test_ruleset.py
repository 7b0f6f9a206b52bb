"""Loading (report of loaded, skipped and malformed rules), headers, flow, flowbits, events."""

from __future__ import annotations

import dataclasses
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lanward.engine.rules import FlowStates, RuleSet
from tests.engine.rules.util import dns, flow, http, ruleset, sids, tls, uri_rule

MIXED = """\
# a comment, then a blank line

alert http any any -> any any (msg:"fine"; http.uri; content:"/a"; sid:1;)
alert http any any -> any any (msg:"stat msg"; http.stat_msg; content:"x"; sid:2;)
drop http any any -> any any (msg:"drop"; http.uri; content:"/a"; sid:3;)
alert http any any -> any any (msg:"no sid"; http.uri; content:"/a";)
alert http any any -> any any (msg:"several"; content:"x"; http_raw_header; \\
    ssh.software; content:"x"; sid:5;)
alert http any any -> any any (msg:"broken hex"; http.uri; content:"|4|"; sid:6;)
this is not a rule
alert nfs any any -> any any (msg:"nfs"; sid:8;)
alert tcp any any -> any any (msg:"payload"; content:"x"; sid:9;)
alert http any any -> any any (msg:"dup"; http.uri; content:"/b"; sid:1;)
alert http any any -> any any (msg:"unclosed"; sid:11
alert http $NOPE any -> any any (msg:"var"; sid:12;)
alert http any any -> any any (msg:"within"; http.uri; content:"abcd"; content:"x"; within:0; sid:13;)
"""


def test_report_lists_each_rule_not_loaded_with_its_line() -> None:
    report = ruleset(MIXED).report.files[0]
    assert report.loaded == 1
    skipped = {s.line: (s.sid, s.reasons) for s in report.skipped}
    assert skipped == {
        4: (2, ("http.stat_msg",)),
        5: (3, ("action drop",)),
        7: (5, ("http.header.raw", "ssh.software")),  # both keywords, the rule starts on line 7
        11: (8, ("protocol nfs",)),
        12: (9, ("content on the packet payload",)),
    }
    malformed = {p.line: p.message for p in report.malformed}
    assert set(malformed) == {6, 9, 10, 13, 14, 15, 16}
    assert "no sid" in malformed[6]
    assert "hex" in malformed[9]
    assert "unknown action" in malformed[10]
    assert "already used (test.rules line 3)" in malformed[13]
    assert "parentheses" in malformed[14]
    assert "$NOPE" in malformed[15]
    assert "within 0 is shorter" in malformed[16]
    assert report.skipped_by_keyword()["http.header.raw"] == 1
    summary = report.summary()
    assert summary.startswith("test.rules: 1 rules loaded, 5 skipped (unsupported: ")
    assert "7 malformed (line 6: the rule has no sid" in summary


def test_a_skipped_rule_is_never_half_applied() -> None:
    rules = ruleset(uri_rule('http.uri; content:"/a"; http.stat_msg; content:"b";'))
    assert len(rules) == 0
    assert rules.match(http("/a"), FlowStates()) == []


@pytest.mark.parametrize(
    ("header", "event", "expected"),
    [
        ("$HOME_NET any -> $EXTERNAL_NET $HTTP_PORTS", http(), True),
        ("$HOME_NET any -> $EXTERNAL_NET $HTTP_PORTS", http(key=flow(dport=8080)), False),
        ("$EXTERNAL_NET any -> $HOME_NET any", http(), False),
        ("$EXTERNAL_NET any <> $HOME_NET any", http(), True),  # either direction
        ("any any -> any !$HTTP_PORTS", http(), False),
        ("any any -> any [1:1024,!80]", http(), False),
        ("any any -> any [1:1024,!443]", http(), True),
        ("any any -> any :80", http(), True),
        ("any any -> any 81:", http(), False),
        ("any 50000 -> any 80", http(), True),
        ("192.168.1.0/24 any -> any any", http(), True),
        ("[192.168.0.0/16,!192.168.1.20] any -> any any", http(), False),
        ("[192.168.0.0/16,!192.168.1.21] any -> any any", http(), True),
        ("![192.168.1.0/24] any -> any any", http(), False),
        ("192.168.1.10-192.168.1.30 any -> any any", http(), True),
        ("192.168.1.21-192.168.1.30 any -> any any", http(), False),
        ("any any -> [93.184.216.0/24, 10.0.0.1] any", http(), True),
        ("any any -> [10.0.0.0/8,[93.184.216.34,!1.1.1.1]] any", http(), True),
        ("any any -> ![10.0.0.0/8,![93.184.216.34]] any", http(), True),
        ("any any -> 2001:db8::/32 any", http(), False),
        ("$DNS_SERVERS any -> any any", http(), True),  # server groups are $HOME_NET
    ],
)
def test_header_addresses_and_ports(header: str, event: object, expected: bool) -> None:
    rule = f'alert http {header} (msg:"t"; http.uri; content:"/"; sid:1;)'
    assert (sids(rule, event) == [1]) is expected  # type: ignore[arg-type]


def test_home_net_follows_the_engine_home_networks() -> None:
    rule = 'alert http $HOME_NET any -> any any (msg:"t"; http.uri; content:"/"; sid:1;)'
    assert sids(rule, http(), home=("10.0.0.0/8",)) == []
    assert sids(rule, http(), home=("192.168.1.0/24",)) == [1]


@pytest.mark.parametrize(
    ("flow_option", "event", "expected"),
    [
        ("established,to_server", http("/e"), True),
        ("to_server, established", http("/e"), True),
        ("FROM_CLIENT", http("/e"), True),
        ("stateless", http("/e"), True),
        ("not_established", http("/e"), False),
        ("to_server", dns("example.com"), True),
        ("established", dns("example.com"), False),  # the first UDP packet of the flow
    ],
)
def test_flow(flow_option: str, event: object, expected: bool) -> None:
    buffer = "dns.query" if "dns" in type(event).__name__.lower() else "http.uri"
    proto = "dns" if buffer == "dns.query" else "http"
    rule = f'alert {proto} any any -> any any (msg:"t"; flow:{flow_option}; {buffer}; content:"e"; sid:1;)'
    assert (sids(rule, event) == [1]) is expected  # type: ignore[arg-type]


def test_to_client_with_a_request_buffer_is_reported() -> None:
    report = ruleset(uri_rule('flow:to_client; http.uri; content:"/";')).report.files[0]
    assert report.skipped[0].reasons == ("flow:to_client with http.uri",)


FLOWBITS = """\
alert http any any -> any any (msg:"admin after login"; http.uri; content:"/admin"; flowbits:isset,logged_in; sid:2;)
alert http any any -> any any (msg:"login"; http.uri; content:"/login"; flowbits:set,logged_in; flowbits:noalert; sid:1;)
alert http any any -> any any (msg:"logout"; http.uri; content:"/logout"; flowbits:unset,logged_in; noalert; sid:3;)
alert http any any -> any any (msg:"not yet"; http.uri; content:"/admin"; flowbits:isnotset,logged_in; sid:4;)
"""


def test_flowbits_across_transactions_of_one_flow() -> None:
    one, other = flow(flow_id=1), flow(flow_id=2, sport=50001)
    events = [
        http("/admin", key=one),  # 4: not logged in yet
        http("/login", key=one),  # sets the bit, no alert
        http("/admin", key=one),  # 2
        http("/admin", key=other),  # 4: another flow has its own bits
        http("/logout", key=one),  # unsets, no alert
        http("/admin", key=one),  # 4
    ]
    assert sids(FLOWBITS, *events) == [4, 2, 4, 4]


def test_a_flowbit_set_in_a_transaction_is_seen_by_later_rules_on_it() -> None:
    """Setters run first (Suricata's order), even when the file lists them last."""
    rules = (
        uri_rule('http.uri; content:"/x"; flowbits:isset,a;', 2)
        + "\n"
        + uri_rule('http.uri; content:"/x"; flowbits:set,a;', 1)
    )
    assert sorted(sids(rules, http("/x"))) == [1, 2]


def test_flowbits_toggle_and_or() -> None:
    rules = "\n".join(
        [
            uri_rule('http.uri; content:"/t"; flowbits:toggle,t; noalert;', 1),
            uri_rule('http.uri; content:"/q"; flowbits:isset,x|t;', 2),
            uri_rule('http.uri; content:"/q"; flowbits:isnotset,t;', 3),
            uri_rule('http.uri; content:"/q"; flowbits:isnotset,t|x;', 4),  # x is never set
        ]
    )
    events = [http("/q"), http("/t"), http("/q"), http("/t"), http("/q")]
    assert sids(rules, *events) == [3, 4, 2, 4, 3, 4]


def test_flowbit_names_must_be_one_for_set() -> None:
    report = ruleset(uri_rule('http.uri; content:"/"; flowbits:set,a|b;')).report.files[0]
    assert "takes one name" in report.malformed[0].message


def test_dns_tls_and_transforms() -> None:
    rules = "\n".join(
        [
            'alert dns any any -> any any (msg:"q"; dns.query; content:"evil.example"; endswith; sid:1;)',
            'alert dns any any -> any any (msg:"dot"; dns.query; dotprefix; content:".evil.example"; endswith; sid:2;)',
            'alert dns any any -> any any (msg:"old"; dns_query; content:"EVIL"; nocase; sid:3;)',
            'alert udp any any -> any 53 (msg:"udp"; dns.query; content:"evil"; sid:4;)',
            'alert tcp any any -> any 53 (msg:"tcp only"; dns.query; content:"evil"; sid:5;)',
            'alert tls any any -> any any (msg:"sni"; tls.sni; content:"evil.example"; sid:6;)',
            'alert tls any any -> any any (msg:"ja3"; ja3.hash; content:"e7d705a3286e19ea42f587b344ee6865"; sid:7;)',
            'alert tls any any -> any any (msg:"ja3 old"; ja3_hash; content:"e7d705a3286e19ea42f587b344ee6865"; sid:8;)',
            'alert tls any any -> any any (msg:"ja3 string"; ja3.string; content:"771,"; startswith; sid:9;)',
            'alert tls any any -> any any (msg:"sni upper"; tls.sni; to_uppercase; content:"EVIL"; sid:10;)',
            'alert http any any -> any any (msg:"no buffer, every request"; sid:11;)',
        ]
    )
    events = [
        dns("www.evil.example"),
        dns("notevil.example"),
        tls("evil.example", "771,4865-4866,0-23,29-23,0", "e7d705a3286e19ea42f587b344ee6865"),
        http("/"),
    ]
    assert sids(rules, *events) == [1, 2, 3, 4, 1, 3, 4, 6, 7, 8, 9, 10, 11]


def test_buffers_of_different_protocols_cannot_mix() -> None:
    text = 'alert tcp any any -> any any (msg:"t"; http.uri; content:"a"; tls.sni; content:"b"; sid:1;)'
    assert "mixes http and tls" in ruleset(text).report.files[0].malformed[0].message
    text = 'alert dns any any -> any any (msg:"t"; http.uri; content:"a"; sid:1;)'
    assert "cannot inspect http" in ruleset(text).report.files[0].malformed[0].message


def test_severity_and_kind_from_priority_and_classtype() -> None:
    rules = ruleset(
        "\n".join(
            [
                uri_rule('http.uri; content:"/"; classtype:web-application-attack;', 1),
                uri_rule('http.uri; content:"/"; classtype:trojan-activity; priority:3;', 2),
                uri_rule('http.uri; content:"/"; classtype:misc-activity;', 3),
                uri_rule('http.uri; content:"/"; classtype:tcp-connection;', 4),
                uri_rule('http.uri; content:"/"; classtype:bad-unknown;', 5),
            ]
        )
    )
    by_sid = {r.sid: (r.severity, r.kind) for r in rules.rules}
    assert by_sid == {
        1: ("high", "web_attack"),
        2: ("low", "network_protection"),
        3: ("low", "network_protection"),
        4: ("info", "network_protection"),
        5: ("medium", "network_protection"),
    }


def test_rule_fields_kept() -> None:
    text = (
        'alert http any any -> any any (msg:"ET TEST \\"quoted\\" msg"; http.uri; content:"/"; '
        "reference:url,example.com/x; reference:cve,2021-44228; classtype:attempted-admin; "
        "metadata:created_at 2024_01_01, signature_severity Major; gid:1; sid:2000001; rev:7;)"
    )
    rule = ruleset(text).rules[0]
    assert (rule.sid, rule.rev, rule.gid, rule.priority) == (2000001, 7, 1, 1)
    assert rule.msg == 'ET TEST "quoted" msg'
    assert rule.references == ("url,example.com/x", "cve,2021-44228")
    assert rule.metadata == ("created_at 2024_01_01", "signature_severity Major")
    assert (rule.source, rule.line) == ("test.rules", 1)


def test_builtin_rules_all_load() -> None:
    rules = RuleSet()
    report = rules.add_builtin()
    assert report.loaded >= 15 and not report.skipped and not report.malformed, report.summary()
    assert min(r.sid for r in rules.rules) >= 9000001


RULE_WORDS = st.sampled_from(
    [
        "alert",
        "drop",
        "http",
        "tcp",
        "dns",
        "any",
        "->",
        "<>",
        "$HOME_NET",
        "!$EXTERNAL_NET",
        "[1.2.3.4,!5.6.7.8]",
        "[80:",
        "(",
        ")",
        ";",
        "msg:",
        '"x"',
        "content:",
        '"a|41|"',
        "!",
        "|",
        "\\",
        "pcre:",
        '"/a(/"',
        "http.uri",
        "distance:",
        "-3",
        "within:",
        "0",
        "bsize:",
        "<>",
        "flowbits:",
        "set,a",
        "isset,a|b",
        "sid:",
        "1",
        "99999999999999999999",
        "isdataat:",
        "\n",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(RULE_WORDS, max_size=40).map(" ".join) | st.text(max_size=300))
def test_random_rule_text_never_raises(text: str) -> None:
    started = time.monotonic()
    rules = RuleSet()
    report = rules.add_text(text, "random.rules")
    assert report.total == len(report.skipped) + len(report.malformed) + report.loaded
    for event in (http("/aA"), dns("a.example"), tls("a")):
        rules.match(event, FlowStates())
    assert time.monotonic() - started < 5


def test_http1_and_http2_headers_pick_the_version() -> None:
    text = "".join(
        f'alert {proto} any any -> any any (http.uri; content:"/x"; sid:{sid};)\n'
        for sid, proto in ((1, "http"), (2, "http1"), (3, "http2"))
    )
    one = http("/x")
    two = dataclasses.replace(http("/x"), version="HTTP/2")
    assert sorted(sids(text, one)) == [1, 2]
    assert sorted(sids(text, two)) == [1, 3]
