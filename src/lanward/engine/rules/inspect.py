"""Payload keywords (content, pcre, bsize, isdataat, urilen) and the inspection of one buffer.

`inspect(matchers, buffer)` follows Suricata's DetectEngineContentInspection: the keywords of a
buffer are tried in rule order; a keyword with distance/within (or a pcre with R, a relative
isdataat) is anchored at the end of the previous match, and when it fails the previous content
or pcre is searched for again further on (backtracking), but only while the next keyword depends
on it. A failing keyword that does not depend on anything before it ends the inspection at once.
Negated contents never move the anchor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass
class Content:
    pattern: bytes
    negated: bool = False
    nocase: bool = False
    offset: int = 0
    depth: int = 0  # absolute end of the window (offset + depth), 0 = none
    distance: int = 0
    within: int = 0
    has_offset: bool = False
    has_depth: bool = False
    has_distance: bool = False
    has_within: bool = False
    startswith: bool = False
    endswith: bool = False
    fast_pattern: bool = False
    relative_next: bool = False  # the next keyword is anchored to this one

    @property
    def relative(self) -> bool:
        return self.has_distance or self.has_within

    @property
    def single(self) -> bool:
        return not (
            self.relative
            or self.relative_next
            or self.has_depth
            or self.has_offset
            or self.startswith
        )


@dataclass
class Pcre:
    source: str  # as written in the rule, for reports
    regex: re.Pattern[bytes]
    negated: bool = False
    relative: bool = False
    anchored: bool = False
    relative_next: bool = False


@dataclass
class Size:
    """bsize / urilen: the buffer length compared with a number or a range."""

    op: str  # "=", "!=", "<", "<=", ">", ">=", "<>"
    low: int
    high: int = 0

    def test(self, size: int) -> bool:
        if self.op == "=":
            return size == self.low
        if self.op == "!=":
            return size != self.low
        if self.op == "<":
            return size < self.low
        if self.op == "<=":
            return size <= self.low
        if self.op == ">":
            return size > self.low
        if self.op == ">=":
            return size >= self.low
        return self.low < size < self.high

    @property
    def maximum(self) -> int | None:
        return {"=": self.low, "<": self.low - 1, "<=": self.low, "<>": self.high - 1}.get(self.op)


@dataclass
class IsDataAt:
    position: int
    negated: bool = False
    relative: bool = False


Matcher = Content | Pcre | Size | IsDataAt


def is_relative(m: Matcher) -> bool:
    if isinstance(m, Content):
        return m.relative
    if isinstance(m, Pcre | IsDataAt):
        return m.relative
    return False


def link(matchers: list[Matcher]) -> None:
    """Mark each content/pcre whose next position-dependent keyword is anchored to it."""
    for i, m in enumerate(matchers):
        if not isinstance(m, Content | Pcre):
            continue
        nxt = next((n for n in matchers[i + 1 :] if not isinstance(n, Size)), None)
        m.relative_next = nxt is not None and is_relative(nxt)


# Suricata gives up on a buffer after this many keyword inspections (its recursion limit), so a
# crafted payload cannot make a chain of relative contents backtrack for ever.
STEP_LIMIT = 3000


class _State:
    __slots__ = ("buffer_offset", "discontinue", "pcre_start", "lowered", "steps")

    def __init__(self) -> None:
        self.buffer_offset = 0
        self.discontinue = False
        self.pcre_start = 0
        self.lowered: bytes | None = None
        self.steps = 0


def inspect(matchers: list[Matcher], buffer: bytes) -> bool:
    """True when every keyword of one buffer matches it (Suricata's semantics)."""
    if not matchers:
        return True
    return _inspect(matchers, 0, buffer, _State()) == 1


def _next(matchers: list[Matcher], i: int, buffer: bytes, state: _State) -> int:
    if i + 1 >= len(matchers):
        return 1
    return _inspect(matchers, i + 1, buffer, state)


def _inspect(matchers: list[Matcher], i: int, buffer: bytes, state: _State) -> int:
    state.steps += 1
    if state.steps > STEP_LIMIT:
        state.discontinue = True
        return 0
    m = matchers[i]
    if isinstance(m, Content):
        return _content(matchers, i, m, buffer, state)
    if isinstance(m, Pcre):
        return _pcre(matchers, i, m, buffer, state)
    if isinstance(m, Size):
        return _next(matchers, i, buffer, state) if m.test(len(buffer)) else 0
    # isdataat
    if m.relative:
        has_data = state.buffer_offset + m.position <= len(buffer)
    else:
        has_data = m.position < len(buffer)
    if has_data != m.negated:
        return _next(matchers, i, buffer, state)
    return 0


def _content(matchers: list[Matcher], i: int, cd: Content, buffer: bytes, state: _State) -> int:
    size = len(buffer)
    prev_buffer_offset = state.buffer_offset
    prev_offset = 0
    if cd.nocase:
        if state.lowered is None:
            state.lowered = buffer.lower()
        haystack = state.lowered
    else:
        haystack = buffer
    while True:
        if cd.relative:
            offset = prev_buffer_offset
            depth = size
            distance = cd.distance if cd.has_distance else 0
            if cd.has_distance:
                if distance < 0 and -distance > offset:
                    offset = 0
                else:
                    offset += distance
            if cd.has_within:
                limit = prev_buffer_offset + cd.within + distance
                if depth > limit:
                    # Suricata keeps depth unsigned: a negative limit wraps and is clamped below.
                    depth = limit if limit >= 0 else size
        else:
            depth = cd.depth if cd.depth else size
            offset = cd.offset
        if prev_offset:
            offset = prev_offset
        if depth > size:
            depth = size
        if offset > depth or depth == 0:
            if cd.negated:
                return _next(matchers, i, buffer, state)
            return 0
        if cd.negated and cd.endswith:
            # "does not end with": only an occurrence at the very end counts (Suricata 7.0.4+)
            at_end = depth == size and size - len(cd.pattern) >= offset
            if at_end and haystack.endswith(cd.pattern):
                if cd.single:
                    state.discontinue = True
                return 0
            return _next(matchers, i, buffer, state)
        if (cd.endswith and depth < size) or len(cd.pattern) > depth - offset:
            found = -1
        else:
            found = haystack.find(cd.pattern, offset, depth)
        if found < 0:
            if cd.negated:
                return _next(matchers, i, buffer, state)
            if not cd.relative:
                state.discontinue = True
            return 0
        if cd.negated:
            if cd.single:
                state.discontinue = True
            return 0
        match_end = found + len(cd.pattern)
        state.buffer_offset = match_end
        if not cd.endswith or match_end == size:
            if i + 1 >= len(matchers):
                return 1
            if _inspect(matchers, i + 1, buffer, state) == 1:
                return 1
            if state.discontinue:
                return 0
            if not cd.relative_next:
                state.discontinue = True
                return 0
        prev_offset = found + 1


def _pcre(matchers: list[Matcher], i: int, pe: Pcre, buffer: bytes, state: _State) -> int:
    prev_buffer_offset = state.buffer_offset
    state.pcre_start = 0
    while True:
        base = state.buffer_offset if pe.relative else 0
        start = state.pcre_start - base if state.pcre_start else 0
        subject = buffer[base:] if base else buffer
        found = (pe.regex.match if pe.anchored else pe.regex.search)(subject, start)
        if found is None:
            if not pe.negated:
                return 0
        elif pe.negated:
            return 0
        else:
            state.buffer_offset = base + found.end()
            state.pcre_start = base + found.start() + 1
        if not pe.relative_next:
            return _next(matchers, i, buffer, state)
        if pe.negated:
            # Nothing moved, so searching again would find the same thing.
            return _next(matchers, i, buffer, state)
        retry_from = state.pcre_start
        if _next(matchers, i, buffer, state) == 1:
            return 1
        if state.discontinue:
            return 0
        state.buffer_offset = prev_buffer_offset
        state.pcre_start = retry_from
        if retry_from - base > len(subject):
            return 0


def parse_content(value: str) -> tuple[bytes, bool]:
    """A content argument ('"abc|0d 0a|"', '!"x"') -> (bytes, negated); ValueError if bad."""
    text = value.strip()
    negated = text.startswith("!")
    if negated:
        text = text[1:].strip()
    if len(text) >= 2 and text.startswith('"') and text.endswith('"'):
        text = text[1:-1]
    elif text.startswith('"') or text.endswith('"'):
        raise ValueError(f"unbalanced quotes in {value!r}")
    out = bytearray()
    hex_mode = False
    hex_digits = ""
    escape = False
    for ch in text:
        if hex_mode:
            if ch == "|":
                if len(hex_digits) % 2:
                    raise ValueError(f"odd number of hex digits in {value!r}")
                out += bytes.fromhex(hex_digits)
                hex_digits, hex_mode = "", False
            elif ch in "0123456789abcdefABCDEF":
                hex_digits += ch
            elif ch in " \t":
                if len(hex_digits) % 2:
                    raise ValueError(f"a hex byte is split by a space in {value!r}")
            else:
                raise ValueError(f"{ch!r} is not a hex digit in {value!r}")
        elif escape:
            if ch not in '\\";:':
                raise ValueError(f"'\\{ch}' is not a valid escape in {value!r}")
            out += ch.encode()
            escape = False
        elif ch == "\\":
            escape = True
        elif ch == "|":
            hex_mode = True
        elif ch == '"':
            raise ValueError(f"'\"' has to be escaped in {value!r}")
        else:
            out += ch.encode("utf-8")
    if hex_mode:
        raise ValueError(f"unclosed '|' in {value!r}")
    if escape:
        raise ValueError(f"trailing backslash in {value!r}")
    if not out:
        raise ValueError("empty content")
    return bytes(out), negated


_SIZE = re.compile(
    r"^\s*(?:(?P<lo>\d+)\s*(?:<>|-)\s*(?P<hi>\d+)|(?P<op><=|>=|<|>|!|=)?\s*(?P<n>\d+))\s*$"
)


def parse_size(value: str) -> Size:
    """bsize/urilen: 'N', '<N', '>N', '<=N', '>=N', '!N', 'N<>M' or 'N-M' (exclusive)."""
    m = _SIZE.match(value)
    if not m:
        raise ValueError(f"cannot read the size {value!r} (N, <N, >N, N<>M)")
    if m["lo"] is not None:
        low, high = int(m["lo"]), int(m["hi"])
        if low >= high:
            raise ValueError(f"size range {value!r}: the first number must be the smaller")
        return Size("<>", low, high)
    op = m["op"] or "="
    return Size("!=" if op == "!" else op, int(m["n"]))
