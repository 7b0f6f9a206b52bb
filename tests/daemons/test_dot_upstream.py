"""DNS-over-TLS upstream: the resolver forwards over TLS, checks the certificate and its name."""

from __future__ import annotations

import asyncio
import datetime as dt
import ssl
import struct
from pathlib import Path

import dns.message
import dns.rcode
import dns.rrset
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from lanward.daemons.dnsd import Resolver, ResolverConfig, Upstream
from lanward.engine.dns.policy import Policy


def make_cert(folder: Path, name: str) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


async def tls_upstream(
    cert: Path, key: Path, seen: list[str]
) -> tuple[asyncio.AbstractServer, int]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                (length,) = struct.unpack("!H", await reader.readexactly(2))
                query = dns.message.from_wire(await reader.readexactly(length))
                seen.append(query.question[0].name.to_text())
                response = dns.message.make_response(query)
                response.answer.append(
                    dns.rrset.from_text(query.question[0].name, 300, "IN", "A", "93.184.216.34")
                )
                wire = response.to_wire()
                writer.write(struct.pack("!H", len(wire)) + wire)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(client, "127.0.0.1", 0, ssl=context)
    return server, server.sockets[0].getsockname()[1]


def ask(resolver: Resolver, name: str) -> dns.message.Message:
    query = dns.message.make_query(name, "A")
    wire = asyncio.get_event_loop().run_until_complete(
        resolver.handle(query.to_wire(), "127.0.0.1", tcp=False)
    )
    assert wire is not None
    return dns.message.from_wire(wire)


@pytest.fixture
def loop():
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield loop
    loop.close()


def test_forwards_over_tls_with_a_trusted_named_certificate(tmp_path, loop):
    cert, key = make_cert(tmp_path, "dns.test")
    seen: list[str] = []
    server, port = loop.run_until_complete(tls_upstream(cert, key, seen))
    try:
        config = ResolverConfig(
            upstreams=[Upstream("127.0.0.1", port, tls=True, tls_name="dns.test")],
            tls_ca_file=str(cert),
            timeout=3,
        )
        response = ask(Resolver(Policy.build([]), config), "www.example.com")
        assert response.rcode() == dns.rcode.NOERROR
        assert [r.to_text() for rrset in response.answer for r in rrset] == ["93.184.216.34"]
        assert seen == ["www.example.com."]
    finally:
        server.close()


def test_refuses_an_upstream_with_the_wrong_name_or_an_untrusted_certificate(tmp_path, loop):
    cert, key = make_cert(tmp_path, "dns.test")
    seen: list[str] = []
    server, port = loop.run_until_complete(tls_upstream(cert, key, seen))
    try:
        wrong_name = ResolverConfig(
            upstreams=[Upstream("127.0.0.1", port, tls=True, tls_name="other.test")],
            tls_ca_file=str(cert),
            timeout=2,
        )
        assert (
            ask(Resolver(Policy.build([]), wrong_name), "a.example.com").rcode()
            == dns.rcode.SERVFAIL
        )
        untrusted = ResolverConfig(
            upstreams=[Upstream("127.0.0.1", port, tls=True, tls_name="dns.test")], timeout=2
        )
        assert (
            ask(Resolver(Policy.build([]), untrusted), "b.example.com").rcode()
            == dns.rcode.SERVFAIL
        )
        assert seen == []  # nothing was sent over a connection that failed its checks
    finally:
        server.close()
