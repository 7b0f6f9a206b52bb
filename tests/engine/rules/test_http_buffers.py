"""HTTP buffers beyond the request line: bodies, headers, status, and rules on the response."""

from __future__ import annotations

from lanward.engine.events import HttpTransaction
from lanward.engine.rules import FlowStates
from tests.engine.rules.util import CLIENT, SERVER, flow, ruleset, sids

REQUEST_HEADERS = (
    ("Host", "portal.example"),
    ("User-Agent", "Mozilla/5.0"),
    ("Cookie", "session=abc"),
    ("Accept", "text/html"),
    ("Referer", "http://mail.example/inbox"),
    ("X-Tag", "one"),
    ("x-tag", "two"),
    ("Content-Type", "application/x-www-form-urlencoded"),
)
RESPONSE_HEADERS = (
    ("Server", "nginx"),
    ("Content-Type", "text/html; charset=utf-8"),
    ("Set-Cookie", "id=1"),
    ("Location", "https://portal.example/home"),
)


def exchange(status: int = 302, body: bytes = b"<html>Welcome</html>") -> HttpTransaction:
    return HttpTransaction(
        flow(),
        1_700_000_000_000,
        "POST",
        "/login.php",
        "HTTP/1.1",
        host="portal.example",
        user_agent="Mozilla/5.0",
        request_headers=REQUEST_HEADERS,
        request_body=b"user=alice&pass=secret",
        status=status,
        response_headers=RESPONSE_HEADERS if status else (),
        response_body=body if status else b"",
    )


def rule(options: str, sid: int, header: str = "any any -> any any") -> str:
    return f'alert http {header} (msg:"t"; {options} sid:{sid};)'


def test_request_side_buffers() -> None:
    rules = "\n".join(
        [
            rule('http.request_body; content:"pass="; content:"&"; distance:-20;', 1),
            rule('content:"user=alice"; http_client_body;', 2),
            rule('http.header; content:"Host: portal.example|0d 0a|";', 3),
            rule('http.header; content:"Cookie"; nocase;', 4),  # Cookie is not in http.header
            rule('http.header; content:"X-Tag: one, two|0d 0a|";', 5),  # repeats folded
            rule(
                'http.header_names; content:"|0d 0a|Host|0d 0a|User-Agent|0d 0a|"; startswith;', 6
            ),
            rule('http.header_names; content:"|0d 0a 0d 0a|"; endswith;', 7),
            rule('http.cookie; content:"session=abc"; bsize:11;', 8),
            rule('http.referer; content:"mail.example";', 9),
            rule('http.accept; content:"text/html";', 10),
            rule('http.content_type; content:"x-www-form-urlencoded"; endswith;', 11),
            rule('http.request_line; content:"POST /login.php HTTP/1.1"; bsize:24;', 12),
            rule('http.protocol; content:"HTTP/1.1";', 13),
            rule('flow:to_server; file.data; content:"user=alice";', 14),  # the upload side
            rule('pcre:"/^Host: portal/mH"; pcre:"/pass=s/P"; pcre:"/^session/C";', 15),
        ]
    )
    assert sids(rules, exchange()) == [1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]


def test_response_side_buffers_and_direction() -> None:
    rules = "\n".join(
        [
            rule('flow:to_client; http.stat_code; content:"302";', 1),
            rule('http.stat_code; content:"302";', 2),  # response buffer: a to_client rule
            rule('flow:established,to_client; file.data; content:"Welcome";', 3),
            rule('file_data; content:"Welcome";', 4),  # no direction: either body
            rule('http.response_body; content:"<html>"; startswith;', 5),
            rule('flow:to_client; http.header; content:"Server: nginx|0d 0a|";', 6),
            rule('flow:to_client; http.header; content:"Set-Cookie";', 7),  # left out
            rule('flow:to_client; http.content_type; content:"text/html";', 8),
            rule('http.location; content:"https://portal.example/";', 9),
            rule('http.server; content:"nginx"; bsize:5;', 10),
            rule('flow:to_client; http.cookie; content:"id=1";', 11),  # Set-Cookie
            rule('http.uri; content:"/login"; http.stat_code; content:"302";', 12),  # both sides
            rule('content:"302"; http_stat_code; content:"Welcome"; http_server_body;', 13),
            rule('pcre:"/^30[12]$/S"; pcre:"/Welcome/Q";', 14),
        ]
    )
    assert sids(rules, exchange()) == list(range(1, 7)) + [8, 9, 10, 11, 12, 13, 14]
    assert sids(rules, exchange(status=0)) == []  # no response seen: no response buffer


