"""Sign-ins over the line-based clear-text protocols: FTP, POP3, IMAP and SMTP.

Which protocol it is comes from the server's greeting ("220 ... FTP", "+OK", "* OK"), else from
the client's first command, else from the port. The user name is taken from USER, IMAP LOGIN,
or SASL PLAIN/LOGIN (base64); for the password only the fact that one was sent is kept. The
server's next verdict (230/530, +OK/-ERR, tag OK/NO, 235/535) says whether it worked. After a
STARTTLS (or STLS, AUTH TLS) the server accepts, the flow is handed back to be recognised
again (it continues as TLS).
"""

from __future__ import annotations

import base64
import binascii
import re

from lanward.engine.events import AppEvent, CredentialSeen, FlowKey

MAX_LINE = 4096
MAX_USERNAME = 256
MAX_LOGINS = 64  # sign-ins reported per flow (a brute force is still seen, and bounded)

PORTS = {21: "ftp", 25: "smtp", 465: "smtp", 587: "smtp", 2525: "smtp", 110: "pop3", 143: "imap"}

_IMAP_COMMAND = re.compile(
    rb"^[A-Za-z0-9.]{1,32} (?:LOGIN|AUTHENTICATE|CAPABILITY|STARTTLS|ID|NOOP|LOGOUT)\b", re.I
)
_CLIENT_FIRST = {
    b"USER": None,  # ftp or pop3: see the greeting or the port
    b"PASS": None,
    b"EHLO": "smtp",
    b"HELO": "smtp",
    b"CAPA": "pop3",
    b"STLS": "pop3",
    b"APOP": "pop3",
    b"SYST": "ftp",
    b"FEAT": "ftp",
}


def greeting_protocol(line: bytes) -> str | None:
    """The protocol a server's first line announces, '' for a plain 220, None for none."""
    if line.startswith(b"+OK"):
        return "pop3"
    if line.startswith((b"* OK", b"* PREAUTH", b"* BYE")):
        return "imap"
    if line[:3] == b"220" and line[3:4] in (b" ", b"-", b""):
        lower = line.lower()
        if b"ftp" in lower:
            return "ftp"
        if b"smtp" in lower or b"mail" in lower:
            return "smtp"
        return ""
    return None


def client_protocol(line: bytes, greeting: str | None, port: int) -> str | None:
    """The protocol a client's first command suggests (given the greeting and port), or None."""
    word = line.split(b" ", 1)[0].upper()
    if word in _CLIENT_FIRST:
        known = _CLIENT_FIRST[word]
        if known:
            return known
        if greeting in ("ftp", "pop3"):
            return greeting
        return "pop3" if PORTS.get(port) == "pop3" else "ftp"
    if word == b"AUTH" and line[5:].strip().upper() not in (b"TLS", b"SSL"):
        return greeting or PORTS.get(port) or "smtp"
    if _IMAP_COMMAND.match(line):
        return "imap"
    return None


