"""The nDPI corpus captures through FlowParser, checked against what ndpiReader printed.

Every HTTP flow's URL and User-Agent and every TLS flow's SNI and JA3 (nDPI's JA3C) must be
found; the named captures carry the sign-ins and attacks the detectors look for. No capture may
make a parser fail. The packets per second FlowParser handles are printed (run with -s).
"""

from __future__ import annotations

import re

import pytest

from lanward.engine.events import CredentialSeen, DnsQuery, HttpTransaction, TlsClientHello
from tests.engine.applayer.pcaps import Run, run_pcap
from tests.ndpi_corpus import (
    _FLOW_LINE,
    _USER_AGENT,
    PCAPS,
    RESULTS,
    _endpoint,
    capture_names,
    capture_params,
    require_corpus,
)

_RUNS: dict[str, Run] = {}


def corpus_run(name: str) -> Run:
    require_corpus()
    if name not in _RUNS:
        _RUNS[name] = run_pcap(PCAPS / name)
    return _RUNS[name]


def ndpi_lines(name: str) -> list[tuple[frozenset, str]]:
    """(the flow's two endpoints, the rest of its .out line) for each TCP flow."""
    out = []
    for line in (RESULTS / f"{name}.out").read_text().splitlines():
        match = _FLOW_LINE.match(line)
        if match and match["proto"] == "TCP":
            out.append((frozenset([_endpoint(match["a"]), _endpoint(match["b"])]), match["rest"]))
    return out


def ends(event) -> frozenset:  # type: ignore[no-untyped-def]
    f = event.flow
    return frozenset([(f.src_ip, f.src_port), (f.dst_ip, f.dst_port)])


@pytest.mark.parametrize("name", capture_params())
def test_capture_urls_user_agents_sni_and_ja3_match_ndpi(name: str) -> None:
    run = corpus_run(name)
    assert run.failures == []
    http = run.of(HttpTransaction)
    hellos = run.of(TlsClientHello)
    for flow, rest in ndpi_lines(name):
        url = re.search(r"\[URL: ([^\]]*)\]", rest)
        if url:
            ours = [t for t in http if ends(t) == flow]
            assert any(t.host + t.uri == url[1] or url[1].endswith(t.uri) for t in ours), (
                url[1],
                [(t.host, t.uri) for t in ours],
            )
            agent = _USER_AGENT.search(rest)
            if agent:
                assert agent[1] in {t.user_agent for t in ours}
        ja3 = re.search(r"\[JA3C: ([0-9a-f]{32})", rest)
        if ja3:
            ours_tls = [h for h in hellos if ends(h) == flow]
            assert ja3[1] in {h.ja3_hash for h in ours_tls}, (flow, ja3[1])
            sni = re.search(r"\[Hostname/SNI: ([^\]]*)\]", rest)
            if sni:
                assert sni[1] in {h.sni for h in ours_tls}


def test_http_basic_sign_in() -> None:
    run = corpus_run("http_auth.pcap")
    (cred,) = run.of(CredentialSeen)
    assert (cred.protocol, cred.username, cred.success) == ("http-basic", "test", False)
    (tx,) = run.of(HttpTransaction)
    assert tx.status == 401 and tx.file is not None and tx.file.complete


def test_telnet_sign_in() -> None:
    run = corpus_run("telnet.pcap")
    (cred,) = run.of(CredentialSeen)
    rest = ndpi_lines("telnet.pcap")[0][1]
    assert f"[Username: {cred.username}]" in rest
    assert (cred.protocol, cred.username, cred.success) == ("telnet", "fake", True)


@pytest.mark.parametrize(
    ("name", "payload"),
    [
        ("sql_injection.pcap", "a%27+UNION+SELECT+%22text1%22%2C%22text2%22%3B--+-"),
        ("xss.pcap", "English%3Cscript%3Ealert(1)%3C/script%3E"),
    ],
)
def test_injection_payloads_in_raw_uris(name: str, payload: str) -> None:
    run = corpus_run(name)
    (tx,) = run.of(HttpTransaction)
    url = re.search(r"\[URL: ([^\]]*)\]", ndpi_lines(name)[0][1])
    assert url is not None and tx.host + tx.uri == url[1]
    assert payload in tx.uri
    assert tx.file is not None and tx.file.magic == "HTML document"  # gzip decoded


def test_google_ssl_hello_is_sslv2_format_without_sni() -> None:
    """The hello is in SSLv2 format, which has no extensions: nDPI also prints no SNI for it."""
    run = corpus_run("google_ssl.pcap")
    (hello,) = run.of(TlsClientHello)
    assert hello.version == "TLS 1.0" and hello.sni == ""
    assert "Hostname/SNI" not in ndpi_lines("google_ssl.pcap")[0][1]


def test_tls_sni_in_a_browser_capture() -> None:
    run = corpus_run("iphone.pcap")
    names = {h.sni for h in run.of(TlsClientHello)}
    assert len(names) >= 10 and all(names)


def test_dns_queries() -> None:
    run = corpus_run("dns.pcap")  # its PPPoE-in-QinQ query is tested through nfstream
    assert [(q.name, q.qtype) for q in run.of(DnsQuery)] == [("www.example.com", "AAAA")]
    names = {q.name for q in corpus_run("dns-tunnel-iodine.pcap").of(DnsQuery)}
    assert names and all(n == n.lower() and not n.endswith(".") for n in names)


def test_throughput_is_printed() -> None:
    require_corpus()
    runs = [corpus_run(name) for name in capture_names()]
    packets = sum(r.packets for r in runs)
    seconds = sum(r.seconds for r in runs)
    print(
        f"\nFlowParser: {packets} corpus packets in {seconds:.3f} s = {packets / seconds:,.0f} packets/s"
    )
    assert packets > 5000
