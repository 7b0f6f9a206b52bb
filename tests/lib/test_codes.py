"""Activation codes: shape, normalizing what people type, and typos caught by the check char."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lanward.lib import codes
from lanward.lib.codes import ALPHABET, LENGTH, CodeFormatError

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def with_check(body: str) -> str:
    return body + codes._check_char(body)


# Fixed codes for the exhaustive checks, among them neighbours that Luhn mod 32 can't tell
# apart when swapped ("0Z"), repeated characters and the alphabet's ends.
FIXED = [
    with_check("0Z" * 9 + "0"),
    with_check("Z0" * 9 + "Z"),
    with_check("0123456789ABCDEFGHJ"),
    with_check("KMNPQRSTVWXYZ000000"),
    with_check("ZZZZZZZZZZZZZZZZZZZ"),
]


def is_typo(candidate: str) -> bool:
    with pytest.raises(CodeFormatError) as info:
        codes.normalize(candidate)
    return "typo" in str(info.value)


def test_alphabet_is_crockford_base32():
    assert ALPHABET == CROCKFORD
    assert len(set(ALPHABET)) == 32
    assert not set("ILOU") & set(ALPHABET)


def test_generated_codes_have_twenty_alphabet_characters_and_a_valid_check():
    for _ in range(200):
        code = codes.generate()
        assert len(code) == LENGTH == 20
        assert set(code) <= set(ALPHABET)
        assert codes.normalize(code) == code
        assert code[-1] == codes._check_char(code[:-1])


def test_at_least_80_bits_of_entropy():
    # 19 characters chosen at random from 32 carry 5 bits each; the 20th is the check.
    assert (LENGTH - 1) * math.log2(len(ALPHABET)) >= 80
    batch = [codes.generate() for _ in range(3000)]
    assert len(set(batch)) == len(batch)
    # Every random position takes every character (a position stuck at a few values would
    # shrink the entropy); 3000 draws over 32 values leave none out in practice.
    for position in range(LENGTH - 1):
        assert {code[position] for code in batch} == set(ALPHABET), position


@pytest.mark.parametrize(
    "typed",
    [
        "{pretty}",
        "{pretty_lower}",
        "{spaced}",
        "  {code_lower}\n",
        "{code}",
        "{mixed}",
        "{tabbed}",
    ],
)
def test_normalize_accepts_hyphens_spaces_and_any_case(typed):
    code = FIXED[2]
    pretty = codes.pretty(code)
    text = typed.format(
        code=code,
        code_lower=code.lower(),
        pretty=pretty,
        pretty_lower=pretty.lower(),
        spaced=pretty.replace("-", " "),
        mixed="".join(ch.lower() if i % 2 else ch for i, ch in enumerate(pretty)),
        tabbed=pretty.replace("-", "\t"),
    )
    assert codes.normalize(text) == code


def test_look_alike_letters_read_as_the_characters_they_resemble():
    code = with_check("1010V" + "A" * 14)
    assert codes.normalize("IOLOU" + "A" * 14 + code[-1]) == code
    assert codes.normalize("iolou" + "a" * 14 + code[-1].lower()) == code


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter the 20-character code"),
        (" - - ", "Enter the 20-character code"),
        ("ABCDE-12345-FGHJK-6789!", "'!' is not part of a code"),
        ("ABCDE-12345-FGHJK-678", "this one has 18"),
        ("ABCDE-12345-FGHJK-67890-1", "this one has 21"),
    ],
)
def test_malformed_input_says_what_is_wrong(typed, message):
    with pytest.raises(CodeFormatError, match=message) as info:
        codes.normalize(typed)
    assert "typo" not in str(info.value)


@pytest.mark.parametrize("code", FIXED)
def test_every_single_substitution_is_a_typo(code):
    assert codes.normalize(code) == code
    for position in range(LENGTH):
        for ch in ALPHABET:
            if ch != code[position]:
                assert is_typo(code[:position] + ch + code[position + 1 :]), (position, ch)


@pytest.mark.parametrize("code", FIXED)
def test_every_adjacent_transposition_is_a_typo(code):
    swaps = 0
    for position in range(LENGTH - 1):
        a, b = code[position], code[position + 1]
        if a == b:
            continue  # swapping equal neighbours changes nothing
        swaps += 1
        assert is_typo(code[:position] + b + a + code[position + 2 :]), position
    assert swaps or code == FIXED[4]


def test_every_pair_of_neighbours_is_caught_when_swapped():
    """All 32 x 31 ordered pairs, at every position: no blind spot like Luhn's "0Z"."""
    for a in ALPHABET:
        for b in ALPHABET:
            if a == b:
                continue
            for position in (0, 9, 17, 18):  # 18: swapped with the check character
                body = ("K" * position + a + b + "M" * LENGTH)[: LENGTH - 1]
                code = with_check(body)
                x, y = code[position], code[position + 1]
                if x == y:
                    continue
                assert is_typo(code[:position] + y + x + code[position + 2 :]), (a, b, position)


bodies = st.text(alphabet=ALPHABET, min_size=LENGTH - 1, max_size=LENGTH - 1)


@given(body=bodies, position=st.integers(0, LENGTH - 1), shift=st.integers(1, 31))
def test_random_codes_catch_a_substitution(body, position, shift):
    code = with_check(body)
    wrong = ALPHABET[(ALPHABET.index(code[position]) + shift) % 32]
    assert is_typo(code[:position] + wrong + code[position + 1 :])


@given(body=bodies, position=st.integers(0, LENGTH - 2))
def test_random_codes_catch_a_transposition(body, position):
    code = with_check(body)
    a, b = code[position], code[position + 1]
    if a != b:
        assert is_typo(code[:position] + b + a + code[position + 2 :])
    else:
        assert codes.normalize(code) == code


def test_pretty_and_mask():
    code = FIXED[2]
    assert codes.pretty(code) == "-".join(code[i : i + 5] for i in range(0, 20, 5))
    assert codes.mask(code).endswith(code[-5:])
    assert code[:15] not in codes.mask(code)