def _b64(text: bytes) -> bytes | None:
    text = text.strip()
    try:
        return base64.b64decode(text + b"=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None


def _name(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")[:MAX_USERNAME]
    except UnicodeDecodeError:
        return raw.decode("latin-1")[:MAX_USERNAME]


def _plain_user(decoded: bytes | None) -> str | None:
    """The user of a SASL PLAIN message (authzid NUL authcid NUL password)."""
    if decoded is None or decoded.count(b"\x00") < 2:
        return None
    authzid, authcid, _secret = decoded.split(b"\x00", 2)
    return _name(authcid or authzid)


def _imap_string(text: bytes) -> tuple[bytes, bytes]:
    """The first IMAP astring in `text` (atom or quoted) and the rest."""
    text = text.lstrip()
    if text.startswith(b'"'):
        out, pos = bytearray(), 1
        while pos < len(text) and text[pos] != 0x22:
            if text[pos] == 0x5C and pos + 1 < len(text):
                pos += 1
            out.append(text[pos])
            pos += 1
        return bytes(out), text[pos + 1 :]
    word, _, rest = text.partition(b" ")
    return word, rest


class MailParser:
    def __init__(self, flow: FlowKey, protocol: str = "") -> None:
        self.flow = flow
        self.protocol = protocol  # "" until known
        self.greeting: str | None = None
        self.buffers = {True: bytearray(), False: bytearray()}
        self.events: list[AppEvent] = []
        self.user = ""
        self.pending: tuple[int, str, str] | None = None  # a sent secret waiting for the verdict
        self.sasl = ""  # "plain", "login-user", "login-pass": the client's next line
        self.imap_tag = b""
        self.imap_literal = 0
        self.starttls = False
        self.in_data = False
        self.reported = 0
        self.done = False
        self.handoff: tuple[bytes, bytes] | None = None
        self.ts_ms = 0

    def feed(self, to_server: bool, data: bytes, ts_ms: int) -> list[AppEvent]:
        self.ts_ms = ts_ms
        buf = self.buffers[to_server]
        buf += data
        while not self.done:
            nl = buf.find(b"\n")
            if nl < 0:
                if len(buf) > MAX_LINE:
                    buf.clear()
                break
            line = bytes(buf[:nl]).rstrip(b"\r")
            del buf[: nl + 1]
            if len(line) <= MAX_LINE:
                (self._client if to_server else self._server)(line)
        return self._take()

    def gap(self, to_server: bool, size: int, ts_ms: int) -> list[AppEvent]:
        self.buffers[to_server].clear()
        if to_server:
            self.sasl, self.imap_literal = "", 0
        return []

    def close(self, ts_ms: int) -> list[AppEvent]:
        self._verdict(None)
        self.done = True
        return self._take()

    # --- the client ------------------------------------------------------------------------

    def _client(self, line: bytes) -> None:
        if not self.protocol:
            self.protocol = client_protocol(line, self.greeting, self.flow.dst_port) or ""
        if self.in_data:
            self.in_data = line != b"."
            return
        if self.imap_literal:
            size, self.imap_literal = self.imap_literal, 0
            if size > 0:  # the user name, sent as a literal
                self._imap_login(line[:size], line[size:])
            return  # else the password, sent as a literal: skipped
        if self.sasl:
            self._sasl_line(line)
            return
        word, _, rest = line.partition(b" ")
        command = word.upper()
        if self.protocol == "imap" and rest:
            self.imap_tag = word
            command, _, rest = rest.partition(b" ")
            command = command.upper()
        if command == b"USER" and self.protocol in ("ftp", "pop3"):
            self.user = _name(rest.strip())
        elif command == b"PASS" and self.protocol in ("ftp", "pop3"):
            self._secret_sent(self.user, "USER/PASS")
        elif command == b"LOGIN" and self.protocol == "imap":
            literal = re.match(rb"\s*\{(\d{1,4})\+?\}\s*$", rest)
            if literal:
                self.imap_literal = int(literal.group(1))
            else:
                user, after = _imap_string(rest)
                self._imap_login(user, after)
        elif command in (b"AUTH", b"AUTHENTICATE"):
            self._sasl_start(rest)
        elif command in (b"STARTTLS", b"STLS") or (
            command == b"AUTH" and rest.strip().upper() in (b"TLS", b"SSL")
        ):
            self.starttls = True
        elif command == b"DATA" and self.protocol == "smtp":
            self.in_data = True

    def _imap_login(self, user: bytes, rest: bytes) -> None:
        if re.search(rb"\{\d{1,6}\+?\}\s*$", rest):
            self.imap_literal = -1  # the password follows as a literal on the next line
        self._secret_sent(_name(user), "LOGIN")

    def _sasl_start(self, rest: bytes) -> None:
        mechanism, _, initial = rest.strip().partition(b" ")
        mechanism = mechanism.upper()
        if mechanism in (b"TLS", b"SSL"):
            self.starttls = True
        elif mechanism == b"PLAIN":
            if initial.strip() and initial.strip() != b"=":
                self._plain(initial)
            else:
                self.sasl = "plain"
        elif mechanism == b"LOGIN":
            if initial.strip():
                self.user = _name(_b64(initial) or b"")
                self.sasl = "login-pass"
            else:
                self.sasl = "login-user"

    def _sasl_line(self, line: bytes) -> None:
        step, self.sasl = self.sasl, ""
        if line.strip() == b"*":
            return  # the client cancelled the exchange
        if step == "plain":
            self._plain(line)
        elif step == "login-user":
            self.user = _name(_b64(line) or b"")
            self.sasl = "login-pass"
        elif step == "login-pass":
            self._secret_sent(self.user, "AUTH LOGIN")

    def _plain(self, text: bytes) -> None:
        user = _plain_user(_b64(text))
        if user is not None:
            self._secret_sent(user, "AUTH PLAIN")

    def _secret_sent(self, user: str, detail: str) -> None:
        if not self.protocol:
            return
        if self.pending is not None:
            self._verdict(None)
        self.pending = (self.ts_ms, user, detail)

    # --- the server ------------------------------------------------------------------------

    def _server(self, line: bytes) -> None:
        if self.greeting is None:
            self.greeting = greeting_protocol(line) or ""
            if not self.protocol:
                self.protocol = self.greeting or PORTS.get(self.flow.dst_port, "")
            return
        if self.in_data and line[:1] in (b"4", b"5"):
            self.in_data = False  # DATA refused: no message follows
        if self.starttls:
            self.starttls = False
            if self._positive(line):
                self.handoff = (bytes(self.buffers[True]), bytes(self.buffers[False]))
                self.done = True
            return
        if self.pending is None:
            return
        protocol = self.protocol
        if protocol == "ftp" and line[:3] in (b"230", b"530"):
            self._verdict(line[:3] == b"230")
        elif protocol == "pop3" and line.startswith((b"+OK", b"-ERR")):
            self._verdict(line.startswith(b"+OK"))
        elif protocol == "smtp" and line[:1] in (b"2", b"5") and line[:3] != b"250":
            self._verdict(line[:3] == b"235")
        elif protocol == "imap" and self.imap_tag and line.startswith(self.imap_tag + b" "):
            status = line[len(self.imap_tag) + 1 :].split(b" ", 1)[0].upper()
            if status in (b"OK", b"NO", b"BAD"):
                self._verdict(status == b"OK")

    def _positive(self, line: bytes) -> bool:
        if self.protocol == "imap":
            return line.startswith(self.imap_tag + b" OK") if self.imap_tag else False
        return line.startswith((b"+OK", b"220", b"234"))

    def _verdict(self, success: bool | None) -> None:
        if self.pending is None:
            return
        ts_ms, user, detail = self.pending
        self.pending = None
        if self.reported < MAX_LOGINS:
            self.reported += 1
            self.events.append(
                CredentialSeen(self.flow, ts_ms, self.protocol, user, detail, success)
            )

    def _take(self) -> list[AppEvent]:
        events, self.events = self.events, []
        return events
