"""Checks on the domains a device uses: generated names, look-alikes, an appliance browsing.

A name is reduced to its registered domain (names.py). A domain the baseline knows is counted and
left alone. During the learning period every new domain is learned. After it, a new domain is

1. a look-alike of a brand or of one of the device's own domains (lookalike.py): alert, medium
   (high for a homoglyph: that is never an accident); not learned;
2. machine-looking (dga.py): never learned (held in `flagged`); it alarms alone when the name
   is long and clearly random (medium), and when `BURST_NAMES` machine-looking new names come
   within `BURST_WINDOW_MS` (high): that is how a DGA works through its list;
3. otherwise learned, and counted: an appliance (or a TV) meeting more new domains within an
   hour than its profile allows is browsing, which appliances do not do.
"""

from __future__ import annotations

from typing import Any

from lanward.engine.detect.anomaly import dga, lookalike, names
from lanward.engine.detect.anomaly.explain import Who, listing, make
from lanward.engine.detect.anomaly.state import HOUR_MS, DeviceState, window

BURST_WINDOW_MS = 10 * 60_000
BURST_NAMES = 3
BURST_COOLDOWN_MS = 30 * 60_000
BROWSING_COOLDOWN_MS = 6 * HOUR_MS


def observe(state: DeviceState, who: Who, name: str, ts_ms: int, via: str) -> list[dict[str, Any]]:
    domain = names.registered(name)
    if not domain:
        return []
    base = state.baseline
    if domain in base.domains:
        base.add_domain(domain, ts_ms)
        return []
    if base.learning or who.sensitivity.off:  # "off": still learned, never alarmed
        base.add_domain(domain, ts_ms)
        return []
    if base.is_flagged("domain", domain):
        return []
    label = names.label_of(domain)
    out: list[dict[str, Any]] = []
    own = frozenset(names.label_of(d) for d in base.domains)
    imitation = lookalike.check(label, own)
    if imitation is not None:
        base.flag("domain", domain, ts_ms)
        return [_lookalike(who, domain, name, imitation, base.domains, ts_ms, via)]
    if dga.burst_candidate(label):
        # Held apart (flagged, not learned) whether or not it alarms: machine-looking names
        # are never quietly made normal.
        base.flag("domain", domain, ts_ms)
        state.generated.append((ts_ms, domain))
        recent = window(state.generated, ts_ms, BURST_WINDOW_MS)
        if len(recent) >= BURST_NAMES:
            if not state.cooling("dga_burst", ts_ms, BURST_COOLDOWN_MS):
                return [_dga(who, recent, ts_ms, via, burst=True)]
            return []
        last_burst = state.cooldown.get("dga_burst")
        burst_recently = last_burst is not None and 0 <= ts_ms - last_burst < BURST_COOLDOWN_MS
        if dga.looks_generated(label) and not burst_recently:
            return [_dga(who, [domain], ts_ms, via, burst=False)]
        return []
    base.add_domain(domain, ts_ms)
    state.new_domains.append((ts_ms, domain))
    limit = max(
        who.sensitivity.new_domains_per_hour, base.tolerance.get("new_domains_per_hour", 0) + 1
    )
    if who.sensitivity.new_domains_per_hour:
        fresh = window(state.new_domains, ts_ms, HOUR_MS)
        if len(fresh) >= limit and not state.cooling("browsing", ts_ms, BROWSING_COOLDOWN_MS):
            out.append(_browsing(who, fresh, len(base.domains), ts_ms))
    return out


def _known_sample(domains: dict[str, list[int]], limit: int = 10) -> list[str]:
    return [d for d, _ in sorted(domains.items(), key=lambda kv: -kv[1][2])[:limit]]


def _lookalike(
    who: Who,
    domain: str,
    name: str,
    found: lookalike.Lookalike,
    known: dict[str, list[int]],
    ts_ms: int,
    via: str,
) -> dict[str, Any]:
    what = {
        "homoglyph": f"is written with letters from another alphabet so that it reads as "
        f"{found.reference!r}",
        "mixed_scripts": "mixes letters of different alphabets, a trick to imitate a known name",
        "character_swap": f"swaps letters for look-alike digits to read as {found.reference!r}",
        "typo": f"is one slip of the keyboard away from {found.reference!r}",
        "brand_combo": f"glues the brand {found.reference!r} to words like 'login' or 'secure'",
    }[found.technique]
    whose = "a name this device uses" if found.source == "device" else "a well-known brand"
    severity = "high" if found.technique in ("homoglyph", "mixed_scripts") else "medium"
    return make(
        who,
        "lookalike",
        severity,
        ts_ms,
        name,
        f"{who.name} {via} {name}, a domain it never used that {what} ({whose}). Look-alike "
        "domains are how phishing pages and malware pass for trusted sites: if nobody meant to "
        "go there, do not type a password on that page and check the device.",
        baseline={"known_domains": len(known), "most_used": _known_sample(known)},
        now={"domain": domain, "name": name, **found.as_dict()},
        learn={"domains": [domain]},
    )


def _dga(who: Who, domains: list[str], ts_ms: int, via: str, burst: bool) -> dict[str, Any]:
    scores = [dga.describe(names.label_of(d)) for d in domains[:20]]
    if burst:
        summary = (
            f"{who.name} {via} {len(domains)} new domains within "
            f"{BURST_WINDOW_MS // 60_000} minutes that look machine-made ({listing(domains, 3)}): "
            "random letters no person would choose. Malware generates names like these to find "
            "its command server; the device is likely infected. Check it with an up-to-date "
            "virus scanner or reset it."
        )
    else:
        summary = (
            f"{who.name} {via} {domains[0]}, a name that looks machine-made (random letters no "
            "person would choose). Malware generates names like this to find its command "
            "server; a single one can be an ad or tracking service, several are a warning."
        )
    return make(
        who,
        "dga",
        "high" if burst else "medium",
        ts_ms,
        domains[-1],
        summary,
        baseline={
            "real_names_score_above": dga.BURST_THRESHOLD if burst else dga.SINGLE_THRESHOLD,
            "note": "score: log-likelihood ratio of the name under English words vs chance",
        },
        now={"domains": domains[:50], "scores": scores, "burst": burst},
        learn={"domains": domains[:50]},
    )


def _browsing(who: Who, fresh: list[str], known: int, ts_ms: int) -> dict[str, Any]:
    return make(
        who,
        "browsing",
        "medium",
        ts_ms,
        fresh[-1],
        f"{who.name} contacted {len(fresh)} domains it never used within an hour "
        f"({listing(fresh)}). A {who.device_type} normally talks to the same few services; "
        "one that starts browsing may have been taken over (or someone installed new apps).",
        baseline={
            "known_domains": known,
            "allowed_new_per_hour": who.sensitivity.new_domains_per_hour,
        },
        now={"new_domains": fresh[:50], "count": len(fresh)},
        learn={"domains": fresh[:50], "tolerance": {"new_domains_per_hour": len(fresh)}},
    )