def test_response_rules_match_the_header_from_the_server() -> None:
    """`$EXTERNAL_NET any -> $HOME_NET any` with flow:to_client: the server's packet."""
    inbound = "$EXTERNAL_NET any -> $HOME_NET any"
    outbound = "$HOME_NET any -> $EXTERNAL_NET any"
    rules = "\n".join(
        [
            rule('flow:to_client; http.stat_code; content:"302";', 1, inbound),
            rule('flow:to_client; http.stat_code; content:"302";', 2, outbound),
            rule('flow:to_server; http.method; content:"POST";', 3, outbound),
            rule('flow:to_server; http.method; content:"POST";', 4, inbound),
        ]
    )
    assert sorted(sids(rules, exchange())) == [1, 3]


def test_direction_conflicts_are_reported() -> None:
    report = ruleset(
        "\n".join(
            [
                rule('flow:to_server; http.stat_code; content:"200";', 1),
                rule('flow:to_client; http.method; content:"GET";', 2),
                rule('flow:to_client,to_server; http.header; content:"a";', 3),
            ]
        )
    ).report.files[0]
    assert [s.reasons for s in report.skipped] == [
        ("flow:to_server with http.stat_code",),
        ("flow:to_client with http.method",),
    ]
    assert "both to_server and to_client" in report.malformed[0].message


def test_alert_from_a_response_rule_points_from_the_server() -> None:
    from lanward.engine.pipeline import Engine, EngineConfig

    rules = ruleset(rule('flow:to_client; http.stat_code; content:"302";', 7))
    engine = Engine(EngineConfig(rules=rules))
    engine.app_event(exchange())
    (alert,) = [a for a in engine.alerts if a["detector"] == "signature"]
    assert (alert["src"], alert["dst"]) == (SERVER, CLIENT)
    assert (alert["evidence"]["src_port"], alert["evidence"]["dst_port"]) == (80, 50000)
    assert alert["mac"] == "02:00:00:00:00:01"  # the home side: the client
    assert rules.match(exchange(), FlowStates())[0].to_client


def test_a_rule_without_direction_on_file_data_reads_either_body() -> None:
    rules = (
        rule('file_data; content:"user=alice";', 1)
        + "\n"
        + rule('file_data; content:"Welcome";', 2)
    )
    matches = ruleset(rules).match(exchange(), FlowStates())
    assert [(m.rule.sid, m.to_client) for m in matches] == [(1, False), (2, True)]


def test_http_start_is_the_request_line_and_headers_as_sent() -> None:
    rules = "\n".join(
        [
            rule(
                'http.start; content:"POST /login.php HTTP/1.1|0d 0a|Host: portal"; startswith;', 1
            ),
            rule('http.start; content:"Cookie: session=abc|0d 0a|";', 2),  # Cookie stays in
            rule('http.start; content:"X-Tag: one|0d 0a|x-tag: two|0d 0a|";', 3),  # not folded
            rule('http.start; content:"|0d 0a 0d 0a|"; endswith;', 4),
            rule('http_start; content:"User-Agent: Mozilla";', 5),  # the old spelling
            rule('http.start; content:"user=alice";', 6),  # the body is not in it
        ]
    )
    assert sids(rules, exchange()) == [1, 2, 3, 4, 5]
    to_client = rule('flow:to_client; http.start; content:"HTTP";', 7)
    skipped = ruleset(to_client).report.files[0].skipped
    assert skipped and "flow:to_client with http.start" in str(skipped[0])
