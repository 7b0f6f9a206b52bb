"""Activation codes: 20 characters of Crockford's base-32 alphabet, the last a check character.

19 random characters carry 95 bits. The check character is Luhn mod 32, which catches every
single mistyped character and nearly every swap of two neighbours, so a typo is reported before
anything is looked up.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # no I, L, O, U
LENGTH = 20
GROUP = 5
# Characters people confuse with alphabet members are read as those members.
ALIASES = str.maketrans({"I": "1", "L": "1", "O": "0", "U": "V"})


class CodeFormatError(ValueError):
    """Not a well-formed code; the message says what is wrong."""


def _check_char(body: str) -> str:
    n = len(ALPHABET)
    total, factor = 0, 2
    for ch in reversed(body):
        addend = factor * ALPHABET.index(ch)
        factor = 1 if factor == 2 else 2
        total += addend // n + addend % n
    return ALPHABET[(n - total % n) % n]


def generate() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH - 1))
    return body + _check_char(body)


def normalize(raw: str) -> str:
    """Upper-case, drop spaces and hyphens, map look-alikes. Raises CodeFormatError."""
    cleaned = "".join(ch for ch in raw.upper() if ch not in " -\t\n").translate(ALIASES)
    if not cleaned:
        raise CodeFormatError("Enter the 20-character code.")
    bad = sorted({ch for ch in cleaned if ch not in ALPHABET})
    if bad:
        raise CodeFormatError(
            f"Codes use only digits and letters; {''.join(bad)!r} is not part of a code."
        )
    if len(cleaned) != LENGTH:
        raise CodeFormatError(f"A code has {LENGTH} characters; this one has {len(cleaned)}.")
    if _check_char(cleaned[:-1]) != cleaned[-1]:
        raise CodeFormatError("This code has a typo. Check each character and try again.")
    return cleaned


def pretty(code: str) -> str:
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def mask(code: str) -> str:
    return "•••••-•••••-•••••-" + code[-GROUP:]
