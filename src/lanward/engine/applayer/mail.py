"""Sign-ins over the line-based clear-text protocols: FTP, POP3, IMAP and SMTP.

Which protocol it is comes from the server's greeting ("220 ... FTP", "+OK", "* OK"), else from
the client's first command, else from the port. The user name is taken from USER, IMAP LOGIN,
or SASL PLAIN/LOGIN (base64); for the password only the fact that one was sent is kept. The
server's next verdict (230/530, +OK/-ERR, tag OK/NO, 235/535) says whether it worked. After a
STARTTLS (or STLS, AUTH TLS) the server accepts, the flow is handed back to be recognised
again (it continues as TLS).

Mail itself becomes a `MailTransaction` per message, its attachments decoded and hashed by
mime.py: SMTP's envelope (HELO, MAIL FROM, RCPT TO, RSET) and message (DATA up to the lone
".", dot-unstuffed; BDAT chunks), several per session and pipelined; POP3's RETR/TOP answers;
IMAP's FETCH BODY[] (or RFC822) literals. Server answers are paired with the commands in order
(SMTP and POP3), so a refused DATA drops its message and POP3's other multi-line answers (LIST,
UIDL, CAPA) are passed over; any other IMAP literal is skipped by its length. A message is
reported at its end, or incomplete when the flow ends first.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections import deque
from dataclasses import dataclass, field

from lanward.engine.applayer.mime import Message
from lanward.engine.events import AppEvent, CredentialSeen, FlowKey, MailTransaction

MAX_LINE = 4096
MAX_USERNAME = 256
MAX_LOGINS = 64  # sign-ins reported per flow (a brute force is still seen, and bounded)

MAX_COMMANDS = 64  # commands waiting for their answer (pipelining)
MAX_RECIPIENTS = 64
FLOW_KEEP_BUDGET = 1024 * 1024  # attachment bytes kept for rules, per flow (then a minimum each)

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


# An IMAP server line that ends in a literal: "* 3 FETCH (UID 7 BODY[] {2345}".
_LITERAL = re.compile(rb"~?\{(\d{1,12})\}$")
_FETCHED_MESSAGE = re.compile(rb"(?:BODY|BINARY)\[\](<\d+>)?$|RFC822$", re.I)
_POP3_MULTILINE = {b"RETR", b"TOP", b"CAPA", b"LIST", b"UIDL"}


def _address(text: bytes) -> str:
    """The address of MAIL FROM:<a@b> / RCPT TO:<a@b> (ESMTP parameters left out)."""
    text = text.strip()
    if text.startswith(b"<"):
        text = text[1:].split(b">", 1)[0]
    else:
        text = text.split(b" ", 1)[0]
    return _name(text.strip())


@dataclass
class _Mail:
    """A message on its way, with what the session said about it."""

    protocol: str
    ts_ms: int
    message: Message
    helo: str = ""
    mail_from: str = ""
    rcpt_to: list[str] = field(default_factory=list)
    partial: bool = False  # POP3 TOP, an IMAP partial fetch: not the whole message by design


class _Transfer:
    """Bytes crossing one direction that are not commands or answers: a dot-terminated message
    (SMTP DATA, POP3's multi-line answers, `count` None) or `count` bytes (a BDAT chunk, an
    IMAP literal). `mail` None: passed over. `last`: the message ends with this transfer."""

    def __init__(self, mail: _Mail | None, count: int | None = None, last: bool = True) -> None:
        self.mail = mail
        self.count = count
        self.last = last
        self.line_start = True
        self.ended = False

    def take(self, buf: bytearray) -> None:
        """Consume what belongs to the transfer from the start of `buf`."""
        message = self.mail.message if self.mail is not None else None
        if self.count is not None:
            n = min(self.count, len(buf))
            if message is not None:
                message.feed(bytes(buf[:n]))
            del buf[:n]
            self.count -= n
            self.ended = self.count == 0
            return
        while buf and not self.ended:
            if self.line_start and buf[:1] == b".":
                if bytes(buf[:3]) in (b".", b".\r"):
                    return  # the end, or a dot-stuffed line: the next bytes tell
                if buf[1:2] == b"\n" or buf[1:3] == b"\r\n":
                    del buf[: 2 if buf[1:2] == b"\n" else 3]
                    self.ended = True
                    return
                del buf[:1]  # dot-stuffing: the first dot of a line that starts with one
                self.line_start = False
                continue
            nl = buf.find(b"\n.")
            n = nl + 1 if nl >= 0 else len(buf)
            if message is not None:
                message.feed(bytes(buf[:n]))
            self.line_start = buf[n - 1] == 0x0A
            del buf[:n]

    def gap(self, size: int) -> None:
        if self.mail is not None:
            self.mail.message.missed(size)
        if self.count is not None:
            self.count = max(0, self.count - size)
            self.ended = self.count == 0
        else:
            self.line_start = False


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
        self.reported = 0
        self.done = False
        self.handoff: tuple[bytes, bytes] | None = None
        self.ts_ms = 0
        # Mail: what each direction is transferring, the SMTP envelope, commands in flight.
        self.transfers: dict[bool, _Transfer | None] = {True: None, False: None}
        self.commands: deque[bytes] = deque()
        self.helo = ""
        self.mail_from = ""
        self.rcpt_to: list[str] = []
        self.chunked: _Mail | None = None  # a message sent in BDAT chunks, until the LAST
        self.keep_budget = FLOW_KEEP_BUDGET

    def feed(self, to_server: bool, data: bytes, ts_ms: int) -> list[AppEvent]:
        self.ts_ms = ts_ms
        buf = self.buffers[to_server]
        buf += data
        while not self.done:
            transfer = self.transfers[to_server]
            if transfer is not None:
                transfer.take(buf)
                if not transfer.ended:
                    break
                self.transfers[to_server] = None
                self._transferred(transfer)
                continue
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
        transfer = self.transfers[to_server]
        if transfer is not None:
            transfer.gap(size)
            if transfer.ended:
                self.transfers[to_server] = None
                self.buffers[to_server].clear()
                self._transferred(transfer)
            return self._take()
        self.buffers[to_server].clear()
        if to_server:
            self.sasl, self.imap_literal = "", 0
        return []

    def close(self, ts_ms: int) -> list[AppEvent]:
        self._verdict(None)
        for to_server in (True, False):
            transfer = self.transfers[to_server]
            if transfer is not None and transfer.mail is not None and not self.done:
                self._report(transfer.mail, False)
            self.transfers[to_server] = None
        if self.chunked is not None:
            self._report(self.chunked, False)
        self.done = True
        return self._take()

    # --- the client ------------------------------------------------------------------------

    def _client(self, line: bytes) -> None:
        if not self.protocol:
            self.protocol = client_protocol(line, self.greeting, self.flow.dst_port) or ""
        if self.protocol == "smtp":
            self._smtp_command(line)  # every line, SASL steps too, gets one answer
        if self.imap_literal:
            size, self.imap_literal = self.imap_literal, 0
            if size > 0:  # the user name, sent as a literal
                self._imap_login(line[:size], line[size:])
            return  # else the password, sent as a literal: skipped
        if self.sasl:
            self._sasl_line(line)
            return
        if self.protocol == "pop3" and len(self.commands) < MAX_COMMANDS:
            self.commands.append(line[:64].upper())
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

    def _smtp_command(self, line: bytes) -> None:
        """The envelope, and the start of a message (DATA, BDAT)."""
        if len(self.commands) < MAX_COMMANDS:
            self.commands.append(line[:4].upper())
        word, _, rest = line.partition(b" ")
        command = word.upper()
        if command in (b"HELO", b"EHLO"):
            self.helo = _name(rest.strip())
        elif command == b"MAIL" and rest[:5].upper() == b"FROM:":
            self.mail_from, self.rcpt_to, self.chunked = _address(rest[5:]), [], None
        elif command == b"RCPT" and rest[:3].upper() == b"TO:":
            if len(self.rcpt_to) < MAX_RECIPIENTS:
                self.rcpt_to.append(_address(rest[3:]))
        elif command == b"RSET":
            self.mail_from, self.rcpt_to, self.chunked = "", [], None
        elif command == b"DATA" and not rest.strip():
            self.transfers[True] = _Transfer(self._smtp_mail())
        elif command == b"BDAT":
            size, _, last = rest.strip().partition(b" ")
            if size.isdigit() and len(size) <= 12:
                if self.chunked is None:
                    self.chunked = self._smtp_mail()
                ends = last.strip().upper() == b"LAST"
                self.transfers[True] = _Transfer(self.chunked, int(size), ends)

    def _smtp_mail(self) -> _Mail:
        mail = self._mail("smtp", "to_server")
        mail.helo, mail.mail_from, mail.rcpt_to = self.helo, self.mail_from, self.rcpt_to
        return mail

    def _mail(self, protocol: str, direction: str) -> _Mail:
        return _Mail(protocol, self.ts_ms, Message(direction, self.keep_budget))

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
        self._mail_answer(line)
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

    # --- mail ------------------------------------------------------------------------------

    def _mail_answer(self, line: bytes) -> None:
        """A server line: the answer to the oldest command in flight, or an IMAP literal."""
        if self.protocol == "imap":
            literal = _LITERAL.search(line)
            if literal is not None:
                head = line[: literal.start()].rstrip()
                fetched = _FETCHED_MESSAGE.search(head) if line.startswith(b"* ") else None
                mail = self._mail("imap", "to_client") if fetched else None
                if mail is not None and fetched is not None and fetched.group(1):
                    mail.partial = True  # BODY[]<origin>: a part of the message
                self.transfers[False] = _Transfer(mail, int(literal.group(1)))
            return
        if self.protocol == "smtp":
            if not line[:3].isdigit() or line[3:4] not in (b" ", b""):
                return  # not a reply's last line
            command = self.commands.popleft() if self.commands else b""
            transfer = self.transfers[True]
            if command == b"DATA" and line[:1] != b"3" and transfer is not None:
                self.transfers[True] = None  # DATA refused: no message follows
        elif self.protocol == "pop3" and line.startswith((b"+OK", b"-ERR")):
            command = self.commands.popleft() if self.commands else b""
            word, _, argument = command.partition(b" ")
            if line.startswith(b"-ERR") or word not in _POP3_MULTILINE:
                return
            if word in (b"LIST", b"UIDL") and argument.strip():
                return  # one message's line: a single-line answer
            mail = self._mail("pop3", "to_client") if word in (b"RETR", b"TOP") else None
            if mail is not None:
                mail.partial = word == b"TOP"
            self.transfers[False] = _Transfer(mail)

    def _transferred(self, transfer: _Transfer) -> None:
        mail = transfer.mail
        if mail is not None and mail.protocol == "smtp" and transfer.count is None:
            if len(self.commands) < MAX_COMMANDS:
                self.commands.append(b".")  # the end of DATA is answered too
        if mail is not None and transfer.last:
            self._report(mail, True)

    def _report(self, mail: _Mail, complete: bool) -> None:
        message = mail.message
        message.end(complete and not mail.partial)
        if mail is self.chunked:
            self.chunked = None
        if mail.protocol == "smtp":
            mail_from, rcpt_to = mail.mail_from, tuple(mail.rcpt_to)
            self.mail_from, self.rcpt_to = "", []  # the envelope was used
        else:
            senders = message.addresses("From")
            mail_from = senders[0] if senders else ""
            rcpt_to = tuple(message.addresses("To", "Cc"))
        self.keep_budget = max(0, self.keep_budget - sum(len(k) for k in message.kept))
        self.events.append(
            MailTransaction(
                flow=self.flow,
                ts_ms=mail.ts_ms,
                protocol=mail.protocol,
                helo=mail.helo,
                mail_from=mail_from,
                rcpt_to=rcpt_to,
                subject=message.header("Subject"),
                message_id=message.header("Message-ID"),
                files=tuple(message.files),
                body=tuple(message.kept),
                size=message.size,
                complete=message.complete,
            )
        )

    def _take(self) -> list[AppEvent]:
        events, self.events = self.events, []
        return events
