"""Build the character statistics the DGA check scores names with, and calibrate its thresholds.

    .venv/bin/python bench/dga_model.py [--words /usr/share/dict/words] [--write]

1. Trains a character trigram model on English words (Debian's `wamerican` word list: install
   it with `apt-get install wamerican`). Digits are folded into one symbol ("0"), so the model
   has 28 symbols plus the start and end marks. With `--write` the counts go to
   src/lanward/engine/detect/anomaly/charstats.txt (a statistical summary, not the list).
2. Scores held-out real names nobody generated: the registered labels of the nDPI captures'
   server names (../shared/corpus/ndpi/result/*.out), the allow list of eth-phishing-detect
   (hard: abbreviations and crypto brand look-alikes), and the popular sites of the household
   generator (lanward.demo.sites). It prints the score quantiles of each.
3. Scores names of the shapes of seven DGA families (lanward.demo.dga) and prints, for the
   thresholds the detector uses (`dga.SINGLE_THRESHOLD`, `dga.BURST_THRESHOLD`), the share of
   each set that is flagged.

The score is a log-likelihood ratio in nats: the name under the English model against the same
name drawn uniformly at random. Negative: more likely random than made of words.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from lanward.demo import dga as families  # noqa: E402
from lanward.demo import sites  # noqa: E402
from lanward.engine.detect.anomaly import dga, names  # noqa: E402

CORPUS = ROOT / ".." / "shared" / "corpus"
TARGET = ROOT / "src" / "lanward" / "engine" / "detect" / "anomaly" / "charstats.txt"


def train(words: list[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for word in words:
        for ctx, ch in dga.transitions(dga.fold(word)):
            counts[ctx + ch] += 1
    return counts


def held_out() -> dict[str, list[str]]:
    out: dict[str, set[str]] = {"ndpi server names": set(), "eth-phishing allow list": set()}
    for path in sorted((CORPUS / "ndpi" / "result").glob("*.out")):
        for name in re.findall(r"\[(?:Hostname/SNI|SNI|Host): ([^\]]+)\]", path.read_text()):
            out["ndpi server names"].add(names.label_of(name))
    allow = CORPUS / "blocklists" / "eth-phishing-detect" / "config.json"
    if allow.exists():
        for name in json.loads(allow.read_text())["whitelist"]:
            out["eth-phishing allow list"].add(names.label_of(name))
    out["generator's popular sites"] = {names.label_of(d) for d in sites.popular_domains()}
    return {k: sorted(v - {""}) for k, v in out.items()}


def quantiles(values: list[float]) -> str:
    values = sorted(values)
    if not values:
        return "-"
    return " ".join(
        f"q{int(p * 1000) / 10:g}={values[int(p * (len(values) - 1))]:.1f}"
        for p in (0.001, 0.01, 0.05, 0.5)
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", default="/usr/share/dict/words")
    parser.add_argument("--write", action="store_true", help="write charstats.txt")
    args = parser.parse_args()
    if args.write:
        try:
            text = Path(args.words).read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            print(f"cannot read {args.words}: {exc.strerror}. apt-get install wamerican")
            return 2
        words = sorted({w.lower() for w in text.split() if re.fullmatch(r"[A-Za-z]+", w)})
        counts = train(words)
        lines = [
            "# Character trigram counts for lanward's DGA check, built by bench/dga_model.py",
            f"# from {len(words)} English words (Debian wamerican). Digits are folded into 0;",
            "# ^ marks the start of a name, $ its end. Format: trigram<TAB>count.",
        ]
        lines += [f"{gram}\t{n}" for gram, n in sorted(counts.items())]
        TARGET.write_text("\n".join(lines) + "\n")
        print(f"wrote {len(counts)} trigrams to {TARGET.relative_to(ROOT)}")
        dga.MODEL.cache_clear()
    print(
        f"alone: score < {dga.SINGLE_THRESHOLD} and {dga.SINGLE_MIN_LENGTH}+ characters; "
        f"in a burst: score < {dga.BURST_THRESHOLD}"
    )
    print("held-out real names (labels of at least", dga.MIN_LENGTH, "characters):")
    for title, labels in held_out().items():
        kept = [label for label in labels if dga.judged(label)]
        scores = [dga.score(label) for label in kept]
        single = sum(dga.looks_generated(x) for x in kept)
        burst = sum(dga.burst_candidate(x) for x in kept)
        print(
            f"  {title:<28} n={len(scores):<5} flagged alone {single / max(len(scores), 1):6.1%}"
            f"  in a burst {burst / max(len(scores), 1):6.1%}  {quantiles(scores)}"
        )
    print("generated DGA names:")
    rng = random.Random(1)
    for family in families.FAMILIES:
        labels = [names.label_of(d) for d in families.generate(family, rng, 2000)]
        kept = [label for label in labels if dga.judged(label)]
        scores = [dga.score(label) for label in kept]
        single = sum(dga.looks_generated(x) for x in kept)
        burst = sum(dga.burst_candidate(x) for x in kept)
        print(
            f"  {family:<14} long enough {len(scores) / len(labels):5.0%}  flagged alone "
            f"{single / max(len(scores), 1):6.1%}  in a burst {burst / max(len(scores), 1):6.1%}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
