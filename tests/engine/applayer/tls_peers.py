"""Real TLS handshakes for the parser's tests: OpenSSL (Python's ssl module) on both sides,
talking through memory buffers, with a CA and a server certificate made here by cryptography.
The bytes each side wrote are replayed as one TCP conversation."""

from __future__ import annotations

import datetime
import shutil
import ssl
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.engine.applayer.build import Conversation

NOT_BEFORE = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
NOT_AFTER = datetime.datetime(2028, 1, 1, tzinfo=datetime.UTC)
SERIAL = 0x9C0FFEE12345  # high bit of its first byte set: DER keeps a leading zero


@dataclass
class Chain:
    ca: x509.Certificate
    leaf: x509.Certificate
    ca_file: Path
    chain_file: Path
    key_file: Path


def _name(*pairs: tuple[x509.ObjectIdentifier, str]) -> x509.Name:
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in pairs])


def make_chain(
    directory: Path, names: tuple[str, ...] = ("camera.example", "cam.example")
) -> Chain:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name((NameOID.COUNTRY_NAME, "NL"), (NameOID.COMMON_NAME, "Lanward Test CA"))
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(1)
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(
            _name(
                (NameOID.COUNTRY_NAME, "NL"),
                (NameOID.ORGANIZATION_NAME, "Lanward Test"),
                (NameOID.COMMON_NAME, names[0]),
            )
        )
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(SERIAL)
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_AFTER)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    chain = Chain(ca, leaf, directory / "ca.pem", directory / "chain.pem", directory / "key.pem")
    chain.ca_file.write_bytes(ca.public_bytes(pem))
    chain.chain_file.write_bytes(leaf.public_bytes(pem) + ca.public_bytes(pem))
    chain.key_file.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return chain


def handshake(
    chain: Chain,
    version: ssl.TLSVersion = ssl.TLSVersion.TLSv1_2,
    sni: str | None = "camera.example",
    alpn: tuple[str, ...] = ("h2", "http/1.1"),
    server_alpn: tuple[str, ...] = ("http/1.1",),
    mss: int | None = None,
    port: int = 443,
) -> tuple[Conversation, ssl.SSLObject]:
    """One complete handshake and a request; the conversation and the client's SSL object."""
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(chain.chain_file, chain.key_file)
    server_ctx.maximum_version = version
    server_ctx.set_alpn_protocols(list(server_alpn))
    client_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_ctx.load_verify_locations(chain.ca_file)
    client_ctx.check_hostname = sni is not None
    client_ctx.maximum_version = version
    if alpn:
        client_ctx.set_alpn_protocols(list(alpn))
    c_in, c_out, s_in, s_out = (ssl.MemoryBIO() for _ in range(4))
    client = client_ctx.wrap_bio(c_in, c_out, server_hostname=sni)
    server = server_ctx.wrap_bio(s_in, s_out, server_side=True)
    conv = Conversation(server_port=port).handshake()
    done = {"client": False, "server": False}
    for _ in range(10):
        for name, side in (("client", client), ("server", server)):
            if not done[name]:
                try:
                    side.do_handshake()
                    done[name] = True
                except ssl.SSLWantReadError:
                    pass
        sent = c_out.read()
        if sent:
            conv.client(sent, mss)
            s_in.write(sent)
        answered = s_out.read()
        if answered:
            conv.server(answered, mss)
            c_in.write(answered)
        if all(done.values()) and not sent and not answered:
            break
    assert all(done.values()), "the handshake did not finish"
    client.write(b"GET / HTTP/1.1\r\nHost: camera.example\r\n\r\n")
    conv.client(c_out.read(), mss)
    return conv.finish(), client


@pytest.fixture(scope="module")
def chain() -> Iterator[Chain]:
    """A CA and a server certificate for camera.example, in a temporary folder."""
    directory = Path(tempfile.mkdtemp(prefix="lanward-tls-"))
    try:
        yield make_chain(directory)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
