"""Telnet sign-ins: the line typed after a "login:" prompt, and that a password followed.

Option negotiation (IAC ...) is stripped from both directions. Which prompt a client line
answers is decided when its first character is typed, so the server echoing the characters
back does not hide the prompt. After the password the server's text gives the verdict: a
shell prompt, "Last login" or a welcome is success; "Login incorrect" or a new login prompt
is failure. Nothing typed after a password prompt is kept.
"""

from __future__ import annotations

import re

from lanward.engine.events import AppEvent, CredentialSeen, FlowKey

TELNET_PORTS = (23, 2323)
MAX_LINE = 256
MAX_SERVER_TAIL = 1024
MAX_LOGINS = 64

IAC, SB, SE = 0xFF, 0xFA, 0xF0
_OPTION_VERBS = range(0xFB, 0xFF)  # WILL, WONT, DO, DONT
_DATA, _IAC, _OPTION, _SUB, _SUB_IAC = range(5)

_LOGIN_PROMPT = re.compile(r"(?:login|user\s*name|username|user|login as|account)\s*:\s*$", re.I)
_PASSWORD_PROMPT = re.compile(r"(?:password|passcode|passwd|pass phrase|pin)[^\n]{0,40}:\s*$", re.I)
_FAILED = re.compile(
    r"incorrect|fail|denied|invalid|bad password|wrong|not allowed|try again|refused", re.I
)
_WELCOME = re.compile(r"last login|welcome|busybox|logged in|built-in shell|motd", re.I)
_SHELL_PROMPT = re.compile(r"[$#>%]\s*$")
_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Za-z0-9]|[\x00-\x08\x0b\x0c\x0e-\x1f]")


def starts_with_negotiation(head: bytes) -> bool:
    return len(head) >= 2 and head[0] == IAC and head[1] in (SB, *_OPTION_VERBS)


class _Unwrap:
    """Strips Telnet commands from one direction, across segment boundaries."""

    def __init__(self) -> None:
        self.state = _DATA

    def text(self, data: bytes) -> bytes:
        if self.state == _DATA and IAC not in data:
            return data
        out = bytearray()
        for byte in data:
            state = self.state
            if state == _DATA:
                if byte == IAC:
                    self.state = _IAC
                else:
                    out.append(byte)
            elif state == _IAC:
                if byte == IAC:
                    out.append(IAC)
                    self.state = _DATA
                elif byte in _OPTION_VERBS:
                    self.state = _OPTION
                elif byte == SB:
                    self.state = _SUB
                else:
                    self.state = _DATA
            elif state == _OPTION:
                self.state = _DATA
            elif state == _SUB:
                if byte == IAC:
                    self.state = _SUB_IAC
            elif state == _SUB_IAC:
                self.state = _DATA if byte == SE else _SUB
        return bytes(out)


class TelnetParser:
    def __init__(self, flow: FlowKey) -> None:
        self.flow = flow
        self.client, self.server = _Unwrap(), _Unwrap()
        self.tail = ""  # the server's recent text
        self.line = bytearray()
        self.line_prompt = ""  # the prompt the line being typed answers: "login", "password"
        self.after_cr = False
        self.user = ""
        self.pending: int | None = None  # when the password was sent, until the verdict
        self.said = ""  # the server's text since the password
        self.reported = 0
        self.done = False
        self.handoff: tuple[bytes, bytes] | None = None
        self.events: list[AppEvent] = []

    def feed(self, to_server: bool, data: bytes, ts_ms: int) -> list[AppEvent]:
        if self.done:
            return []
        if to_server:
            self._typed(self.client.text(data), ts_ms)
        else:
            self._shown(self.server.text(data).decode("latin-1"))
        events, self.events = self.events, []
        return events

    def gap(self, to_server: bool, size: int, ts_ms: int) -> list[AppEvent]:
        if to_server:
            self.line.clear()
            self.line_prompt = ""
        return []

    def close(self, ts_ms: int) -> list[AppEvent]:
        self._verdict(None)
        self.done = True
        events, self.events = self.events, []
        return events

    def _shown(self, text: str) -> None:
        text = _ESCAPE.sub("", text)
        self.tail = (self.tail + text)[-MAX_SERVER_TAIL:]
        if self.pending is None:
            return
        self.said = (self.said + text)[-MAX_SERVER_TAIL:]
        last_line = re.split(r"[\r\n]", self.said.rstrip(" \t"))[-1] if self.said else ""
        verdict: bool | None = None
        if _WELCOME.search(self.said):
            verdict = True
        elif _FAILED.search(self.said):
            verdict = False
        elif _LOGIN_PROMPT.search(last_line) or _PASSWORD_PROMPT.search(last_line):
            verdict = False  # asked again without a word: refused
        elif _SHELL_PROMPT.search(last_line) and len(last_line.strip()) < 80:
            verdict = True
        if verdict is not None:
            self._verdict(verdict)
            self.done = verdict  # signed in: what follows is the session, not ours to read

    def _prompt(self) -> str:
        last_line = re.split(r"[\r\n]", self.tail)[-1]
        if _PASSWORD_PROMPT.search(last_line):
            return "password"
        if _LOGIN_PROMPT.search(last_line):
            return "login"
        return ""

    def _typed(self, data: bytes, ts_ms: int) -> None:
        for byte in data:
            if byte in (0x0D, 0x0A):
                if byte == 0x0A and self.after_cr:
                    self.after_cr = False
                    continue
                self.after_cr = byte == 0x0D
                self._line_done(ts_ms)
                continue
            if byte == 0 and self.after_cr:
                self.after_cr = False
                continue
            self.after_cr = False
            if byte in (0x08, 0x7F):
                if self.line:
                    self.line.pop()
                continue
            if byte < 0x20:
                continue
            if not self.line:
                self.line_prompt = self._prompt()
            if len(self.line) < MAX_LINE:
                self.line.append(byte)
        if self.done:
            self.line.clear()

    def _line_done(self, ts_ms: int) -> None:
        prompt = self.line_prompt or self._prompt()
        typed = bytes(self.line)
        self.line.clear()
        self.line_prompt = ""
        if prompt == "login" and typed.strip():
            self._verdict(None)
            self.user = typed.strip().decode("utf-8", "replace")
            self.tail = ""
        elif prompt == "password":
            self._verdict(None)
            self.pending, self.said = ts_ms, ""
            self.tail = ""

    def _verdict(self, success: bool | None) -> None:
        if self.pending is None:
            return
        ts_ms, self.pending = self.pending, None
        if self.reported < MAX_LOGINS:
            self.reported += 1
            detail = "login prompt" if self.user else "password prompt"
            self.events.append(
                CredentialSeen(self.flow, ts_ms, "telnet", self.user, detail, success)
            )
        self.user = ""
