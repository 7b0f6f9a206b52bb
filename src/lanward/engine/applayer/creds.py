"""Sign-ins in HTTP: Basic and Digest authorization headers and login form fields.

Only the user name is ever returned; a password is looked at for whether it is there, never
kept. The line-based protocols (FTP, POP3, IMAP, SMTP) are in `mail.py`, Telnet in `telnet.py`.
"""

from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import parse_qsl

MAX_FORM_FIELDS = 256
MAX_USERNAME = 256

_PASSWORD_FIELD = re.compile(r"pass|pwd|^pw$|^passcode$|^secret$|^pin$|^senha$|^kennwort$", re.I)
_USERNAME_FIELD = re.compile(
    r"user|login|e-?mail|^mail$|account|^uid$|^uname$|^usr$|^log$|^name$|^id$|^benutzer", re.I
)
# Field names that contain "user"/"pass" but hold no sign-in (a password policy, a user agent).
_NOT_A_SECRET = re.compile(r"agent|hint|policy|strength|reset|forgot|remember|length|type", re.I)


def authorization(value: str) -> tuple[str, str] | None:
    """(protocol, username) from an Authorization header value, or None."""
    scheme, _, rest = value.strip().partition(" ")
    scheme = scheme.lower()
    if scheme == "basic":
        token = rest.strip().split(" ", 1)[0]
        try:
            raw = base64.b64decode(token + "=" * (-len(token) % 4), validate=False)
        except (binascii.Error, ValueError):
            return None
        if b":" not in raw:
            return None
        user = raw.split(b":", 1)[0]
        return "http-basic", _text(user)
    if scheme == "digest":
        match = re.search(
            r'(?:^|[\s,])username\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))', rest, re.I
        )
        if match:
            return "http-digest", (match.group(1) or match.group(2) or "")[:MAX_USERNAME]
    return None


def form_fields(text: str) -> list[tuple[str, str]]:
    """The fields of an application/x-www-form-urlencoded string ([] when it is not one)."""
    try:
        return parse_qsl(
            text, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS, errors="replace"
        )
    except ValueError:
        return []


def form_login(fields: list[tuple[str, str]]) -> str | None:
    """The username of a sign-in among form fields, '' when only a password was sent, or None."""
    has_secret = any(
        value and _PASSWORD_FIELD.search(name) and not _NOT_A_SECRET.search(name)
        for name, value in fields
    )
    if not has_secret:
        return None
    for name, value in fields:
        if (
            value
            and _USERNAME_FIELD.search(name)
            and not _PASSWORD_FIELD.search(name)
            and not _NOT_A_SECRET.search(name)
        ):
            return value[:MAX_USERNAME]
    return ""


def _text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")[:MAX_USERNAME]
    except UnicodeDecodeError:
        return raw.decode("latin-1")[:MAX_USERNAME]
