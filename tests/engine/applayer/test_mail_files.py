"""Mail in clear text -> MailTransaction with its attachments hashed, as files for rules and the
dangerous-file detector.

The SMTP sessions are real: Python's smtplib (and a pipelining script) talks to an aiosmtpd
server on loopback through a small TCP relay that records each direction's bytes in order; the
recording is then played to a FlowParser as TCP packets. What the server received is the oracle:
the email package's reading of the message aiosmtpd stored. POP3 and IMAP answers carry a
message aiosmtpd received, framed as those servers frame it (dot-stuffed by smtplib's own
`quotedata`; an IMAP literal). Suricata's own SMTP captures (suricata-verify) check that the
same attachments come out as Suricata reports them.
"""

from __future__ import annotations

import dataclasses
import email
import email.policy
import hashlib
import io
import os
import smtplib
import socket
import tracemalloc
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lanward.engine.applayer import mime
from lanward.engine.applayer.mail import MailParser
from lanward.engine.detect.feeds import parse_feed
from lanward.engine.events import FlowKey, HttpTransaction, MailTransaction
from lanward.engine.pipeline import Engine, EngineConfig
from lanward.engine.rules import FlowStates, RuleSet
from tests.engine.applayer.build import (
    CLIENT_MAC,
    EICAR,
    EICAR_SHA256,
    SERVER_MAC,
    Conversation,
    feed,
    http_response,
)
from tests.engine.applayer.pcaps import run_pcap
from tests.engine.applayer.relay import Relay, edited
from tests.ndpi_corpus import CORPUS

VERIFY = CORPUS / "suricata-verify" / "tests"
HELO = "client.lanward.test"
ZIP_MEMBER = b"#!/bin/sh\necho pretend this is a dropper\n" * 40
PDF = b"%PDF-1.4\n" + os.urandom(300_000)  # spans many packets, and more than one kept window


def zipped() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("invoice.sh", ZIP_MEMBER)
    return out.getvalue()


ZIP = zipped()


# --- real peers ----------------------------------------------------------------------------


@dataclass
class Received:
    """What aiosmtpd stored: the envelope and the message, per mail."""

    mails: list[tuple[str, list[str], bytes]] = field(default_factory=list)


