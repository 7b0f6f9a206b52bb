from __future__ import annotations

import dataclasses
import hashlib

from lanward.engine.applayer.tls import certificate
from lanward.engine.detect.feeds import Indicators, parse_feed
from lanward.engine.detect.indicators import IndicatorMatch
from lanward.engine.events import (
    DnsAnswer,
    DnsQuery,
    FlowKey,
    HttpTransaction,
    TlsClientHello,
    TlsServerHello,
)
from lanward.engine.pipeline import Engine, EngineConfig

from .flows import HOME_MAC, OTHER_MAC, flow

T0 = 1_700_000_000_000
FEED = "198.51.100.0/24\nc2.bad.example\nt13d1515h2_8daaf6152771_6a09c78d0dc2\n"


def detector(text: str = FEED, name: str = "botnet-c2.txt", **kw: int) -> IndicatorMatch:
    addon = IndicatorMatch(**kw)
    addon.configure(EngineConfig(indicators=parse_feed(text, name)))
    return addon


def test_remote_ip_in_a_listed_network() -> None:
    [alert] = detector().flow_end(flow(dst_ip="198.51.100.7", dst_port=443, app="TLS"))
    assert (alert["detector"], alert["severity"], alert["mac"]) == (
        "indicator_match",
        "high",
        HOME_MAC,
    )
    ev = alert["evidence"]
    assert ev["matched_field"] == "ip"
    assert ev["indicator"] == {
        "feed": "botnet-c2.txt",
        "type": "cidr",
        "value": "198.51.100.0/24",
        "category": "c2",
        "line": 1,
    }
    assert "botnet-c2.txt" in alert["summary"] and "command-and-control" in alert["summary"]


def test_sni_subdomain_and_ja4() -> None:
    addon = detector()
    [by_name] = addon.flow_end(flow(dst_ip="203.0.113.1", sni="www.C2.bad.example"))
    assert by_name["evidence"]["indicator"]["value"] == "c2.bad.example"
    [by_ja4] = addon.flow_end(
        flow(dst_ip="203.0.113.1", ja4="t13d1515h2_8daaf6152771_6a09c78d0dc2")
    )
    assert by_ja4["evidence"]["matched_field"] == "ja4"


def test_dns_lookup_is_worded_as_a_lookup() -> None:
    [alert] = detector().flow_end(
        flow(dst_ip="1.1.1.1", dst_port=53, protocol=17, app="DNS", sni="c2.bad.example")
    )
    assert "looked up c2.bad.example" in alert["summary"]


def test_unknown_feed_is_medium() -> None:
    [alert] = detector("198.51.100.7\n", name="mylist.txt").flow_end(flow(dst_ip="198.51.100.7"))
    assert alert["severity"] == "medium"


def test_inbound_from_a_listed_address_names_the_home_device() -> None:
    [alert] = detector().flow_end(
        flow(src_ip="198.51.100.9", src_mac="00:11:22:33:44:55", dst_ip="192.168.1.2")
    )
    assert alert["mac"] == OTHER_MAC


def test_home_addresses_are_not_matched_as_remote() -> None:
    assert detector("192.168.1.0/24\n").flow_end(flow()) == []


def test_repeat_matches_are_folded_and_memory_is_bounded() -> None:
    addon = detector(repeat_s=600, max_remembered=10)
    hits = [
        addon.flow_end(flow(dst_ip="198.51.100.7", first_seen_ms=T0 + i, last_seen_ms=T0 + i))
        for i in range(0, 300_000, 1000)
    ]
    assert sum(len(h) for h in hits) == 1
    assert len(addon.flow_end(flow(dst_ip="198.51.100.7", last_seen_ms=T0 + 700_000))) == 1
    for i in range(100):
        addon.flow_end(flow(src_ip=f"192.168.2.{i}", dst_ip="198.51.100.7"))
    assert len(addon.last_alert) == 10


def test_no_indicators_no_work() -> None:
    addon = IndicatorMatch()
    addon.configure(EngineConfig())
    assert addon.flow_end(flow(dst_ip="198.51.100.7")) == []
    assert len(addon.indicators) == 0


def test_through_the_engine() -> None:
    engine = Engine(EngineConfig(indicators=Indicators().merge(parse_feed(FEED, "c2.txt"))))
    engine.flow(flow(dst_ip="198.51.100.7"))
    assert [a["detector"] for a in engine.alerts] == ["indicator_match"]


def _key(dst: str = "198.51.100.7", port: int = 80) -> FlowKey:
    return FlowKey("192.168.1.10", 50000, dst, port, 6, HOME_MAC, "00:00:5e:00:01:01", 7)


def test_urls_match_http_requests_whatever_the_case_and_default_port() -> None:
    feed = parse_feed("HTTP://Bad.Example:80/payload.exe?id=1\n", "urlhaus.txt")
    d = IndicatorMatch()
    d.configure(EngineConfig(indicators=feed))
    hit = HttpTransaction(_key(), 5, "GET", "/payload.exe?id=1", host="bad.example")
    [a] = d.app_event(hit)
    assert a["evidence"]["matched_field"] == "url"
    assert a["evidence"]["matched_value"] == "http://bad.example/payload.exe?id=1"
    assert a["severity"] == "high" and "requested" in a["summary"]
    other_path = HttpTransaction(_key(), 6, "GET", "/index.html", host="bad.example")
    assert d.app_event(other_path) == []


