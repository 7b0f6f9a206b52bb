"""Telnet sign-ins: prompts, echo, option negotiation, verdicts."""

from __future__ import annotations

from lanward.engine.events import CredentialSeen
from tests.engine.applayer.build import Conversation, feed

IAC_WILL_ECHO = b"\xff\xfb\x01"


def run(script: list[tuple[bool, bytes]], port: int = 23) -> list[tuple[str, str, bool | None]]:
    c = Conversation(server_port=port).handshake()
    for to_server, data in script:
        c.send(to_server, data)
    events, _ = feed(c.key, c.packets)
    for e in events:
        assert "s3cret" not in repr(e)
    return [(e.username, e.detail, e.success) for e in events if isinstance(e, CredentialSeen)]


def typed_with_echo(text: bytes) -> list[tuple[bool, bytes]]:
    """Character mode: each key is a segment, and the server echoes it back."""
    out: list[tuple[bool, bytes]] = []
    for byte in text:
        out += [(True, bytes([byte])), (False, bytes([byte]))]
    return out


def test_character_mode_with_echo_failure_then_success() -> None:
    script = [
        (False, b"\xff\xfd\x18\xff\xfd\x20" + b"\r\nBusyBox router\r\n"),
        (True, b"\xff\xfb\x18\xff\xfa\x18\x00xterm\xff\xf0"),
        (False, IAC_WILL_ECHO + b"router login: "),
        *typed_with_echo(b"admin"),
        (True, b"\r\x00"),
        (False, b"\r\nPassword: "),
        (True, b"wrong\r\n"),
        (False, b"\r\nLogin incorrect\r\nrouter login: "),
        *typed_with_echo(b"admin"),
        (True, b"\r\n"),
        (False, b"\r\nPassword: "),
        (True, b"s3cre"),
        (True, b"t\r\n"),
        (False, b"\r\n\r\nBusyBox v1.31 built-in shell (ash)\r\n# "),
        (True, b"cat /etc/passwd\r\n"),
        (False, b"root:x:0:0\r\nPassword: \r\n# "),
    ]
    assert run(script) == [("admin", "login prompt", False), ("admin", "login prompt", True)]


def test_password_only_prompt_with_backspace_in_the_name() -> None:
    script = [
        (False, b"User Access Verification\r\n\r\nUsername: "),
        (True, b"opx\x7ferator\r\n"),
        (False, b"Password: "),
        (True, b"s3cret\r\n"),
        (False, b"\r\nswitch>"),
    ]
    assert run(script, port=2323) == [("operator", "login prompt", True)]
    assert run([(False, b"Password: "), (True, b"s3cret\r\n")]) == [("", "password prompt", None)]
