"""A burst of failed lookups: many new domains answered NXDOMAIN within minutes (a DGA at work).

Malware that finds its command server through a domain generation algorithm looks up name after
name of its list until one answers; its authors register only a few, so nearly every lookup
fails. Names made of dictionary words (Suppobox, Matsnu) pass the character model (dga.py), but
not this: whatever the names look like, a device whose lookups suddenly fail for many distinct,
never-used registered domains within `WINDOW_MS` is walking such a list.

Counted: NXDOMAIN answers (engine/applayer/dns.py `DnsAnswer`) for a registered domain
(names.py) the device had not used before, or first used less than a day ago; each domain once
per window. Not counted: names without a registered domain (single labels such as a browser's
random intranet probes, .local, reverse lookups), domains of its baseline, and lanward's own
block answers (the SOA of engine/dns/answers.py), which say "blocked", not "does not exist".

While the baseline learns, the device's failures and its busiest window (`peak`) are learned.
After it, the check alerts when a window holds at least

    max(floor of the device's profile, RELATIVE x peak, learned tolerance + 1)

new failed domains (the household's level halves or doubles the floor and the factor), once
per burst: the burst goes on while failures keep coming within a window of each other, and a
new one within `COOLDOWN_MS` of the alert is the same outbreak. A burst whose names the
character model already reported is not reported again, and once this check reported one the
character model keeps quiet about it (its `dga_burst` cooldown).
"""

from __future__ import annotations

import math
from typing import Any

from lanward.engine.detect.anomaly import names
from lanward.engine.detect.anomaly.explain import Who, human_period, listing, make
from lanward.engine.detect.anomaly.sensitivity import Sensitivity
from lanward.engine.detect.anomaly.state import HOUR_MS, DeviceState, window
from lanward.engine.events import DnsAnswer

WINDOW_MS = 10 * 60_000
NEW_MS = 24 * HOUR_MS  # a domain first used less than this ago (after learning) is still new
COOLDOWN_MS = HOUR_MS
# Distinct failed new domains in a window that are always worth an alert, by profile. A person
# mistypes or follows a dead link now and then, a browser prefetches a few suggestions, an old
# page names dead third parties, and these can meet within minutes; an appliance looks up the
# same few names for years. (bench/smart_alerts.py: with 8 for phones and laptops, such a
# meeting alerted once in 24 generated households; with 10, never, and no DGA was missed.)
FLOORS = {"general": 10, "media": 6, "appliance": 5, "infrastructure": 10}
MIN_FLOOR = 3
RELATIVE = 2.0  # times the busiest window of the learning period
LEVEL_FACTOR = {"off": 1.0, "low": 2.0, "normal": 1.0, "high": 0.5}
OWN_BLOCK_ZONE = "blocked.lanward"  # engine/dns/answers.py: the SOA of lanward's block answers
TOLERANCE = "nxdomain_per_window"  # what "this is normal" raises (baseline.learn)
UNLEARN_USES = 4  # lookups of a failing name (A, AAAA, a retry) that still make no use of it


def counts(event: DnsAnswer) -> bool:
    """Could this answer count at all (a failure of an internet name)? Cheap; no state."""
    return event.rcode == "NXDOMAIN" and event.soa != OWN_BLOCK_ZONE and bool(event.name)


def threshold(peak: int, tolerance: int, sens: Sensitivity) -> int:
    """Failed new domains in one window that make an alert, for this device."""
    factor = LEVEL_FACTOR.get(sens.level, 1.0)
    floor = max(MIN_FLOOR, round(FLOORS.get(sens.profile, FLOORS["general"]) * factor))
    relative = math.ceil(max(1.5, RELATIVE * factor) * peak)
    return max(floor, relative, tolerance + 1)


def _new(state: DeviceState, domain: str, ts_ms: int) -> bool:
    base = state.baseline
    entry = base.domains.get(domain)
    if entry is None:
        return True  # never used, or held apart as machine-made or a look-alike
    if base.learned_ms and entry[0] < base.learned_ms:
        return False
    return ts_ms - entry[0] <= NEW_MS


