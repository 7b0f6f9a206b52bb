"""How much of Emerging Threats Open lanward's signature engine can run, and how fast it loads.

    .venv/bin/python bench/et_open_rules.py [--corpus DIR] [--top 15]

Loads each `*.rules` file of the corpus (default ../shared/corpus/et-open next to the
repository, or $LANWARD_ET_OPEN) with `lanward.engine.rules`, and prints per file and in total
the rules loaded and skipped (share in %), the keywords that made rules be skipped (top N),
the malformed rules, and the load time. Exits 0 with a message when the corpus is absent.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

from lanward.engine.rules import RuleSet

DEFAULT_CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus" / "et-open"


def share(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f} %" if whole else "    - "


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--corpus", type=Path, default=Path(os.environ.get("LANWARD_ET_OPEN", DEFAULT_CORPUS))
    )
    parser.add_argument("--top", type=int, default=15, help="skip reasons listed (15)")
    args = parser.parse_args(argv)
    files = sorted(args.corpus.glob("*.rules")) if args.corpus.is_dir() else []
    if not files:
        print(f"no ET Open rule files in {args.corpus.resolve()}: nothing to measure")
        return 0
    rules = RuleSet()
    header = f"{'file':<32} {'rules':>6} {'loaded':>7} {'share':>7} {'skipped':>8} {'share':>7} {'malformed':>9} {'load s':>7}"
    print(header)
    print("-" * len(header))
    started = time.perf_counter()
    for path in files:
        report = rules.add_text(path.read_text(encoding="utf-8", errors="replace"), path.name)
        print(
            f"{path.name:<32} {report.total:>6} {report.loaded:>7} {share(report.loaded, report.total)}"
            f" {len(report.skipped):>8} {share(len(report.skipped), report.total)}"
            f" {len(report.malformed):>9} {report.seconds:>7.2f}"
        )
    elapsed = time.perf_counter() - started
    total = sum(f.total for f in rules.report.files)
    skipped = len(rules.report.skipped)
    malformed = rules.report.malformed
    print("-" * len(header))
    print(
        f"{'total':<32} {total:>6} {rules.report.loaded:>7} {share(rules.report.loaded, total)}"
        f" {skipped:>8} {share(skipped, total)} {len(malformed):>9} {elapsed:>7.2f}"
    )
    print(f"\nskipped rules by keyword (top {args.top}; a rule may count under several):")
    by_keyword: Counter[str] = rules.report.skipped_by_keyword()
    for keyword, count in by_keyword.most_common(args.top):
        print(f"  {keyword:<40} {count:>6}  {share(count, total)} of all rules")
    if malformed:
        print(f"\nmalformed rules ({len(malformed)}):")
        for report in rules.report.files:
            for problem in report.malformed:
                print(f"  {report.source} {problem.describe()}")
    print(f"\nloaded {rules.report.loaded} of {total} rules in {elapsed:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
