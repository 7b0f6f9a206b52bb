"""Activation codes: 20 characters of Crockford's base-32 alphabet, the last a check character.

19 random characters carry 95 bits. The check character makes the code a word of a linear code
over GF(32): each character is weighted by a distinct power of x, so every single mistyped
character and every swap of two neighbours changes the sum and is reported as a typo before
anything is looked up. (Luhn mod 32 misses swapping "0" and "Z".)
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


def _times_x(value: int) -> int:
    """Multiply by x in GF(32) = GF(2)[x] / (x^5 + x^2 + 1)."""
    value <<= 1
    return value ^ 0b100101 if value & 0b100000 else value


def _check_char(body: str) -> str:
    # Horner's rule: the code is valid when sum(c_i * x^(n-1-i)) == 0. Weights are nonzero and
    # neighbours' weights differ (x != 1), so one wrong character or one swap can't cancel out.
    total = 0
    for ch in body:
        total = _times_x(total) ^ ALPHABET.index(ch)
    return ALPHABET[_times_x(total)]


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
