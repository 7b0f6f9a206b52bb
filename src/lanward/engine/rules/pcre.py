"""The pcre keyword: '"/pattern/flags"' read and compiled with Python's re (bytes mode).

PCRE syntax Python's re lacks is rewritten where the meaning is the same (named groups
`(?<n>`, `\\z`/`\\Z`, `\\x{hh}`, `\\h`, `\\v`, `\\R`, `\\N`, `\\e`, `\\cX`, `\\Q..\\E`, POSIX classes);
anything else that Python cannot compile is reported, so the rule is skipped rather than run
with a different meaning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Suricata's pcre modifiers that pick an HTTP buffer, mapped to our buffer names.
BUFFER_FLAGS = {
    "U": "http.uri",
    "I": "http.uri.raw",
    "M": "http.method",
    "V": "http.user_agent",
    "W": "http.host",
    "Z": "http.host.raw",
    "H": "http.header",
    "C": "http.cookie",
    "P": "http.request_body",
    "Q": "file.data",  # http_server_body, which Suricata inspects as file_data
    "S": "http.stat_code",
}
# Buffer modifiers we have no buffer for (raw header, stat msg).
UNSUPPORTED_BUFFER_FLAGS = {"D": "http.header.raw", "Y": "http.stat_msg"}
IGNORED_FLAGS = set("BO")  # rawbytes (no meaning on app-layer buffers), match-limit override

_POSIX = {
    "alpha": "a-zA-Z",
    "digit": "0-9",
    "alnum": "a-zA-Z0-9",
    "upper": "A-Z",
    "lower": "a-z",
    "space": r" \t\n\r\x0b\x0c",
    "blank": r" \t",
    "xdigit": "0-9a-fA-F",
    "punct": r"!-/:-@\[-`{-~",
    "print": r" -~",
    "graph": r"!-~",
    "cntrl": r"\x00-\x1f\x7f",
    "word": r"a-zA-Z0-9_",
}
_VSPACE = r"\n\x0b\x0c\r\x85"
_HSPACE = r"\t \xa0"


class CaptureError(ValueError):
    """A pcre that stores what it captured in pkt:/flow: variables (not supported)."""


@dataclass
class PcreSpec:
    pattern: str
    flags: str
    negated: bool


def split_pcre(value: str) -> PcreSpec:
    """'!"/a.b/Ui"' -> PcreSpec('a.b', 'Ui', True); ValueError when it is not /pattern/flags."""
    text = value.strip()
    negated = text.startswith("!")
    if negated:
        text = text[1:].strip()
    if text.startswith('"'):
        if not text.endswith('"') or len(text) < 2:
            raise ValueError(f"unbalanced quotes in pcre {value!r}")
        text = text[1:-1]
    if not text.startswith("/"):
        raise ValueError(f'pcre {value!r} must look like "/pattern/flags"')
    end = text.rfind("/")
    if end <= 0:
        raise ValueError(f"pcre {value!r} has no closing '/'")
    flags = text[end + 1 :]
    if re.fullmatch(r"[A-Za-z]*\s*,.*", flags, re.DOTALL):
        raise CaptureError(f"pcre {value!r} captures into variables")
    if not re.fullmatch(r"[A-Za-z]*", flags):
        raise ValueError(f"pcre {value!r}: unexpected text after the closing '/': {flags!r}")
    return PcreSpec(text[1:end], flags, negated)


def translate(pattern: str, dollar_endonly: bool = False, multiline: bool = False) -> str:
    """PCRE pattern -> the Python re pattern with the same meaning (ValueError if impossible)."""
    out: list[str] = []
    i, n = 0, len(pattern)
    in_class = False
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            if i + 1 >= n:
                raise ValueError("pattern ends with a backslash")
            nxt = pattern[i + 1]
            i += 2
            if nxt == "Q":
                end = pattern.find("\\E", i)
                literal = pattern[i:] if end < 0 else pattern[i:end]
                out.append(re.escape(literal))
                i = n if end < 0 else end + 2
            elif nxt == "E":
                pass
            elif nxt == "x" and i < n and pattern[i] == "{":
                end = pattern.find("}", i)
                if end < 0:
                    raise ValueError("unclosed \\x{")
                code = int(pattern[i + 1 : end] or "0", 16)
                if code > 0xFF:
                    raise ValueError(f"\\x{{{pattern[i + 1 : end]}}} is beyond one byte")
                out.append(f"\\x{code:02x}")
                i = end + 1
            elif nxt == "z":
                out.append(r"\Z")
            elif nxt == "Z":
                out.append(r"(?=\n?\Z)")
            elif nxt == "e":
                out.append(r"\x1b")
            elif nxt == "c" and i < n:
                out.append(f"\\x{ord(pattern[i].upper()) ^ 0x40:02x}")
                i += 1
            elif nxt == "h":
                out.append(_HSPACE if in_class else f"[{_HSPACE}]")
            elif nxt == "v":
                out.append(_VSPACE if in_class else f"[{_VSPACE}]")
            elif nxt in "HV" and not in_class:
                out.append(f"[^{_HSPACE if nxt == 'H' else _VSPACE}]")
            elif nxt == "R" and not in_class:
                out.append(r"(?:\r\n|[\n\x0b\x0c\r\x85])")
            elif nxt == "N" and not in_class and not pattern.startswith("{", i):
                out.append(r"[^\n]")
            elif nxt == "k" and i < n and pattern[i] in "<{'":
                close = {"<": ">", "{": "}", "'": "'"}[pattern[i]]
                end = pattern.find(close, i + 1)
                if end < 0:
                    raise ValueError("unclosed \\k<name>")
                out.append(f"(?P={pattern[i + 1 : end]})")
                i = end + 1
            elif nxt == "/":
                out.append("/")
            else:
                out.append("\\" + nxt)
            continue
        if in_class:
            if ch == "[" and pattern.startswith("[:", i):
                end = pattern.find(":]", i + 2)
                name = pattern[i + 2 : end] if end > 0 else ""
                negate = name.startswith("^")
                if negate or name not in _POSIX:
                    raise ValueError(f"POSIX class [:{name}:] is not supported")
                out.append(_POSIX[name])
                i = end + 2
                continue
            if ch == "[":
                out.append("\\[")  # literal in PCRE; Python warns about nested sets
                i += 1
                continue
            if ch == "]" and not _class_start(out):
                in_class = False
            out.append(ch)
            i += 1
            continue
        if ch == "[":
            in_class = True
            out.append(ch)
            i += 1
            if i < n and pattern[i] == "^":
                out.append("^")
                i += 1
            if i < n and pattern[i] == "]":  # a leading ']' is a literal in PCRE
                out.append("\\]")
                i += 1
            continue
        if (
            ch == "("
            and pattern.startswith("(?<", i)
            and not pattern.startswith(("(?<=", "(?<!"), i)
        ):
            out.append("(?P<")
            i += 3
            continue
        if ch == "(" and pattern.startswith("(?'", i):
            end = pattern.find("'", i + 3)
            if end < 0:
                raise ValueError("unclosed (?'name'")
            out.append(f"(?P<{pattern[i + 3 : end]}>")
            i = end + 1
            continue
        if ch == "$" and dollar_endonly and not multiline:
            out.append(r"\Z")
            i += 1
            continue
        out.append(ch)
        i += 1
    if in_class:
        raise ValueError("unclosed character class '['")
    return "".join(out)


def _class_start(out: list[str]) -> bool:
    """True right after '[' or '[^' (where ']' is not the end of the class)."""
    return bool(out) and (out[-1] == "[" or (out[-1] == "^" and len(out) > 1 and out[-2] == "["))


def compile_pcre(spec: PcreSpec) -> tuple[re.Pattern[bytes], set[str]]:
    """(compiled pattern, the non-regex flags left: R, A, buffer letters...)."""
    flags = 0
    rest: set[str] = set()
    for letter in spec.flags:
        if letter == "i":
            flags |= re.IGNORECASE
        elif letter == "s":
            flags |= re.DOTALL
        elif letter == "m":
            flags |= re.MULTILINE
        elif letter == "x":
            flags |= re.VERBOSE
        else:
            rest.add(letter)
    python = translate(spec.pattern, "E" in rest, bool(flags & re.MULTILINE))
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            regex = re.compile(python.encode("utf-8"), flags)
        except (re.error, FutureWarning, DeprecationWarning, OverflowError) as exc:
            raise ValueError(f"Python's re cannot run this pcre: {exc}") from None
    rest.discard("E")
    return regex, rest
