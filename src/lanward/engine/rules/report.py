"""What loading a rule file did: rules loaded, skipped (and for which keywords), malformed."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Skipped:
    line: int
    sid: int | None
    reasons: tuple[str, ...]  # the unsupported keywords, or "action drop"

    def describe(self) -> str:
        sid = f"sid {self.sid}" if self.sid is not None else "no sid"
        return f"line {self.line} ({sid}): {', '.join(self.reasons)}"


@dataclass(frozen=True)
class Problem:
    line: int
    message: str

    def describe(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class FileReport:
    source: str
    loaded: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    malformed: list[Problem] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return self.loaded + len(self.skipped) + len(self.malformed)

    def skipped_by_keyword(self) -> Counter[str]:
        counts: Counter[str] = Counter()
        for skipped in self.skipped:
            counts.update(set(skipped.reasons))
        return counts

    def summary(self, keywords: int = 6, problems: int = 3) -> str:
        """One line in plain words, e.g. for `lanward analyze --rules` on stderr."""
        text = f"{self.source}: {self.loaded} rules loaded"
        if self.skipped:
            top = self.skipped_by_keyword().most_common(keywords)
            more = len(self.skipped_by_keyword()) - len(top)
            words = ", ".join(f"{name} {count}" for name, count in top)
            if more > 0:
                words += f", {more} more"
            text += f", {len(self.skipped)} skipped (unsupported: {words})"
        if self.malformed:
            shown = "; ".join(p.describe() for p in self.malformed[:problems])
            if len(self.malformed) > problems:
                shown += f"; {len(self.malformed) - problems} more"
            text += f", {len(self.malformed)} malformed ({shown})"
        return text


@dataclass
class LoadReport:
    files: list[FileReport] = field(default_factory=list)

    @property
    def loaded(self) -> int:
        return sum(f.loaded for f in self.files)

    @property
    def skipped(self) -> list[Skipped]:
        return [s for f in self.files for s in f.skipped]

    @property
    def malformed(self) -> list[Problem]:
        return [p for f in self.files for p in f.malformed]

    def skipped_by_keyword(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for f in self.files:
            total.update(f.skipped_by_keyword())
        return total

    def summary_lines(self) -> list[str]:
        return [f.summary() for f in self.files]
