"""Algorithmically generated domain names, in the styles of known malware families.

These are not the families' real algorithms or seeds (no live C2 name is ever produced on
purpose): they reproduce the *shape* of each family's names, which is what a detector sees.
Shapes, from the published reverse-engineering write-ups:

- `conficker`: 4-11 random lower-case letters, under com/net/org/info/biz (Conficker.C);
- `cryptolocker`: 12-15 random letters under com/net/biz/ru/org/co.uk;
- `necurs`: 7-21 letters, many TLDs;
- `ramnit`: 8-19 letters from a linear-congruential generator, com;
- `hexhash`: a hash's hex digest cut to 16-32 characters (Bamital, Dyre style);
- `alnum`: letters and digits mixed, 10-16 characters (Pykspa, Murofet style);
- `wordpair`: two or three dictionary words glued together (Suppobox, Matsnu, Gozi style).
  These read like real names; a character-statistics detector is expected to miss most of them.

`generate(family, rng, n)` returns `n` names; everything follows from the `random.Random` given.
"""

from __future__ import annotations

import random
import string

LETTERS = string.ascii_lowercase
WORDS = (
    "about after again air all along also always animal another answer around away back "
    "because before began being below between black blue body book both bring build call came "
    "carry change children city close come complete country course cover cross dark develop "
    "different direction distance door down draw during early earth east enough even every "
    "example face fall family farm father feel field figure fire first follow food foot form "
    "found free friend front full game garden girl give going good govern great green ground "
    "group grow half hand happen hard head hear heard heart heavy help here high hold horse "
    "house hundred idea important inch island keep kind king knew land language large last "
    "later learn leave left letter life light line list listen little live long look machine "
    "main make many mark measure might mile mind money morning mother mountain move music name "
    "near need never next night north notice number object often open order other paper part "
    "people picture piece place plain plan plant point power problem product pull question "
    "quick rain reach read ready real record remember rest right river road rock room round "
    "rule school science second sentence several shape ship short show side simple since sing "
    "size sleep small snow song sound south space special stand star start state step still "
    "stood story street strong study such summer surface system table tail take talk teach "
    "test thought thousand three through together told took toward town travel tree true "
    "under unit until usual very voice vowel wait walk wall warm watch water week weight west "
    "where while white whole wind winter without wonder wood word work world write year young"
).split()
FAMILIES = ("conficker", "cryptolocker", "necurs", "ramnit", "hexhash", "alnum", "wordpair")
_TLDS = {
    "conficker": ("com", "net", "org", "info", "biz"),
    "cryptolocker": ("com", "net", "biz", "ru", "org", "co.uk"),
    "necurs": ("tj", "in", "jp", "kz", "nu", "ac", "pw", "eu", "cx", "me", "to", "com", "net"),
    "ramnit": ("com",),
    "hexhash": ("com", "net", "org", "info"),
    "alnum": ("com", "net", "info", "biz", "org"),
    "wordpair": ("net", "com", "ru"),
}


def _ramnit(rng: random.Random, length: int) -> str:
    seed = rng.getrandbits(31) or 1
    out = []
    for _ in range(length):
        seed = (16807 * seed) % 2147483647  # Park-Miller, as Ramnit's generator
        out.append(LETTERS[seed % 26])
    return "".join(out)


def label(family: str, rng: random.Random) -> str:
    """One generated label (the part left of the public suffix)."""
    if family == "conficker":
        return "".join(rng.choices(LETTERS, k=rng.randint(4, 11)))
    if family == "cryptolocker":
        return "".join(rng.choices(LETTERS, k=rng.randint(12, 15)))
    if family == "necurs":
        return "".join(rng.choices(LETTERS, k=rng.randint(7, 21)))
    if family == "ramnit":
        return _ramnit(rng, rng.randint(8, 19))
    if family == "hexhash":
        return f"{rng.getrandbits(128):032x}"[: rng.randint(16, 32)]
    if family == "alnum":
        alphabet = LETTERS + string.digits
        return rng.choice(LETTERS) + "".join(rng.choices(alphabet, k=rng.randint(9, 15)))
    if family == "wordpair":
        return "".join(rng.sample(WORDS, rng.choice((2, 2, 3))))
    raise ValueError(f"unknown DGA family {family!r}; pick one of {', '.join(FAMILIES)}")


def generate(family: str, rng: random.Random, n: int) -> list[str]:
    """`n` distinct domain names of one family's shape."""
    names: dict[str, None] = {}
    while len(names) < n:
        names[f"{label(family, rng)}.{rng.choice(_TLDS[family])}"] = None
    return list(names)
