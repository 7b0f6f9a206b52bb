"""Masking what identifies the household in text that is about to leave it (troubleshooting
bundles): IP and MAC addresses, email addresses, phone numbers, the names of devices and people,
and credentials (passwords, tokens, keys, secrets in URLs and headers).

Each value gets a stable placeholder ("[ip-3]"), so a reader can still follow one address
through the logs without learning it. Known values (the devices' MACs and names, the members,
the station's secrets) are masked wherever they appear; patterns catch the rest.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

MASK = "[redacted]"

PEM = re.compile(
    r"-----BEGIN ([A-Z0-9 ]*)-----.*?-----END \1-----|-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*",
    re.S,
)
URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)([^/\s:@]*)(?::([^/\s@]*))?@")
AUTH_HEADER = re.compile(
    r"(?i)\b((?:proxy-)?authorization|x-api-key|x-auth-token|cookie|set-cookie)(\"?\s*[:=]\s*\"?)"
    r"([^\r\n\"]+)"
)
BEARER = re.compile(r"(?i)\b(bearer|basic)\s+([a-z0-9._~+/=-]{8,})")
CREDENTIAL_WORDS = (
    r"password|passwd|pwd|passphrase|secret|token|api[_-]?key|apikey|access[_-]?key|"
    r"private[_-]?key|license[_-]?key|signing[_-]?key|credentials?|sessionid|session[_-]?key|"
    r"csrftoken|signature|auth[_-]?(?:token|header|key)"
)
CREDENTIAL = re.compile(
    rf"(?i)((?:\b|_)(?:[\w.-]*(?:{CREDENTIAL_WORDS})[\w.-]*|key)[\"']?)"
    r"(\s*[:=]\s*(?:b?[\"'])?)"
    r"(?!\[)([^\s\"',;&}\]]+)"
)
SECRET_KEY_NAME = re.compile(rf"(?i)(?:{CREDENTIAL_WORDS})|(?:^|_)key$")
UNIT = re.compile(r"(?i)_(seconds|minutes|hours|days|bytes|limit|rate|rows|ttl|count|max)$")
EMAIL = re.compile(r"(?i)(?<![\w.+-])[\w.+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+")
MAC = re.compile(
    r"(?i)(?<![0-9a-f:-])[0-9a-f]{2}([:-])[0-9a-f]{2}(?:\1[0-9a-f]{2}){4}(?![0-9a-f:-])"
    r"|(?<![0-9a-f.])[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}(?![0-9a-f.])"
)
IPV6 = re.compile(r"(?i)[0-9a-f:.]*:[0-9a-f:.]*:[0-9a-f:.]*")  # may hold an IPv6 address
DOTTED = re.compile(r"\d[\d.]{5,}\d")  # a run of digits and dots that may hold an IPv4 address
PHONE = re.compile(r"(?<![\w+])\+\d[\d -]{7,16}\d(?!\w)")
NOT_IDENTIFYING = {"127.0.0.1", "0.0.0.0", "::1", "::", "255.255.255.255"}  # noqa: S104


class Redactor:
    """Masks one bundle's worth of text; `counts` says what was masked, by kind."""

    def __init__(
        self,
        names: Iterable[tuple[str, str]] = (),
        secrets: Iterable[str] = (),
        macs: Iterable[str] = (),
    ) -> None:
        """`names`: (kind, name) pairs such as ("device", "Anna's iPhone"); `secrets`: literal
        values to mask wherever they occur; `macs`: known MACs, also masked without separators."""
        self.counts: Counter[str] = Counter()
        self._tokens: dict[tuple[str, str], str] = {}
        self._per_kind: Counter[str] = Counter()
        literal = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)
        self._secrets = re.compile("|".join(map(re.escape, literal))) if literal else None
        bare = {re.sub(r"[^0-9a-f]", "", m.lower()) for m in macs}
        bare = {b for b in bare if len(b) == 12}
        self._bare_macs = re.compile("(?i)" + "|".join(sorted(bare))) if bare else None
        # One pass over all names, longest first; placeholders already in the text are skipped.
        self._name_kind = {n.strip().lower(): k for k, n in names if len(n.strip()) >= 2}
        alternatives = "|".join(
            re.escape(n) for n in sorted(self._name_kind, key=len, reverse=True)
        )
        self._names = (
            re.compile(rf"(?i)\[(?:[a-z]+-\d+|redacted)\]|(?<!\w)(?:{alternatives})(?!\w)")
            if alternatives
            else None
        )

    def token(self, kind: str, value: str) -> str:
        key = (kind, value.lower())
        if key not in self._tokens:
            self._per_kind[kind] += 1
            self._tokens[key] = f"[{kind}-{self._per_kind[kind]}]"
        self.counts[kind] += 1
        return self._tokens[key]

    def _secret(self, _: object = None) -> str:
        self.counts["secret"] += 1
        return MASK

    def text(self, text: str) -> str:
        text = PEM.sub(self._secret, text)
        if self._secrets is not None:
            text = self._secrets.sub(self._secret, text)
        text = URL_USERINFO.sub(self._userinfo, text)
        text = AUTH_HEADER.sub(lambda m: f"{m[1]}{m[2]}{self._secret()}", text)
        text = BEARER.sub(lambda m: f"{m[1]} {self._secret()}", text)
        text = CREDENTIAL.sub(self._credential, text)
        text = EMAIL.sub(lambda m: self.token("email", m[0]), text)
        text = MAC.sub(lambda m: self.token("mac", _mac_key(m[0])), text)
        if self._bare_macs is not None:
            text = self._bare_macs.sub(lambda m: self.token("mac", _mac_key(m[0])), text)
        text = IPV6.sub(self._ipv6, text)
        text = DOTTED.sub(self._ipv4, text)
        text = PHONE.sub(lambda m: self.token("phone", re.sub(r"\D", "", m[0])), text)
        if self._names is not None:
            text = self._names.sub(self._name, text)
        return text

    def _name(self, m: re.Match[str]) -> str:
        kind = self._name_kind.get(m[0].lower())
        return self.token(kind, m[0]) if kind else m[0]

    def data(self, value: Any, key: str = "") -> Any:
        """Structured data (for JSON files) masked value by value, so it stays valid JSON: a
        value under a credential-like key is masked whole; strings are masked as text."""
        if key and SECRET_KEY_NAME.search(key) and value not in ("", None, [], {}):
            if not (isinstance(value, int | float) and UNIT.search(key)):
                self.counts["secret"] += 1
                return MASK
        if isinstance(value, dict):
            return {k: self.data(v, str(k)) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.data(v) for v in value]
        if isinstance(value, str):
            return self.text(value)
        return value

    def _credential(self, m: re.Match[str]) -> str:
        # LANWARD_LICENSE_TOKEN_SECONDS=86400 is a duration, not a token.
        if m[3].isdigit() and UNIT.search(m[1].rstrip("\"'")):
            return m[0]
        return f"{m[1]}{m[2]}{self._secret()}"

    def _userinfo(self, m: re.Match[str]) -> str:
        if not m[2] and m[3] is None:
            return m[0]
        self.counts["secret"] += 1
        return f"{m[1]}{MASK}@"

    def _ipv4(self, m: re.Match[str]) -> str:
        """Every address in a run such as "10.0.0.1", "v1.2.3.4.5" or "0192.0.2.1" (glued to
        other digits): the longest valid one at each position, left to right."""
        run, out, i = m[0], [], 0
        while i < len(run):
            for end in range(min(len(run), i + 15), i + 6, -1):
                value = run[i:end]
                if value.count(".") == 3 and _valid_ipv4(value):
                    out.append(value if value in NOT_IDENTIFYING else self.token("ip", value))
                    i = end
                    break
            else:
                out.append(run[i])
                i += 1
        return "".join(out)

    def _ipv6(self, m: re.Match[str]) -> str:
        """Every address in a run of hex digits, colons and dots, as in _ipv4: the longest
        valid one at each position (so "[2001:db8::1]:53", "fe80::1%eth0", "1::." all work)."""
        run, out, i = m[0], [], 0
        if "::" not in run and run.count(":") < 7:
            return run  # e.g. a time of day: no address has fewer groups without "::"
        while i < len(run):
            for end in range(len(run), i + 1, -1):
                value = run[i:end]
                if value.count(":") >= 2 and _valid_ipv6(value):
                    out.append(value if value in NOT_IDENTIFYING else self.token("ip", value))
                    i = end
                    break
            else:
                out.append(run[i])
                i += 1
        return "".join(out)


def _valid_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _valid_ipv4(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True


def _mac_key(text: str) -> str:
    digits = re.sub(r"[^0-9a-f]", "", text.lower())
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))
