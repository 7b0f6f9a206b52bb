"""Is a new domain dressed up as one the household trusts? Typos, homoglyphs, brand combos.

A new registered domain is compared with two sets of references: the domains the device itself
uses (its baseline) and a short list of brands that phishing imitates most. It is a lookalike
when, for some reference it is not,

- `homoglyph`: its punycode (xn--) label, decoded, reads as the reference once look-alike letters
  of other scripts are mapped to Latin (Unicode confusables, via confusable_homoglyphs) and
  accents are dropped: `xn--pple-43d.com` is "аpple" with a Cyrillic а;
- `mixed_scripts`: a decoded label mixing Latin with another script, even without a match;
- `character_swap`: it reads as the reference after the ASCII tricks 0->o, 1->l, 3->e, 5->s,
  rn->m, vv->w (`paypa1`, `rnicrosoft`);
- `typo`: one edit (insert, delete, replace, swap of neighbours) away from a brand of five or
  more letters, two from one of ten or more (`gooogle`, `amazno`); one from a device's own
  domain of eight or more letters (shorter ones sit next to too many real words), where a
  replaced letter must be a plausible slip (a neighbouring key, a vowel for a vowel, a letter
  that looks alike: `wikipedia` and `wikimedia` are sister sites, not a typo of each other);
- `brand_combo`: a hyphenated name joining a brand to a bait word (`paypal-login`,
  `apple-verify`).

The same label under another suffix (`google.de` for `google.com`) is never a lookalike: owners
register their names in many countries.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import idna
from confusable_homoglyphs import categories, confusables
from rapidfuzz import process
from rapidfuzz.distance import OSA

BRANDS = (
    "google gmail youtube facebook instagram whatsapp messenger apple icloud microsoft outlook "
    "office live hotmail amazon paypal netflix spotify linkedin twitter dropbox github yahoo "
    "ebay chase wellsfargo bankofamerica citibank hsbc barclays santander sparkasse postbank "
    "commerzbank revolut coinbase binance metamask blockchain steamcommunity steampowered "
    "telegram discord roblox adobe docusign wetransfer dhl fedex usps royalmail"
).split()
BAIT = set(
    "login signin sign secure security verify verification account accounts update support "
    "help service services auth wallet billing payment pay confirm id unlock recovery "
    "alert alerts team online web".split()
)
_ASCII_TRICKS = (("rn", "m"), ("vv", "w"), ("0", "o"), ("1", "l"), ("3", "e"), ("5", "s"))


@dataclass(frozen=True)
class Lookalike:
    technique: str
    reference: str  # the label it imitates
    source: str  # "brand" or "device" (one of the device's own domains)
    detail: str  # what the name reads as, or the edit distance

    def as_dict(self) -> dict[str, str]:
        return {
            "technique": self.technique,
            "imitates": self.reference,
            "reference_from": self.source,
            "detail": self.detail,
        }


@lru_cache(maxsize=8192)
def unicode_label(label: str) -> str:
    """The label as people see it: xn-- labels decoded, others unchanged."""
    if not label.startswith("xn--"):
        return label
    try:
        return idna.decode(label)
    except (idna.IDNAError, UnicodeError, ValueError):
        return label


@lru_cache(maxsize=8192)
def skeleton(text: str) -> str:
    """Latin look-alike of a Unicode label: accents dropped, confusable letters mapped."""
    out = []
    for ch in unicodedata.normalize("NFKD", text):
        if unicodedata.combining(ch):
            continue
        if ch.isascii():
            out.append(ch.lower())
            continue
        found = confusables.is_confusable(ch, greedy=True, preferred_aliases=["latin"]) or []
        glyphs = [g["c"] for item in found for g in item["homoglyphs"] if g["c"].isascii()]
        out.append(glyphs[0].lower() if glyphs else "?")
    return "".join(out)


def ascii_skeleton(label: str) -> str:
    for trick, letter in _ASCII_TRICKS:
        label = label.replace(trick, letter)
    return label


DEVICE_MIN_LENGTH = 8  # a device's own shorter names sit one edit from too many real words


def _max_edits(reference: str, source: str) -> int:
    if source == "device":
        return 1 if len(reference) >= DEVICE_MIN_LENGTH else 0
    return 2 if len(reference) >= 10 else 1 if len(reference) >= 5 else 0


_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm")
_VOWELS = set("aeiouy")
_LOOK_ALIKE = {frozenset(p) for p in ("il", "l1", "i1", "o0", "mn", "uv", "vw", "ce", "gq", "bd")}


@lru_cache(maxsize=1)
def _neighbours() -> dict[str, set[str]]:
    """Keys next to each other on a QWERTY keyboard (same row, and the rows above and below)."""
    near: dict[str, set[str]] = {}
    for r, row in enumerate(_ROWS):
        for i, key in enumerate(row):
            keys = near.setdefault(key, set())
            for rr in (r - 1, r, r + 1):
                if 0 <= rr < len(_ROWS):
                    keys.update(_ROWS[rr][max(0, i - 1) : i + 2])
            keys.discard(key)
    return near


def _slip(label: str, reference: str) -> bool:
    """Could one replaced letter be a slip an imitator counts on: a neighbouring key, one vowel
    for another, or a letter that looks like the other? (Typosquatters' usual replacements, as
    dnstwist lists them.) Other edits (a letter added, dropped or two swapped) always could."""
    if len(label) != len(reference):
        return True
    diff = [(a, b) for a, b in zip(label, reference, strict=True) if a != b]
    if len(diff) != 1:
        return True  # two neighbours swapped
    a, b = diff[0]
    return (
        b in _neighbours().get(a, set())
        or (a in _VOWELS and b in _VOWELS)
        or frozenset((a, b)) in _LOOK_ALIKE
    )


def _typo(label: str, references: dict[str, str]) -> Lookalike | None:
    candidates = [
        r for r, src in references.items() if _max_edits(r, src) and abs(len(r) - len(label)) <= 2
    ]
    for reference, distance, _ in process.extract(
        label, candidates, scorer=OSA.distance, score_cutoff=2, limit=5
    ):
        source = references[reference]
        if not 0 < distance <= _max_edits(reference, source):
            continue
        # One of the device's own domains: a replaced letter must be a plausible slip, or
        # sister sites (wikipedia / wikimedia) would look like imitations of each other.
        if source == "device" and not _slip(label, reference):
            continue
        return Lookalike("typo", reference, source, f"{int(distance)} edit(s)")
    return None


def check(label: str, device_labels: frozenset[str]) -> Lookalike | None:
    """The first technique that makes `label` imitate a reference, or None."""
    references = {b: "brand" for b in BRANDS}
    for own in device_labels:
        references.setdefault(own, "device")
    if label in references:
        return None
    shown = unicode_label(label)
    if shown != label:
        seen_as = skeleton(shown)
        if seen_as in references and seen_as != label:
            return Lookalike("homoglyph", seen_as, references[seen_as], f"reads as {shown!r}")
        scripts = categories.unique_aliases(shown) - {"COMMON"}
        if "LATIN" in scripts and len(scripts) > 1:
            mixed = ", ".join(sorted(scripts))
            return Lookalike("mixed_scripts", "", "", f"{shown!r} mixes {mixed}")
        near = _typo(seen_as, references) if "?" not in seen_as else None
        if near is not None:
            return Lookalike("homoglyph", near.reference, near.source, f"reads as {shown!r}")
        return None
    swapped = ascii_skeleton(label)
    if swapped != label and swapped in references:
        return Lookalike("character_swap", swapped, references[swapped], f"reads as {swapped!r}")
    parts = label.split("-")
    if len(parts) > 1:
        brands = [p for p in parts if p in BRANDS]
        if brands and any(p in BAIT for p in parts):
            return Lookalike("brand_combo", brands[0], "brand", f"{brands[0]!r} + bait words")
    return _typo(label, references)
