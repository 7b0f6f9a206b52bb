"""The server's side of TLS: version and cipher chosen, JA3S, ALPN and the certificate chain,
read from real OpenSSL handshakes; a certificate cryptography refuses (a NUL in a name) still
read; hostile and cut server bytes handled."""

from __future__ import annotations

import hashlib
import ssl

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lanward.engine.applayer import tls
from lanward.engine.applayer.tls import (
    MAX_CERTIFICATES,
    MAX_DER_KEPT,
    certificate,
    certificates,
    server_hello,
)
from lanward.engine.events import TlsClientHello, TlsServerHello
from tests.engine.applayer.build import Conversation, feed, shuffled_data
from tests.engine.applayer.tls_peers import (
    NOT_AFTER,
    NOT_BEFORE,
    SERIAL,
    Chain,
    handshake,
)

DER = serialization.Encoding.DER


def server_events(conv: Conversation, shuffle: bool = False) -> list[TlsServerHello]:
    packets = shuffled_data(conv.packets, seed=3) if shuffle else conv.packets
    events, parser = feed(conv.key, packets)
    assert parser.protocol == "tls"
    return [e for e in events if isinstance(e, TlsServerHello)]


def _cipher_id(client: ssl.SSLObject, chain: Chain) -> int:
    name = client.cipher()
    assert name is not None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    return next(c["id"] & 0xFFFF for c in context.get_ciphers() if c["name"] == name[0])


def test_tls12_chain_names_serial_fingerprint_and_validity(chain: Chain) -> None:
    conv, client = handshake(chain)
    (event,) = server_events(conv)
    assert event.version == "TLS 1.2"
    assert event.cipher == _cipher_id(client, chain)
    assert event.alpn == "http/1.1" == client.selected_alpn_protocol()
    assert event.ja3s.startswith(f"771,{event.cipher},")
    assert event.ja3s_hash == hashlib.md5(event.ja3s.encode()).hexdigest()
    assert isinstance(event.client, TlsClientHello) and event.client.sni == "camera.example"
    leaf, ca = event.certificates
    assert leaf.der == chain.leaf.public_bytes(DER) and ca.der == chain.ca.public_bytes(DER)
    assert leaf.subject == "C=NL, O=Lanward Test, CN=camera.example"
    assert leaf.issuer == ca.subject == ca.issuer == "C=NL, CN=Lanward Test CA"
    assert leaf.serial == "00:9C:0F:FE:E1:23:45" and int(leaf.serial.replace(":", ""), 16) == SERIAL
    sha1 = hashlib.sha1(leaf.der).hexdigest()
    assert leaf.sha1 == sha1 and leaf.fingerprint == ":".join(
        sha1[i : i + 2] for i in range(0, 40, 2)
    )
    assert leaf.names == ("camera.example", "cam.example") and ca.names == ()
    assert leaf.not_before_ms == int(NOT_BEFORE.timestamp() * 1000)
    assert leaf.not_after_ms == int(NOT_AFTER.timestamp() * 1000)


def test_tls12_in_tiny_shuffled_segments(chain: Chain) -> None:
    conv, _ = handshake(chain, mss=9, port=8443)
    (event,) = server_events(conv, shuffle=True)
    assert len(event.certificates) == 2
    assert event.certificates[0].subject.endswith("CN=camera.example")


def test_tls13_has_no_certificates_to_read(chain: Chain) -> None:
    conv, client = handshake(chain, version=ssl.TLSVersion.TLSv1_3, alpn=())
    assert client.version() == "TLSv1.3"
    (event,) = server_events(conv)
    assert event.version == "TLS 1.3" and event.certificates == ()
    assert event.ja3s.startswith("771,")  # the legacy version field: TLS 1.2
    assert event.alpn == ""


def test_no_sni(chain: Chain) -> None:
    conv, _ = handshake(chain, sni=None)
    (event,) = server_events(conv)
    assert event.client is not None and event.client.sni == ""
    assert event.certificates[0].names == ("camera.example", "cam.example")


def test_server_cut_short_reports_what_it_saw(chain: Chain) -> None:
    conv, _ = handshake(chain)
    # The first segment of the server's answer only (ServerHello and part of the chain).
    first_server = next(
        i for i, p in enumerate(conv.packets) if p.sport == 443 and bytes(p.payload.payload.payload)
    )
    events, _parser = feed(conv.key, conv.packets[: first_server + 1])
    (event,) = [e for e in events if isinstance(e, TlsServerHello)]
    assert event.version == "TLS 1.2" and event.cipher