def _unlearn(state: DeviceState, domain: str, ts_ms: int) -> None:
    """A name that does not exist is not one the device uses: a domain learned only from the
    lookups that just failed leaves the baseline again, so a typo never becomes one of the
    device's own domains (which look-alikes are measured against)."""
    entry = state.baseline.domains.get(domain)
    if entry is not None and ts_ms - entry[0] <= WINDOW_MS and entry[2] <= UNLEARN_USES:
        del state.baseline.domains[domain]


def note_generated(state: DeviceState, alerts: list[dict[str, Any]], ts_ms: int) -> None:
    """Remember the names the character model's alerts named (one burst, one alert)."""
    for alert in alerts:
        evidence = alert.get("evidence", {})
        if evidence.get("check") == "dga":
            for domain in evidence.get("now", {}).get("domains", []):
                state.dga_named.append((ts_ms, str(domain)))


def observe(state: DeviceState, who: Who, event: DnsAnswer) -> list[dict[str, Any]]:
    base = state.baseline
    if base.learning and not base.nxdomain:
        base.nxdomain = {"failures": 0, "peak": 0}  # its answers are watched while it learns
    if not counts(event):
        return []
    domain = names.registered(event.name)
    ts = event.ts_ms
    if not domain or not _new(state, domain, ts):
        return []
    _unlearn(state, domain, ts)
    again = domain in window(state.failed, ts, WINDOW_MS)
    state.failed.append((ts, domain))
    fresh = window(state.failed, ts, WINDOW_MS)
    if base.learning:
        if not again:
            base.nxdomain["failures"] = base.nxdomain.get("failures", 0) + 1
        base.nxdomain["peak"] = max(base.nxdomain.get("peak", 0), len(fresh))
        return []
    if who.sensitivity.off:
        return []
    last = state.failed_burst_ms
    if last >= 0 and 0 <= ts - last <= WINDOW_MS:
        state.failed_burst_ms = ts  # the burst already reported goes on
        return []
    peak = base.nxdomain.get("peak", 0)
    limit = threshold(peak, base.tolerance.get(TOLERANCE, 0), who.sensitivity)
    if len(fresh) < limit:
        return []
    state.failed_burst_ms = ts
    reported = set(window(state.dga_named, ts, WINDOW_MS))
    if reported.intersection(fresh) or state.cooling("nxdomain", ts, COOLDOWN_MS):
        return []
    # The character model would report this burst's machine-looking names next: it is reported.
    state.cooldown["dga_burst"] = ts
    return [_alert(state, who, fresh, ts, limit)]


def _per_day(state: DeviceState, ts_ms: int) -> float | None:
    """Failed new domains a day while the baseline learned; None when it did not watch."""
    base = state.baseline
    days = ((base.learned_ms or ts_ms) - base.first_ms) / (24 * HOUR_MS)
    if not base.nxdomain or days <= 0:
        return None
    return round(base.nxdomain.get("failures", 0) / days, 1)


def _alert(
    state: DeviceState, who: Who, domains: list[str], ts_ms: int, limit: int
) -> dict[str, Any]:
    base = state.baseline
    peak = base.nxdomain.get("peak", 0)
    per_day = _per_day(state, ts_ms)
    span = human_period(WINDOW_MS)
    first = next((t for t, d in state.failed if d in domains), ts_ms)
    if per_day is None:
        normal = "How often its lookups fail was not learned yet (an older baseline)."
    elif peak:
        normal = (
            f"Normally about {per_day:g} of its lookups a day fail, at most {peak} within {span}."
        )
    else:
        normal = "None of its lookups failed while its normal behaviour was learned."
    return make(
        who,
        "nxdomain",
        "high",
        ts_ms,
        domains[-1],
        f"{who.name} looked up {len(domains)} domains that do not exist within {span} "
        f"({listing(domains, 3)}). {normal} Malware that finds its command server through "
        "generated names tries name after name until one answers, and almost none of them are "
        "registered; the device is likely infected. Check it with an up-to-date virus scanner "
        "or reset it.",
        baseline={
            "failed_lookups_per_day": per_day,
            "most_in_window": peak,
            "alert_at": limit,
            "window_minutes": WINDOW_MS // 60_000,
        },
        now={
            "domains": domains[:50],
            "count": len(domains),
            "window_minutes": WINDOW_MS // 60_000,
            "first_ms": first,
            "last_ms": ts_ms,
        },
        learn={"tolerance": {TOLERANCE: len(domains)}},
        app="DNS",
    )
