from __future__ import annotations

import json

from lanward.engine.detect.feeds import classify_value, parse_feed

PLAIN = """\
# my list
1.2.3.4
10.20.0.0/16
Evil.Example.COM.
http://5.6.7.8:8080/mozi.m
https://hacked-blog.example.org/wp/payload.exe
t13d1515h2_8daaf6152771_6a09c78d0dc2
not a domain!
[2001:db8:1::1]/127
; another comment
"""


def test_plain_list() -> None:
    ind = parse_feed(PLAIN, "my-list.txt")
    assert set(ind.ips) == {"1.2.3.4", "5.6.7.8"}  # the URL at a bare address yields its IP
    assert ind.match_ip("10.20.99.1") is not None
    assert ind.match_ip("10.21.0.1") is None
    assert ind.match_ip("2001:db8:1::") is not None
    assert ind.domains["evil.example.com"].line == 4
    assert "https://hacked-blog.example.org/wp/payload.exe" in ind.urls
    assert ind.match_domain("hacked-blog.example.org") is None  # URL hosts are not matched
    assert ind.match_ja4("t13d1515h2_8daaf6152771_6a09c78d0dc2") is not None
    [problem] = ind.problems
    assert problem.line == 8
    assert "line 8" in str(problem)
    assert ind.ips["1.2.3.4"].category == "unknown"


def test_domain_matching_includes_subdomains_not_parents() -> None:
    ind = parse_feed("evil.example.com\n", "list")
    assert ind.match_domain("evil.example.com").value == "evil.example.com"  # type: ignore[union-attr]
    assert ind.match_domain("a.b.evil.example.com.") is not None
    assert ind.match_domain("example.com") is None
    assert ind.match_domain("notevil.example.com") is None
    assert ind.match_domain("") is None


def test_category_from_the_feed_name_or_override() -> None:
    assert parse_feed("1.2.3.4\n", "feodo-c2.txt").ips["1.2.3.4"].category == "c2"
    assert parse_feed("1.2.3.4\n", "malware-ips.txt").ips["1.2.3.4"].category == "malware"
    assert parse_feed("1.2.3.4\n", "x", category="phishing").ips["1.2.3.4"].category == "phishing"


def test_hosts_file() -> None:
    text = """\
127.0.0.1 localhost
::1 ip6-localhost ip6-loopback
0.0.0.0 0.0.0.0
0.0.0.0 ads.example.net tracker.example.net # trailing comment
0.0.0.0 bad_entry!
"""
    ind = parse_feed(text, "hosts")
    assert set(ind.domains) == {"ads.example.net", "tracker.example.net"}
    assert not ind.ips
    assert [p.line for p in ind.problems] == [5]


def test_adblock_and_ndpi_category_lines() -> None:
    text = "[Adblock Plus 2.0]\n! comment\n||bad.example^\n||x.example/path^\nmalw.example\t100\n"
    ind = parse_feed(text, "mixed")
    assert set(ind.domains) == {"bad.example", "malw.example"}
    assert ind.domains["malw.example"].category == "malware"  # nDPI category 100 = Malware
    assert [p.line for p in ind.problems] == [4]


URLHAUS = """\
################################################################
# abuse.ch URLhaus Database Dump (CSV - recent URLs only)      #
################################################################
#
# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter
"2857801","2024-05-12 10:01:07","http://117.206.92.12:49463/Mozi.m","online","2024-05-12 10:01:07","malware_download","elf,Mozi","https://urlhaus.abuse.ch/url/2857801/","lrz_urlhaus"
"2857800","2024-05-12 09:59:06","https://bad-host.example/load.exe","online","None","malware_download","exe","https://urlhaus.abuse.ch/url/2857800/","abuse_ch"
"2857799","2024-05-12 09:59:06","broken
"""

FEODO = """\
# Feodo Tracker Botnet C2 IP Blocklist (CSV)
# first_seen_utc,dst_ip,dst_port,c2_status,last_online,malware
"2021-01-17 07:30:05","67.213.75.205","443","online","2024-05-12","Pikabot"
"2023-07-04 11:02:11","not-an-ip!!","443","online","2024-05-12","QakBot"
"""

