"""Does a domain name look machine-made? Character statistics of real words against chance.

Malware that finds its command server through a domain generation algorithm (DGA) looks up many
names like `xkqjvbtrwzpl.com`: strings nobody would choose. The check scores the label (the part
left of the public suffix) with a character trigram model of English words (charstats.txt, built
by bench/dga_model.py from Debian's word list) against the same string drawn uniformly at random:

    score = sum over characters of log P_words(char | two before) - log(1 / symbols)

in nats. Real names, made of words, brands and abbreviations, score above zero as a rule; random
letters and hex digests score far below. A name alone is flagged below `SINGLE_THRESHOLD`; a burst
of several new names within minutes (the way a DGA works through its list) is flagged with the
looser `BURST_THRESHOLD`. Both were calibrated by bench/dga_model.py on real names (the nDPI
captures' server names, eth-phishing-detect's allow list, popular sites) and on generated names
of seven families. Names shorter than `MIN_LENGTH` are not judged: too little to tell, and a
name alone must have `SINGLE_MIN_LENGTH` characters (vendors' abbreviations such as `lgtvsdp` or
`nflxext` score low but are short). Names made
of dictionary words (the Suppobox/Matsnu kind) pass: character statistics cannot see them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

SYMBOLS = "abcdefghijklmnopqrstuvwxyz0-"
SMOOTHING = 0.1
MIN_LENGTH = 7
SINGLE_MIN_LENGTH = 10  # vendors' abbreviations (lgtvsdp, nflxext) are short; DGAs run longer
SINGLE_THRESHOLD = -9.0
BURST_THRESHOLD = -3.0
SWITCH_PENALTY = 3.0
VOWELS = set("aeiouy")
_DIGITS = re.compile(r"[0-9]")


def fold(label: str) -> str:
    """Lower case, every digit as 0; characters outside the model's alphabet dropped."""
    folded = _DIGITS.sub("0", label.lower())
    return "".join(ch for ch in folded if ch in SYMBOLS)


def transitions(text: str) -> list[tuple[str, str]]:
    """(two characters before, character) pairs, with ^^ at the start and $ at the end."""
    padded = "^^" + text + "$"
    return [(padded[i - 2 : i], padded[i]) for i in range(2, len(padded))]


@dataclass(frozen=True)
class Model:
    counts: dict[str, int]
    contexts: dict[str, int]


@lru_cache(maxsize=1)
def MODEL() -> Model:  # noqa: N802 - a constant, loaded on first use
    counts: dict[str, int] = {}
    contexts: dict[str, int] = {}
    text = resources.files(__package__).joinpath("charstats.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        gram, _, n = line.partition("\t")
        counts[gram] = int(n)
        contexts[gram[:2]] = contexts.get(gram[:2], 0) + int(n)
    return Model(counts, contexts)


def segments(label: str) -> list[str]:
    """Hyphen-separated parts, each split into runs of letters and runs of digits."""
    return re.findall(r"[a-z]+|[0-9]+", label.lower())


def _letters_score(text: str, model: Model) -> float:
    chance = math.log(len(SYMBOLS) + 1)  # each character or the end mark
    total = 0.0
    for ctx, ch in transitions(text):
        p = (model.counts.get(ctx + ch, 0) + SMOOTHING) / (
            model.contexts.get(ctx, 0) + SMOOTHING * (len(SYMBOLS) + 1)
        )
        total += math.log(p) + chance
    return total


@lru_cache(maxsize=65536)
def score(label: str) -> float:
    """Log-likelihood ratio (nats) of the label under the word model against chance.

    Each run of letters is scored as a word of its own (hyphens and digits separate words, as
    in `t-online` or `office365`); a run of digits counts as chance, and every switch between
    letters and digits past the first costs `SWITCH_PENALTY` (hex digests switch all the time).
    """
    model = MODEL()
    runs = segments(label)
    total = sum(_letters_score(r, model) for r in runs if r.isalpha())
    letter_digit = [r for r in runs if r.isalnum()]
    switches = sum(
        1
        for a, b in zip(letter_digit, letter_digit[1:], strict=False)
        if a.isalpha() != b.isalpha()
    )
    total -= SWITCH_PENALTY * max(0, switches - 1)
    return round(total, 2)


def longest_consonant_run(label: str) -> int:
    run = best = 0
    for ch in label.lower():
        run = run + 1 if ch.isalpha() and ch not in VOWELS else 0
        best = max(best, run)
    return best


def entropy(label: str) -> float:
    """Shannon entropy of the label's characters, bits per character."""
    if not label:
        return 0.0
    counts: dict[str, int] = {}
    for ch in label:
        counts[ch] = counts.get(ch, 0) + 1
    n = len(label)
    return round(-sum(c / n * math.log2(c / n) for c in counts.values()), 2)


def judged(label: str) -> bool:
    return len(label) >= MIN_LENGTH and not label.startswith("xn--")


def looks_generated(label: str) -> bool:
    """Machine-made beyond doubt, even alone."""
    return judged(label) and len(label) >= SINGLE_MIN_LENGTH and score(label) < SINGLE_THRESHOLD


def burst_candidate(label: str) -> bool:
    """Machine-made enough to count when several such names come at once."""
    return judged(label) and score(label) < BURST_THRESHOLD


def describe(label: str) -> dict[str, object]:
    """The numbers an alert shows for one name."""
    digits = sum(ch.isdigit() for ch in label)
    return {
        "label": label,
        "score": score(label),
        "length": len(label),
        "longest_consonant_run": longest_consonant_run(label),
        "digits": digits,
        "entropy_bits": entropy(label),
    }