def test_ja3_hash_and_dns_query_match() -> None:
    ja3 = "e7d705a3286e19ea42f587b344ee6865"
    feed = parse_feed(f"{ja3}\nc2.example\n", "botnet-c2.txt")
    d = IndicatorMatch()
    d.configure(EngineConfig(indicators=feed))
    [a] = d.app_event(TlsClientHello(_key(port=443), 5, sni="x.test", ja3_hash=ja3))
    assert (a["evidence"]["matched_field"], a["app"]) == ("ja3", "TLS")
    [b] = d.app_event(DnsQuery(_key("192.168.1.1", 53), 6, "www.c2.example", "A"))
    assert b["evidence"]["matched_value"] == "www.c2.example" and "looked up" in b["summary"]
    assert d.app_event(DnsQuery(_key("192.168.1.1", 53), 7, "good.example", "A")) == []


SSLBL = """################################################################
# abuse.ch SSLBL SSL Certificate Blacklist (SHA1 Fingerprints) #
# Terms Of Use: https://sslbl.abuse.ch/blacklist/              #
################################################################
#
# Listingdate,SHA1,Listingreason
2025-11-02 10:11:12,{sha1},Dridex C&C
2025-11-01 09:00:00,not-a-sha1,AsyncRAT C&C
"""


def _answer(sni: str, ja3s_hash: str = "", der: bytes = b"\x30\x00") -> TlsServerHello:
    return TlsServerHello(
        _key(port=443),
        9,
        version="TLS 1.2",
        ja3s_hash=ja3s_hash,
        certificates=(certificate(der),),
        client=TlsClientHello(_key(port=443), 8, sni=sni),
    )


def test_sslbl_certificate_fingerprint_and_ja3s() -> None:
    der = b"\x30\x82\x01\x00" + b"cert" * 64
    sha1 = hashlib.sha1(der).hexdigest()
    feed = parse_feed(SSLBL.format(sha1=sha1), "sslblacklist.csv")
    assert [p.line for p in feed.problems] == [8]  # the bad fingerprint, by its line
    d = IndicatorMatch()
    d.configure(EngineConfig(indicators=feed))
    [a] = d.app_event(_answer("cdn.example", der=der))
    ev = a["evidence"]
    assert (ev["matched_field"], a["severity"]) == ("certificate", "high")
    assert ev["matched_value"].replace(":", "") == sha1
    assert ev["indicator"]["category"] == "c2" and ev["indicator"]["note"] == "Dridex C&C"
    assert "TLS certificate (SHA-1 fingerprint)" in a["summary"]
    assert d.app_event(_answer("cdn.example", der=der + b"x")) == []

    ja3s = "623de93db17d313345d7ea481e7443cf"
    d.configure(
        EngineConfig(
            indicators=parse_feed(
                f"# ja3_md5,Firstseen,Lastseen,Listingreason\n{ja3s},2025-01-01,2025-02-01,Tofsee\n",
                "ja3.csv",
            )
        )
    )
    [b] = d.app_event(_answer("x.example", ja3s_hash=ja3s))
    assert b["evidence"]["matched_field"] == "ja3s"


def test_certificate_names_stand_in_for_a_missing_sni() -> None:
    real = _answer("").certificates[0]
    assert real.subject == ""  # b"\x30\x00" is no certificate: no names to go on
    cert = dataclasses.replace(real, subject="CN=panel.c2.bad.example", names=())
    event = dataclasses.replace(_answer(""), certificates=(cert,))
    d = detector(FEED)
    [a] = d.app_event(event)
    assert (a["evidence"]["matched_field"], a["evidence"]["matched_value"]) == (
        "certificate_name",
        "panel.c2.bad.example",
    )
    # With an SNI the client said where it went: the names are not guessed from the certificate.
    named = dataclasses.replace(event, client=TlsClientHello(_key(port=443), 8, sni="ok.example"))
    assert d.app_event(named) == []


def test_a_dns_answer_pointing_at_a_listed_address() -> None:
    """An unlisted name resolving to a listed C2 address alerts before any connection, once;
    the connection that follows folds into the same alert (same device, same server)."""
    d = detector(FEED)
    lookup = _key("192.168.1.1", 53)
    answer = DnsAnswer(lookup, 10, "fresh-domain.example", "A", "NOERROR", ("198.51.100.7",))
    [a] = d.app_event(answer)
    assert (a["evidence"]["matched_field"], a["evidence"]["matched_value"]) == (
        "resolved_ip",
        "198.51.100.7",
    )
    assert a["severity"] == "high" and a["dst"] == "198.51.100.7"
    assert a["summary"].startswith(
        "192.168.1.10 looked up fresh-domain.example, which points to 198.51.100.7"
    )
    assert d.app_event(answer) == []  # folded for repeat_s
    clean = DnsAnswer(lookup, 11, "ok.example", "A", "NOERROR", ("93.184.215.14",))
    assert d.app_event(clean) == []
    # A listed name already alerted on its query: its answer adds nothing.
    listed = DnsAnswer(lookup, 12, "x.c2.bad.example", "A", "NOERROR", ("198.51.100.9",))
    assert detector(FEED).app_event(listed) == []