@pytest.fixture(scope="module")
def smtpd() -> Iterator[tuple[int, Received]]:
    from aiosmtpd.controller import Controller

    received = Received()

    class Handler:
        async def handle_RCPT(  # noqa: N802 - aiosmtpd's name
            self, server: Any, session: Any, envelope: Any, address: str, options: Any
        ) -> str:
            if address.startswith("nobody@"):
                return "550 5.1.1 no such user"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
            received.mails.append(
                (envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
            )
            return "250 2.0.0 queued"

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, received
    finally:
        controller.stop()


def conversation(chunks: list[tuple[bool, bytes]]) -> Conversation:
    c = Conversation(client_port=41000, server_port=25).handshake()
    for to_server, data in chunks:
        c.send(to_server, data)
    return c.finish()


def mails_of(events: list) -> list[MailTransaction]:
    return [e for e in events if isinstance(e, MailTransaction)]


def attachments(raw: bytes) -> list[tuple[str, int, str]]:
    """The oracle: the email package's attachments of a message as the server stored it."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    out = []
    for part in message.walk():
        if part.is_multipart() or part.get_content_type() == "message/rfc822":
            continue
        name = part.get_filename()
        if name or part.get_content_maintype() not in ("text", "multipart", "message"):
            data = part.get_payload(decode=True)
            out.append((name or "", len(data), hashlib.sha256(data).hexdigest()))
    return out


def first_mail() -> EmailMessage:
    m = EmailMessage()
    m["From"] = "Alice <alice@home.test>"
    m["To"] = "bob@example.net"
    m["Subject"] = "the report you asked for"
    m["Message-ID"] = "<first@home.test>"
    m.set_content(
        "Hello Bob,\n.this line starts with a dot\n..and this one with two\n"
        "Grüße, with a long line to wrap: " + "x" * 120 + "\n",
        cte="quoted-printable",
    )
    m.add_attachment(EICAR, maintype="application", subtype="octet-stream", filename="eicar.com")
    return m


def second_mail() -> EmailMessage:
    m = EmailMessage()
    m["From"] = "alice@home.test"
    m["To"] = "carol@example.org, dave@example.org"
    m["Subject"] = "=?utf-8?q?factures_de_d=C3=A9cembre?="
    m.set_content("plain text")
    m.add_alternative("<p>html text</p>", subtype="html")
    m.add_attachment(ZIP, maintype="application", subtype="zip", filename="factures décembre.zip")
    m.add_attachment(
        "Grüße = greetings\n.a dot\n" + "a long line, soft-broken " * 8 + "\nend\n",
        subtype="plain",
        filename="notes.txt",
        cte="quoted-printable",
    )
    forwarded = EmailMessage()
    forwarded["Subject"] = "inner"
    forwarded.set_content("the enclosed message")
    forwarded.add_attachment(PDF, maintype="application", subtype="pdf", filename="scan.pdf")
    m.add_attachment(forwarded)
    return m


@pytest.fixture(scope="module")
def session(smtpd: tuple[int, Received]) -> tuple[list[tuple[bool, bytes]], Received]:
    """smtplib sends three mails in one session; the one to an unknown user is refused."""
    port, received = smtpd
    before = len(received.mails)
    relay = Relay(port)
    with smtplib.SMTP("127.0.0.1", relay.port, local_hostname=HELO, timeout=10) as client:
        client.send_message(first_mail())
        with pytest.raises(smtplib.SMTPRecipientsRefused):  # smtplib sends RSET after it
            client.sendmail("alice@home.test", ["nobody@example.net"], b"Subject: x\r\n\r\nx\r\n")
        client.send_message(second_mail())
        client.sendmail(
            "<>", ["postmaster@example.net"], b"Subject: bounce\r\n\r\n.\r\n..\r\nend\r\n"
        )
    chunks = relay.join()
    got = Received(received.mails[before:])
    assert len(got.mails) == 3
    return chunks, got


# --- SMTP ----------------------------------------------------------------------------------


def test_each_mail_of_a_session_with_its_attachments(
    session: tuple[list[tuple[bool, bytes]], Received],
) -> None:
    chunks, received = session
    c = conversation(chunks)
    events, _ = feed(c.key, c.packets)
    mails = mails_of(events)
    assert (
        [(m.mail_from, m.rcpt_to) for m in mails]
        == [(sender.strip("<>"), tuple(rcpts)) for sender, rcpts, _ in received.mails]
        == [
            ("alice@home.test", ("bob@example.net",)),
            ("alice@home.test", ("carol@example.org", "dave@example.org")),
            ("", ("postmaster@example.net",)),  # MAIL FROM:<> (a bounce)
        ]
    )
    for mail, (_, _, raw) in zip(mails, received.mails, strict=True):
        assert [(f.name, f.size, f.sha256) for f in mail.files] == attachments(raw)
        assert all(f.complete and f.direction == "to_server" for f in mail.files)
        assert (mail.protocol, mail.helo, mail.complete) == ("smtp", HELO, True)
        assert mail.size == len(raw)  # dot-unstuffed, as the server stored it
    first, second, bounce = mails
    assert (first.subject, first.message_id) == ("the report you asked for", "<first@home.test>")
    [eicar] = first.files
    assert (eicar.name, eicar.sha256, eicar.magic) == ("eicar.com", EICAR_SHA256, "EICAR test file")
    assert first.body == (EICAR,)
    assert second.subject == "factures de décembre"
    assert [f.name for f in second.files] == ["factures décembre.zip", "notes.txt", "scan.pdf"]
    assert [f.magic for f in second.files] == ["ZIP archive", "", "PDF document"]
    assert second.files[2].sha256 == hashlib.sha256(PDF).hexdigest()
    assert second.body[0] == ZIP and second.body[2] == PDF[: mime.FILE_KEEP]
    assert second.body[1].startswith("Grüße = greetings\r\n.a dot\r\na long line".encode())
    assert bounce.files == () and bounce.subject == "bounce"


def test_reordered_segments_give_the_same_files(
    session: tuple[list[tuple[bool, bytes]], Received],
) -> None:
    """The first mail in small segments, each message's segments in a random order."""
    from tests.engine.applayer.build import shuffled_data

    chunks, _ = session
    end = next(i for i, (to_server, data) in enumerate(chunks) if b"queued" in data)
    c = Conversation(client_port=41000, server_port=25).handshake()
    for to_server, data in chunks[: end + 1]:
        c.send(to_server, data, mss=48)
    in_order, _ = feed(c.key, c.packets)
    for seed in range(5):
        shuffled, _ = feed(c.key, shuffled_data(c.packets, seed=seed))
        assert mails_of(shuffled) == mails_of(in_order)
    assert [f.sha256 for m in mails_of(in_order) for f in m.files] == [EICAR_SHA256]


def test_a_cut_capture_reports_the_mail_incomplete(
    session: tuple[list[tuple[bool, bytes]], Received],
) -> None:
    chunks, _ = session
    c = Conversation(client_port=41000, server_port=25).handshake()
    sent = 0
    for to_server, data in chunks:
        if to_server and b"scan.pdf" in data:  # the second mail, cut inside its PDF
            c.send(True, data[: data.index(b"scan.pdf") + 20_000])
            break
        c.send(to_server, data)
        sent += 1
    events, _ = feed(c.key, c.packets)  # the flow ends (closed) without the rest
    first, second = mails_of(events)
    assert first.complete and not second.complete
    assert [(f.name, f.complete) for f in second.files] == [
        ("factures décembre.zip", True),
        ("notes.txt", True),
        ("scan.pdf", False),
    ]


def test_pipelined_commands_and_a_refused_data(smtpd: tuple[int, Received]) -> None:
    """A client that pipelines (RFC 2920): MAIL, RCPT and DATA in one write. aiosmtpd refuses
    the DATA of the first (no valid recipient), so the lines after it are commands again."""
    port, received = smtpd
    before = len(received.mails)
    relay = Relay(port)
    with (
        socket.create_connection(("127.0.0.1", relay.port), timeout=10) as s,
        s.makefile("rb") as reader,
    ):

        def answers(count: int) -> list[bytes]:
            out = []
            while len(out) < count:
                line = reader.readline()
                if line[3:4] != b"-":
                    out.append(line[:3])
            return out

        assert answers(1) == [b"220"]
        s.sendall(b"EHLO pipeliner\r\n")
        assert answers(1) == [b"250"]
        s.sendall(b"MAIL FROM:<a@home.test>\r\nRCPT TO:<nobody@x.test>\r\nDATA\r\n")
        assert answers(3) == [b"250", b"550", b"503"]
        s.sendall(b"RSET\r\nMAIL FROM:<a@home.test> SIZE=99\r\nRCPT TO:<b@x.test>\r\nDATA\r\n")
        assert answers(4) == [b"250", b"250", b"250", b"354"]
        s.sendall(b"Subject: piped\r\n\r\n.\r\n")
        assert answers(1) == [b"250"]
        s.sendall(b"QUIT\r\n")
        assert answers(1) == [b"221"]
    chunks = relay.join()
    assert len(received.mails) == before + 1
    c = conversation(chunks)
    events, _ = feed(c.key, c.packets)
    [mail] = mails_of(events)
    assert (mail.helo, mail.mail_from, mail.rcpt_to, mail.subject) == (
        "pipeliner",
        "a@home.test",
        ("b@x.test",),
        "piped",
    )


def test_bdat_chunks_make_one_message() -> None:
    """CHUNKING (RFC 3030): BDAT sizes, no dot-stuffing, the LAST chunk ends the message.
    (aiosmtpd has no CHUNKING: the server's side is scripted.)"""
    m = first_mail()
    raw = m.as_bytes(policy=email.policy.SMTP)
    half = len(raw) // 2
    c = Conversation(server_port=25).handshake()
    c.server(b"220 mx.example ESMTP\r\n").client(b"EHLO me\r\n")
    c.server(b"250-mx.example\r\n250 CHUNKING\r\n")
    c.client(b"MAIL FROM:<a@home.test>\r\nRCPT TO:<b@x.test>\r\n")
    c.server(b"250 ok\r\n250 ok\r\n")
    c.client(f"BDAT {half}\r\n".encode() + raw[:half])
    c.client(f"BDAT {len(raw) - half} LAST\r\n".encode() + raw[half:] + b"QUIT\r\n")
    c.server(b"250 ok\r\n250 ok\r\n221 bye\r\n").finish()
    events, _ = feed(c.key, c.packets)
    [mail] = mails_of(events)
    assert [f.sha256 for f in mail.files] == [EICAR_SHA256]
    assert (mail.size, mail.complete, mail.rcpt_to) == (len(raw), True, ("b@x.test",))


# --- POP3 and IMAP -------------------------------------------------------------------------


def test_pop3_retr_after_list(session: tuple[list[tuple[bool, bytes]], Received]) -> None:
    _, received = session
    raw = received.mails[1][2]
    listing = b"+OK 2 messages\r\n1 120\r\n2 " + str(len(raw)).encode() + b"\r\n.\r\n"
    c = Conversation(server_port=110).handshake()
    c.server(b"+OK POP3 ready\r\n").client(b"USER bob\r\n").server(b"+OK\r\n")
    c.client(b"PASS s3cret\r\n").server(b"+OK logged in\r\n")
    c.client(b"LIST\r\nRETR 2\r\n")  # pipelined: the LIST answer is passed over
    body = smtplib.quotedata(raw.decode("latin-1")).encode("latin-1")
    c.server(listing + b"+OK message follows\r\n" + body + b"\r\n.\r\n")
    c.client(b"QUIT\r\n").server(b"+OK bye\r\n").finish()
    events, _ = feed(c.key, c.packets)
    [mail] = mails_of(events)
    assert mail.protocol == "pop3" and mail.complete
    assert [(f.name, f.size, f.sha256) for f in mail.files] == attachments(raw)
    assert all(f.direction == "to_client" for f in mail.files)
    assert (mail.mail_from, mail.rcpt_to) == (
        "alice@home.test",
        ("carol@example.org", "dave@example.org"),
    )


def test_imap_fetch_body_literal(session: tuple[list[tuple[bool, bytes]], Received]) -> None:
    _, received = session
    raw = received.mails[0][2]
    c = Conversation(server_port=143).handshake()
    c.server(b"* OK IMAP4rev1 ready\r\n").client(b'a1 LOGIN bob "s3cret"\r\n')
    c.server(b"a1 OK done\r\n").client(b"a2 SELECT INBOX\r\n")
    c.server(b"* FLAGS (\\Seen)\r\n* 1 EXISTS\r\n* OK [PERMANENTFLAGS ()] {5}\r\nhello\r\n")
    c.server(b"a2 OK [READ-WRITE] done\r\n").client(b"a3 UID FETCH 7 (UID BODY.PEEK[])\r\n")
    literal = b"{" + str(len(raw)).encode() + b"}\r\n"
    c.server(b"* 1 FETCH (UID 7 BODY[] " + literal + raw + b")\r\na3 OK fetched\r\n").finish()
    events, _ = feed(c.key, c.packets)
    [mail] = mails_of(events)
    assert (mail.protocol, mail.complete, mail.subject) == (
        "imap",
        True,
        "the report you asked for",
    )
    assert [f.sha256 for f in mail.files] == [EICAR_SHA256]


# --- Suricata's captures -------------------------------------------------------------------


def verify_case(name: str) -> list[MailTransaction]:
    pcap = VERIFY / name / "input.pcap"
    if not pcap.is_file():
        pytest.skip(f"no suricata-verify corpus at {VERIFY.resolve()}")
    run = run_pcap(pcap)
    assert run.failures == []
    return run.of(MailTransaction)


def test_suricata_smtp_file_data_capture() -> None:
    [mail] = verify_case("smtp-file-data-01")  # test.yaml: files[0] J.txt, 16384 bytes
    assert (mail.helo, mail.mail_from, mail.rcpt_to) == (
        "client-1016363.example.int",
        "sender@example.com",
        ("recipient@example.com",),
    )
    assert [(f.name, f.size, f.complete) for f in mail.files] == [("J.txt", 16384, True)]
    assert mail.body[0].startswith(b"if was")


def test_suricata_invalid_base64_capture() -> None:
    """bug-6207-2: "NA=", "=Mg", "==" is "42"; the name is an RFC 2231 continuation whose
    lines have no leading space."""
    [mail] = verify_case("bug-6207-2")
    assert (mail.helo, mail.mail_from, mail.rcpt_to) == (
        "smtp.intra",
        "blah@smtp.lab.com",
        ("test@wut.com",),
    )
    [f] = mail.files
    assert f.name == (
        "smtptest-2021-02-25T13-54-22Z-aefb2fc1308d62f4b6c74769f69b13ddf80e995fd98ae442f3be499ea928c67f..zip"
    )
    assert (f.size, f.sha256) == (
        2,
        "73475cb40a568e8da8a045ced110137e159f890ac4da883b6b17dc651b3a8049",
    )
    assert mail.body == (b"42",)


# --- detection -----------------------------------------------------------------------------


def test_eicar_by_mail_is_a_dangerous_file_alert(
    session: tuple[list[tuple[bool, bytes]], Received],
) -> None:
    chunks, _ = session
    c = conversation(chunks)
    key = dataclasses.replace(c.key, src_mac=CLIENT_MAC, dst_mac=SERVER_MAC)
    events, _ = feed(key, c.packets)
    engine = Engine(EngineConfig())
    for event in events:
        engine.app_event(event)
    [a] = [a for a in engine.alerts if a["detector"] == "dangerous_file"]
    assert (a["severity"], a["mac"], a["app"]) == ("high", CLIENT_MAC, "SMTP")
    assert a["evidence"]["mail_from"] == "alice@home.test"
    assert a["evidence"]["rcpt_to"] == ["bob@example.net"]
    assert a["evidence"]["sha256"] == EICAR_SHA256
    assert "192.168.1.20 sent the EICAR" in a["summary"] and "bob@example.net" in a["summary"]
    text = repr(a)
    assert "report you asked" not in text and "Hello Bob" not in text  # no subject, no body


def test_listed_attachment_fetched_over_pop3_is_critical(
    session: tuple[list[tuple[bool, bytes]], Received],
) -> None:
    _, received = session
    raw = received.mails[1][2]
    feed_text = hashlib.sha256(ZIP).hexdigest() + "\n"
    engine = Engine(EngineConfig(indicators=parse_feed(feed_text, "malware-hashes.txt")))
    c = Conversation(server_port=110).handshake()
    c.server(b"+OK ready\r\n").client(b"RETR 1\r\n")
    body = smtplib.quotedata(raw.decode("latin-1")).encode("latin-1")
    c.server(b"+OK\r\n" + body + b"\r\n.\r\n").finish()
    events, _ = feed(c.key, c.packets)
    for event in events:
        engine.app_event(event)
    [a] = [a for a in engine.alerts if a["detector"] == "dangerous_file"]
    assert (a["severity"], a["app"], a["evidence"]["name"]) == (
        "critical",
        "POP3",
        "factures décembre.zip",
    )
    assert "192.168.1.20 received factures décembre.zip by mail (POP3" in a["summary"]


def test_rules_see_attachments(session: tuple[list[tuple[bool, bytes]], Received]) -> None:
    """`alert smtp` with file.data inspects each attachment; a tcp rule with only file.data
    inspects HTTP bodies and mail attachments alike; `alert smtp` is not POP3 mail."""
    chunks, _ = session
    c = conversation(chunks)
    events, _ = feed(c.key, c.packets)
    rules = RuleSet()
    rules.add_text(
        'alert smtp any any -> any any (msg:"EICAR by mail"; file.data; content:"EICAR-STANDARD"; sid:1;)\n'
        'alert smtp any any -> any any (msg:"PDF by mail"; file_data; content:"%PDF-"; startswith; sid:2;)\n'
        'alert tcp any any -> any any (msg:"EICAR anywhere"; file.data; content:"EICAR-STANDARD"; sid:3;)\n'
        'alert smtp any any -> any any (msg:"no such text"; file.data; content:"Hello Bob"; sid:4;)\n',
        "test.rules",
    )
    assert rules.report.files[0].loaded == 4
    flows = FlowStates()
    sids = sorted(m.rule.sid for e in events for m in rules.match(e, flows))
    assert sids == [1, 2, 3]  # the text part is not a file
    http = Conversation().handshake()
    http.client(b"GET /eicar.com HTTP/1.1\r\nHost: x\r\n\r\n")
    http.server(http_response(EICAR, {"Content-Length": "68"})).finish()
    http_events, _ = feed(http.key, http.packets)
    tx = [e for e in http_events if isinstance(e, HttpTransaction)]
    assert sorted(m.rule.sid for e in tx for m in rules.match(e, flows)) == [3]
    pop3 = dataclasses.replace(mails_of(events)[0], protocol="pop3")
    assert [m.rule.sid for m in rules.match(pop3, flows)] == [3]


# --- hostile input -------------------------------------------------------------------------


def _client_stream(chunks: list[tuple[bool, bytes]]) -> tuple[bytes, bytes]:
    return (
        b"".join(d for to_server, d in chunks if to_server),
        b"".join(d for to_server, d in chunks if not to_server),
    )


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.large_base_example],
)
@given(data=st.data())
def test_mutated_sessions_never_raise(
    session: tuple[list[tuple[bool, bytes]], Received], data: st.DataObject
) -> None:
    """The recorded client bytes with random edits, in random pieces, with random losses."""
    client, server = _client_stream(session[0])
    client = client[:60_000]  # the first mail and the start of the second
    client = edited(data, client)
    step = data.draw(st.integers(1, 3000))
    gaps = dict(data.draw(st.lists(st.tuples(st.integers(0, 100), st.integers(1, 5000)))))
    parser = MailParser(FlowKey("192.168.1.20", 41000, "192.0.2.1", 25, 6), "smtp")
    parser.feed(False, server[:200], 1)
    for n, start in enumerate(range(0, len(client), step)):
        parser.feed(True, client[start : start + step], 2)
        if n in gaps:
            parser.gap(True, gaps[n], 3)
    parser.feed(False, server[200:], 4)
    for event in parser.close(5):
        if isinstance(event, MailTransaction):
            assert len(event.files) <= mime.MAX_FILES
            assert all(len(b) <= mime.FILE_KEEP for b in event.body)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000), st.integers(1, 97))