def test_a_nul_in_a_name_is_read_even_though_cryptography_refuses_it(chain: Chain) -> None:
    original = chain.leaf.public_bytes(DER)
    utf8 = b"\x0c\x0cLanward Test"  # the subject's O=, a UTF8String of 12 bytes
    assert original.count(utf8) == 1
    # As a PrintableString with a NUL in it: the shape of the classic name-check trick.
    der = original.replace(utf8, b"\x13\x0cLanward\x00Test")
    with pytest.raises(ValueError):
        x509.load_der_x509_certificate(der)
    cert = certificate(der)
    assert cert.subject == "C=NL, O=Lanward\x00Test, CN=camera.example"
    assert cert.issuer == "C=NL, CN=Lanward Test CA"
    assert cert.serial == "00:9C:0F:FE:E1:23:45"
    assert cert.not_after_ms == int(NOT_AFTER.timestamp() * 1000)
    assert cert.sha1 == hashlib.sha1(der).hexdigest()


def test_garbage_certificate_keeps_bytes_and_fingerprint() -> None:
    cert = certificate(b"\x30\x03\x02\x01\x05")
    assert (cert.subject, cert.issuer, cert.serial) == ("", "", "")
    assert cert.sha1 == hashlib.sha1(b"\x30\x03\x02\x01\x05").hexdigest()


def test_malformed_server_hello_is_none() -> None:
    assert server_hello(b"") is None
    assert server_hello(b"\x03\x03" + b"R" * 32 + b"\x20") is None


def test_not_a_server_hello_first_ends_quietly(chain: Chain) -> None:
    conv, _ = handshake(chain)
    hello = next(
        bytes(p.payload.payload.payload) for p in conv.packets if p.dport == 443 and len(p) > 100
    )
    bogus = Conversation(server_port=443).handshake().client(hello)
    bogus.server(b"\x16\x03\x03\x00\x04\x0e\x00\x00\x00")  # ServerHelloDone before a hello
    events, _parser = feed(bogus.key, bogus.packets)
    assert [type(e) for e in events] == [TlsClientHello]


_RECORDED: dict[int, Conversation] = {}


def _recorded(chain: Chain) -> Conversation:
    if id(chain) not in _RECORDED:
        _RECORDED[id(chain)] = handshake(chain)[0]
    return _RECORDED[id(chain)]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_mutated_server_bytes_never_raise(chain: Chain, data: st.DataObject) -> None:
    conv = _recorded(chain)
    server_payload = b"".join(
        bytes(p.payload.payload.payload) for p in conv.packets if p.sport == 443
    )
    mutated = bytearray(server_payload)
    for _ in range(data.draw(st.integers(1, 12))):
        at = data.draw(st.integers(0, len(mutated) - 1))
        mutated[at] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(1, len(mutated)))
    hello = next(
        bytes(p.payload.payload.payload) for p in conv.packets if p.dport == 443 and len(p) > 100
    )
    replay = (
        Conversation(server_port=443).handshake().client(hello).server(bytes(mutated[:cut]), 97)
    )
    events, parser = feed(replay.key, replay.packets)
    assert parser.failure is None
    assert sum(isinstance(e, TlsServerHello) for e in events) <= 1


def test_a_long_chain_keeps_a_bounded_amount_of_der(
    chain: Chain, monkeypatch: pytest.MonkeyPatch
) -> None:
    leaf, ca = chain.leaf.public_bytes(DER), chain.ca.public_bytes(DER)
    budget = len(leaf) + 2 * len(ca)  # room for the leaf and two more
    monkeypatch.setattr(tls, "MAX_DER_KEPT", budget)
    body_of = [leaf] + [ca] * 60  # a server sending a silly chain: 61 certificates
    listed = b"".join(len(c).to_bytes(3, "big") + c for c in body_of)
    kept = certificates(len(listed).to_bytes(3, "big") + listed)
    assert len(kept) == MAX_CERTIFICATES
    assert kept[0].der == leaf  # the server's own always
    assert [bool(c.der) for c in kept] == [True, True, True] + [False] * 7
    assert sum(len(c.der) for c in kept) <= budget
    assert all(c.subject == "C=NL, CN=Lanward Test CA" for c in kept[1:])  # fields stay
    assert all(c.sha1 == hashlib.sha1(ca).hexdigest() for c in kept[1:])
    assert MAX_DER_KEPT >= 16 * 1024  # the real budget holds a usual chain whole
