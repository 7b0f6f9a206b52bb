"""Threat feeds from the console: fetched (last good copy kept), parsed, outcome on the row.

Indicator feeds become one `Indicators` set; rule feeds stay text (the engine compiles them with
its home networks). The station calls `load_feeds` at start, when `feeds_signature()` changes
(a feed added, removed or switched) and every `LANWARD_FEED_REFRESH_HOURS`; between refreshes the
console reads the local copies only.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Count, Max
from django.utils import timezone

from lanward.engine.detect.feeds import Indicators, parse_feed
from lanward.lib.fetch import FetchError, fetch

from .models import ThreatFeed

MAX_PROBLEMS_KEPT = 20


def feeds_signature() -> tuple[object, ...]:
    """Changes whenever the set of feeds in use does (a few cheap aggregate queries)."""
    agg = ThreatFeed.objects.aggregate(n=Count("id"), last=Max("created"))
    enabled = tuple(
        ThreatFeed.objects.filter(enabled=True).order_by("pk").values_list("pk", "kind", "source")
    )
    return (agg["n"], agg["last"], enabled)


def _downloads_allowed() -> bool:
    try:
        from lanward.privacy.models import PrivacySettings
    except ImportError:  # the privacy app is optional for this module
        return True
    return bool(getattr(PrivacySettings.load(), "blocklist_downloads", True))


def _skipped_reason(sid: int | None, reasons: tuple[str, ...]) -> str:
    rule = f"sid {sid}" if sid is not None else "rule without a sid"
    return f"{rule} not used: lanward does not support {', '.join(reasons)}"


def _rule_outcome(name: str, text: str) -> dict[str, Any]:
    from lanward.engine.devices import DEFAULT_HOME_NETS
    from lanward.engine.rules import Variables, load_rules

    home = tuple(settings.LANWARD_HOME_NETS) or DEFAULT_HOME_NETS
    files = load_rules([(name, text)], Variables.for_home(home)).report.files
    report = next((f for f in files if f.source == name), files[-1])
    # The page prints "line N: reason", so the reason does not repeat the line number.
    problems = [{"line": p.line, "reason": p.message[:200]} for p in report.malformed] + [
        {"line": s.line, "reason": _skipped_reason(s.sid, s.reasons)[:200]} for s in report.skipped
    ]
    problems.sort(key=lambda p: int(str(p["line"])))
    return {
        "entries": report.loaded,
        "skipped": len(report.skipped) + len(report.malformed),
        "problems": problems[:MAX_PROBLEMS_KEPT],
    }


def load_feeds(max_age: float = 0) -> tuple[Indicators, list[tuple[str, str]]]:
    """Every enabled feed: (indicators merged, [(feed name, rule text)])."""
    indicators = Indicators()
    rules: list[tuple[str, str]] = []
    cache_dir = settings.DATA_DIR / "feeds"
    offline = not _downloads_allowed()
    for feed in ThreatFeed.objects.filter(enabled=True):
        try:
            fetched = fetch(feed.source, cache_dir, max_age=max_age, offline=offline)
        except FetchError as exc:
            ThreatFeed.objects.filter(pk=feed.pk).update(last_error=str(exc)[:300])
            continue
        outcome: dict[str, Any] = {"last_error": fetched.error[:300]}
        if feed.kind == ThreatFeed.Kind.RULES:
            try:
                outcome.update(_rule_outcome(feed.name, fetched.text))
            except Exception as exc:  # noqa: BLE001 - one bad feed must not stop the others
                ThreatFeed.objects.filter(pk=feed.pk).update(
                    last_error=f"could not read the rules: {exc}"[:300]
                )
                continue
            rules.append((feed.name, fetched.text))
        else:
            parsed = parse_feed(fetched.text, feed.name)
            outcome.update(
                {
                    "entries": len(parsed),
                    "skipped": len(parsed.problems),
                    "problems": [
                        {"line": p.line, "reason": f"{p.reason}: {p.text[:80]}"}
                        for p in parsed.problems[:MAX_PROBLEMS_KEPT]
                    ],
                }
            )
            parsed.problems = []
            indicators.merge(parsed)
        if not fetched.error:
            outcome["last_update"] = timezone.now()
        ThreatFeed.objects.filter(pk=feed.pk).update(**outcome)
    return indicators, rules