def test_any_message_bytes_never_raise(raw: bytes, step: int) -> None:
    message = mime.Message("to_server")
    for prefix in (b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n", b""):
        message = mime.Message("to_server")
        data = prefix + raw
        for start in range(0, len(data), step):
            message.feed(data[start : start + step])
        message.end(True)
        assert message.size == len(data)


HOSTILE = {
    "one endless line": b"Subject: x\r\n\r\n" + b"A" * 8_000_000,
    "endless headers": b"".join(b"X-%d: %s\r\n" % (i, b"v" * 200) for i in range(40_000)),
    "a header line without end": b"Subject: " + b"s" * 8_000_000,
    "many parts": b"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
    + b"--b\r\nContent-Type: application/octet-stream\r\n\r\nxx\r\n" * 100_000,
    "deep nesting": b"".join(
        b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (i, i)
        for i in range(50_000)
    ),
    "a big attachment": b"Content-Type: application/octet-stream\r\n"
    b"Content-Transfer-Encoding: base64\r\n\r\n" + b"QUFBQUFB\r\n" * 1_000_000,
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_messages_stay_small(name: str) -> None:
    raw = HOSTILE[name]
    parser = MailParser(FlowKey("192.168.1.20", 41000, "192.0.2.1", 25, 6), "smtp")
    parser.feed(False, b"220 mx ESMTP\r\n", 1)
    parser.feed(True, b"EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n", 2)
    tracemalloc.start()
    try:
        for start in range(0, len(raw), 1460):
            parser.feed(True, raw[start : start + 1460], 3)
        events = parser.feed(True, b"\r\n.\r\nQUIT\r\n", 4)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    [mail] = mails_of(events)
    assert peak < 2 * 1024 * 1024, f"{name}: {peak} bytes at the peak"
    assert mail.size == len(raw) + 2
    assert len(mail.files) <= mime.MAX_FILES and sum(map(len, mail.body)) <= 1024 * 1024
