"""Rules on the server's side of TLS: tls.cert_subject/issuer/serial/fingerprint, tls.certs
(every certificate of the chain), ja3s, legacy spellings, and rules that mix the client's and
the server's buffers; directions a certificate buffer cannot have are refused."""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives import serialization

from lanward.engine.applayer.tls import certificate
from lanward.engine.events import TlsServerHello
from lanward.engine.rules import FlowStates
from tests.engine.applayer.tls_peers import Chain
from tests.engine.rules.util import flow, ruleset, sids, tls

DER = serialization.Encoding.DER


def answer(
    chain: Chain, sni: str = "camera.example", ja3s: str = "771,49199,65281"
) -> TlsServerHello:
    certs = tuple(certificate(c.public_bytes(DER)) for c in (chain.leaf, chain.ca))
    return TlsServerHello(
        flow(dport=443),
        1_700_000_000_500,
        version="TLS 1.2",
        cipher=49199,
        ja3s=ja3s,
        ja3s_hash=hashlib.md5(ja3s.encode()).hexdigest(),
        certificates=certs,
        client=tls(sni=sni, ja3_hash="0" * 32),
    )


def rule(options: str, sid: int = 1, proto: str = "tls") -> str:
    return f'alert {proto} any any -> any any (msg:"t"; {options} sid:{sid};)\n'


def test_subject_issuer_serial_fingerprint(chain: Chain) -> None:
    event = answer(chain)
    fp = event.certificates[0].fingerprint
    text = (
        rule('flow:established,to_client; tls.cert_subject; content:"CN=camera.example";', 1)
        + rule('tls.cert_issuer; content:"Lanward Test CA"; endswith;', 2)
        + rule('tls.cert_serial; content:"00:9C:0F:FE:E1:23:45";', 3)
        + rule(f'tls.cert_fingerprint; content:"{fp}";', 4)
        + rule('tls.cert_subject; content:"CN=other.example";', 5)
        + rule('tls_cert_subject; content:"O=Lanward Test";', 6)  # the old spelling
    )
    assert sorted(sids(text, event)) == [1, 2, 3, 4, 6]


def test_tls_certs_looks_at_every_certificate(chain: Chain) -> None:
    event = answer(chain)
    assert b"\x01\x01\xff" in event.certificates[1].der
    assert b"\x01\x01\xff" not in event.certificates[0].der
    text = rule('tls.certs; content:"|01 01 ff|";', 1)  # BasicConstraints cA=TRUE: CA only
    text += rule('tls.certs; content:"cam.example";', 2)  # a SAN: the leaf only
    text += rule('tls.certs; content:"not-in-any-cert";', 3)
    assert sorted(sids(text, event)) == [1, 2]


def test_client_and_server_buffers_together(chain: Chain) -> None:
    text = rule('tls.sni; content:"camera.example"; tls.cert_issuer; content:"Test CA";', 1)
    assert sids(text, answer(chain)) == [1]
    assert sids(text, answer(chain, sni="other.example")) == []
    # A rule on the client's hello alone still fires on the hello, not again on the answer.
    only_sni = rule('tls.sni; content:"camera.example";', 2)
    hello = answer(chain).client
    assert hello is not None
    assert sids(only_sni, hello, answer(chain)) == [2]


def test_ja3s(chain: Chain) -> None:
    event = answer(chain)
    text = rule(f'ja3s.hash; content:"{event.ja3s_hash}";', 1)
    text += rule('ja3s.string; content:"771,49199";', 2)
    text += rule(f'ja3s_hash; content:"{event.ja3s_hash}";', 3)
    assert sorted(sids(text, event)) == [1, 2, 3]


def test_an_answer_without_certificates_has_no_cert_buffers(chain: Chain) -> None:
    event = answer(chain)
    bare = TlsServerHello(event.flow, event.ts_ms, version="TLS 1.3", client=event.client)
    text = rule('tls.cert_subject; content:"CN";', 1) + rule('tls.certs; content:"|30|";', 2)
    text += rule('tls.cert_subject; content:!"evil";', 3)  # absent: even a negation fails
    assert sids(text, bare) == []


def test_certificate_buffers_only_on_the_server_side() -> None:
    rules = ruleset(rule('flow:to_server; tls.cert_subject; content:"x";', 1))
    (skipped,) = rules.report.files[0].skipped
    assert "flow:to_server with tls.cert_subject" in str(skipped)
    mixed = ruleset(rule('dns.query; content:"x"; tls.cert_subject; content:"y";', 2, "ip"))
    assert mixed.report.files[0].malformed


def test_alert_reports_the_server_as_source(chain: Chain) -> None:
    rules = ruleset(rule('tls.cert_subject; content:"camera";', 7))
    event = answer(chain)
    (match,) = rules.match(event, FlowStates())
    assert match.to_client and match.buffer == "tls.cert_subject"
    assert match.value == b"C=NL, O=Lanward Test, CN=camera.example"
