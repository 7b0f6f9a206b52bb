"""Rule files -> (line number, header, options), with idstools doing the option split.

idstools (`idstools.rule.parse`) splits a rule's options on unescaped ';' and reads sid, msg and
friends; it is the better of the two parsers on PyPI for this job (see the module docstring of
`lanward.engine.rules`). We add what it leaves out: line numbers, rules continued over several
lines with a trailing backslash, tabs in the header, a bracket-aware header split (idstools cuts
a nested list like `[10.0.0.0/8,![10.1.1.1,10.1.1.2]]` at its first ']'), and a reason for each
rule it cannot read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from idstools import rule as idstools_rule

# Every action Suricata knows; only `alert` rules are loaded.
ACTIONS = frozenset(
    {
        "alert",
        "pass",
        "drop",
        "reject",
        "rejectsrc",
        "rejectdst",
        "rejectboth",
        "config",
        "log",
        "accept",  # Suricata 8 firewall rules, written "accept:hook"
    }
)


@dataclass(frozen=True)
class RuleText:
    line: int  # the first line of the rule in its file
    text: str


@dataclass(frozen=True)
class ParsedRule:
    line: int
    action: str
    header: list[str]  # action, proto, src, sport, direction, dst, dport
    options: list[tuple[str, str | None]]
    sid: int | None


def rule_texts(text: str) -> Iterator[RuleText]:
    """The rules of a file: comments and blank lines skipped, '\\' continuations joined."""
    start = 0
    parts: list[str] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip("\r\n")
        if not parts:
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            start = number
        if line.rstrip().endswith("\\"):
            parts.append(line.rstrip()[:-1])
            continue
        parts.append(line)
        yield RuleText(start, "".join(parts).strip())
        parts = []
    if parts:
        yield RuleText(start, "".join(parts).strip())


def split_header(header: str) -> list[str]:
    """'alert http [a, b] any -> any any' -> its words, brackets kept whole."""
    tokens: list[str] = []
    depth = 0
    current = ""
    for ch in header:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth < 0:
                raise ValueError("unbalanced ']' in the rule header")
        if ch.isspace() and depth == 0:
            if current:
                tokens.append(current)
                current = ""
            continue
        if ch.isspace():
            continue
        current += ch
    if depth:
        raise ValueError("unbalanced '[' in the rule header")
    if current:
        tokens.append(current)
    return tokens


_SHAPE = "action protocol source port -> destination port (options;)"


def parse_rule(rule: RuleText) -> ParsedRule:
    """Raise ValueError with a plain reason when the text is not a rule."""
    text = rule.text
    first_word = text.split(None, 1)[0] if text.split() else ""
    if first_word.partition(":")[0] in ACTIONS - {"alert"}:
        first_word = first_word.partition(":")[0]
    if first_word not in ACTIONS:
        raise ValueError(f"unknown action {first_word[:40]!r}: expected {_SHAPE}")
    open_at = text.find("(")
    if open_at < 0 or not text.endswith(")"):
        raise ValueError(f"no option list in parentheses: expected {_SHAPE}")
    header_text = text[:open_at]
    header = split_header(header_text)
    if len(header) != 7:
        raise ValueError(f"the header has {len(header)} parts, not 7: expected {_SHAPE}")
    if not text[open_at + 1 : -1].strip():
        raise ValueError("the rule has no options")
    # idstools wants single spaces in the header and knows only the classic actions.
    normalized = "alert " + " ".join(header[1:]) + " " + text[open_at:]
    try:
        parsed = idstools_rule.parse(normalized)
    except ValueError as exc:
        raise ValueError(f"bad number in the options ({exc})") from None
    except Exception as exc:  # noqa: BLE001 - idstools raises bare Exception for a missing ';'
        message = str(exc)
        if "end of option not found" in message:
            raise ValueError("an option is not closed with ';'") from None
        raise ValueError(f"cannot split the options: {message[:120]}") from None
    if parsed is None:
        raise ValueError(f"cannot read the rule: expected {_SHAPE}")
    options = [(o["name"].strip(), o["value"]) for o in parsed["options"]]
    for name, _ in options:
        if name and not re.fullmatch(r"[A-Za-z0-9_.\-]+", name):
            raise ValueError(f"{name[:40]!r} is not an option name (a ';' missing?)")
    return ParsedRule(rule.line, first_word, header, options, parsed.get("sid"))
