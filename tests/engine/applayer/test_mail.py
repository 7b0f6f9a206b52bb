"""Clear-text sign-ins over FTP, POP3, IMAP and SMTP: the user, never the secret; verdicts."""

from __future__ import annotations

import base64

from lanward.engine.events import CredentialSeen, TlsClientHello
from tests.engine.applayer.build import Conversation, feed
from tests.engine.applayer.test_tls import client_hello_record


def b64(text: bytes) -> bytes:
    return base64.b64encode(text)


def run(port: int, script: list[tuple[bool, bytes]]) -> list:
    c = Conversation(server_port=port).handshake()
    for to_server, data in script:
        c.send(to_server, data)
    events, _ = feed(c.key, c.packets)
    for e in events:
        assert "s3cret" not in repr(e)
    return events


def creds(events: list) -> list[tuple[str, str, str, bool | None]]:
    return [
        (e.protocol, e.username, e.detail, e.success)
        for e in events
        if isinstance(e, CredentialSeen)
    ]


def test_ftp_failure_then_success_on_another_port() -> None:
    events = run(
        2121,
        [
            (False, b"220 (vsFTPd 3.0.3)\r\n"),
            (True, b"USER alice\r\n"),
            (False, b"331 Please specify the password.\r\n"),
            (True, b"PASS wrong\r\n"),
            (False, b"530 Login incorrect.\r\n"),
            (True, b"USER alice\r\n"),
            (False, b"331 Please specify the password.\r\n"),
            (True, b"PASS s3cret\r\n"),
            (False, b"230 Login successful.\r\n"),
        ],
    )
    assert creds(events) == [
        ("ftp", "alice", "USER/PASS", False),
        ("ftp", "alice", "USER/PASS", True),
    ]


def test_pop3_user_pass() -> None:
    events = run(
        110,
        [
            (False, b"+OK Dovecot ready.\r\n"),
            (True, b"USER bob\r\n"),
            (False, b"+OK\r\n"),
            (True, b"PASS s3cret\r\n"),
            (False, b"-ERR [AUTH] Authentication failed.\r\n"),
        ],
    )
    assert creds(events) == [("pop3", "bob", "USER/PASS", False)]


def test_imap_login_quoted_and_literal() -> None:
    events = run(
        143,
        [
            (False, b"* OK [CAPABILITY IMAP4rev1] ready\r\n"),
            (True, b'a1 LOGIN "carol@example.com" "s3cret"\r\n'),
            (False, b"a1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n"),
            (True, b"a2 LOGIN {4}\r\n"),
            (False, b"+ OK\r\n"),
            (True, b"dave {6}\r\n"),
            (False, b"+ OK\r\n"),
            (True, b"s3cret\r\n"),
            (False, b"a2 OK Logged in\r\n"),
        ],
    )
    assert creds(events) == [
        ("imap", "carol@example.com", "LOGIN", False),
        ("imap", "dave", "LOGIN", True),
    ]


def test_smtp_auth_plain_and_login() -> None:
    events = run(
        587,
        [
            (False, b"220 mail.example.com ESMTP Postfix\r\n"),
            (True, b"EHLO me\r\n"),
            (False, b"250-mail.example.com\r\n250 AUTH PLAIN LOGIN\r\n"),
            (True, b"AUTH PLAIN " + b64(b"\x00erin\x00s3cret") + b"\r\n"),
            (False, b"535 5.7.8 Error: authentication failed\r\n"),
            (True, b"AUTH LOGIN\r\n"),
            (False, b"334 VXNlcm5hbWU6\r\n"),
            (True, b64(b"frank") + b"\r\n"),
            (False, b"334 UGFzc3dvcmQ6\r\n"),
            (True, b64(b"s3cret") + b"\r\n"),
            (False, b"235 2.7.0 Authentication successful\r\n"),
            (True, b"MAIL FROM:<f@example.com>\r\nRCPT TO:<g@example.com>\r\nDATA\r\n"),
            (False, b"250 ok\r\n250 ok\r\n354 go\r\n"),
            (True, b"AUTH PLAIN " + b64(b"\x00mallory\x00x") + b"\r\n.\r\n"),
        ],
    )
    assert creds(events) == [
        ("smtp", "erin", "AUTH PLAIN", False),
        ("smtp", "frank", "AUTH LOGIN", True),
    ]


def test_smtp_starttls_continues_as_tls() -> None:
    events = run(
        25,
        [
            (False, b"220 mx ESMTP\r\n"),
            (True, b"EHLO me\r\n"),
            (False, b"250-mx\r\n250 STARTTLS\r\n"),
            (True, b"STARTTLS\r\n"),
            (False, b"220 2.0.0 Ready to start TLS\r\n"),
            (True, client_hello_record("mx.example.net")),
        ],
    )
    assert [e.sni for e in events if isinstance(e, TlsClientHello)] == ["mx.example.net"]


def test_password_without_a_verdict_is_reported_at_close() -> None:
    events = run(21, [(False, b"220 FTP\r\n"), (True, b"USER root\r\nPASS s3cret\r\n")])
    assert creds(events) == [("ftp", "root", "USER/PASS", None)]