THREATFOX = """\
################################################################
# ThreatFox IOCs: CSV export                                   #
################################################################
#
# "first_seen_utc","ioc_id","ioc_value","ioc_type","threat_type","fk_malware","malware_alias","malware_printable","last_seen_utc","confidence_level","reference","tags","anonymous","reporter"
"2024-05-12 10:00:01", "1284121", "45.61.137.44:443", "ip:port", "botnet_cc", "win.cobalt_strike", "Agentemis", "Cobalt Strike", "", "100", "", "CobaltStrike", "0", "drb_ra"
"2024-05-12 09:00:01", "1284120", "c2.bad.example", "domain", "botnet_cc", "win.lumma", "", "Lumma Stealer", "", "75", "", "", "0", "x"
"2024-05-12 08:00:01", "1284119", "ab12", "md5_hash", "payload", "win.x", "", "X"
"""


def test_urlhaus_csv() -> None:
    ind = parse_feed(URLHAUS, "urlhaus.csv")
    assert ind.ips["117.206.92.12"].category == "malware"
    assert ind.ips["117.206.92.12"].line == 6
    assert ind.ips["117.206.92.12"].source == "http://117.206.92.12:49463/Mozi.m"
    assert "https://bad-host.example/load.exe" in ind.urls
    [problem] = ind.problems
    assert problem.line == 8


def test_feodo_csv_is_c2() -> None:
    ind = parse_feed(FEODO, "ipblocklist.csv")
    assert ind.ips["67.213.75.205"].category == "c2"
    assert ind.ips["67.213.75.205"].note == "Pikabot"
    assert [p.line for p in ind.problems] == [4]


def test_threatfox_csv() -> None:
    ind = parse_feed(THREATFOX, "threatfox.csv")
    assert ind.ips["45.61.137.44"].category == "c2"  # ip:port, the port dropped
    assert ind.domains["c2.bad.example"].note == "Lumma Stealer"
    assert [p.line for p in ind.problems] == [8]  # too few fields


def _stix(*patterns: str, **extra: object) -> str:
    objects = [{"type": "identity", "id": "identity--1", "name": "someone"}]
    for i, pattern in enumerate(patterns):
        objects.append(
            {
                "type": "indicator",
                "spec_version": "2.1",
                "id": f"indicator--{i:04d}",
                "pattern": pattern,
                "pattern_type": "stix",
                "indicator_types": ["malicious-activity"],
                **extra,
            }
        )
    return json.dumps({"type": "bundle", "id": "bundle--1", "objects": objects}, indent=2)


def test_stix_bundle() -> None:
    text = _stix(
        "[ipv4-addr:value = '198.51.100.7']",
        "[domain-name:value = 'c2.example.net'] OR [ipv4-addr:value = '203.0.113.0/24']",
        "[url:value = 'http://192.0.2.5/x.sh']",
        "[file:hashes.'SHA-256' = '" + "a" * 64 + "']",
        "[ipv6-addr:value = '2001:db8::5']",
        "[process:name = 'evil.exe']",
        "[ipv4-addr:value != '1.1.1.1']",
        "nonsense",
    )
    ind = parse_feed(text, "intel.json")
    assert ind.ips["198.51.100.7"].category == "malware"
    assert ind.match_ip("203.0.113.77") is not None
    assert "c2.example.net" in ind.domains
    assert "192.0.2.5" in ind.ips
    assert "a" * 64 in ind.hashes
    assert "2001:db8::5" in ind.ips
    lines = [p.line for p in ind.problems]
    assert len(lines) == 3 and all(n > 0 for n in lines)
    assert text.splitlines()[lines[0] - 1].strip().startswith('"id": "indicator--0005"')


def test_stix_c2_and_broken_json() -> None:
    ind = parse_feed(_stix("[ipv4-addr:value = '1.2.3.4']", name="Cobalt Strike C2"), "s.json")
    assert ind.ips["1.2.3.4"].category == "c2"
    broken = parse_feed('{\n  "type": "bundle",\n  "objects": [\n}', "bad.json")
    [problem] = broken.problems
    assert problem.line == 4


def test_classify_value() -> None:
    assert classify_value(" 192.168.001.1 ".replace("001", "1")) == ("ip", "192.168.1.1")
    assert classify_value("10.0.0.1/32") == ("ip", "10.0.0.1")
    assert classify_value("*.Bad.Example") == ("domain", "bad.example")
    assert classify_value("bücher.example")[1] == "xn--bcher-kva.example"


def test_merge_keeps_problems_and_first_entry() -> None:
    a = parse_feed("1.2.3.4\n", "a")
    b = parse_feed("1.2.3.4\n5.6.7.0/24\n???\n", "b")
    merged = a.merge(b)
    assert merged.ips["1.2.3.4"].feed == "a"
    assert merged.match_ip("5.6.7.9") is not None
    assert len(merged) == 2
    assert [p.feed for p in merged.problems] == ["b"]
