"""Precision and recall of the smart alerts on a labelled set of generated household weeks.

    .venv/bin/python bench/smart_alerts.py [--households 6] [--days 14] [--learning-days 7]
                                           [--per-kind 2] [--seed 1] [--show-false]

For each household (seeds seed, seed+1, ...) it generates `--days` days of normal life of five
devices (lanward.demo.household: laptop, phone, camera, smart plug, TV), injects `--per-kind`
incidents of each kind after the learning period (lanward.demo.incidents: beaconing,
exfiltration, DGA lookups, with their ground truth), and runs the whole engine over the events
in time order (every detector, device recognition from DHCP included).

An anomaly alert is true when it is about an injected incident: the same device, raised between
the incident's start and two hours after its end, and naming one of its destinations or being
the check for its kind (beacon -> "beacon", exfiltration -> "upload", dga -> "dga"). Every other
anomaly alert is false. Recall of a kind: the share of its incidents that the check for that
kind reported. It prints both per kind and overall, the alerts by check, what was missed, and
with `--show-false` every false alert's summary. Everything follows from `--seed`.

Exit status 0 when recall >= 0.9 for beaconing and exfiltration and precision >= 0.9 overall
(the targets of issue 8), 1 otherwise.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from lanward.demo.household import normal_weeks  # noqa: E402
from lanward.demo.incidents import KINDS, Incident, inject  # noqa: E402
from lanward.engine.detect.anomaly import names  # noqa: E402
from lanward.engine.events import DhcpSeen, Flow  # noqa: E402
from lanward.engine.pipeline import Engine, EngineConfig  # noqa: E402

CHECK_OF = {"beacon": "beacon", "exfiltration": "upload", "dga": "dga"}
SLACK_MS = 2 * 3_600_000


def strings(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value, names.registered(value) or value}
    if isinstance(value, dict):
        return set().union(*(strings(v) for v in value.values())) if value else set()
    if isinstance(value, list | tuple):
        return set().union(*(strings(v) for v in value)) if value else set()
    return set()


def matches(alert: dict[str, Any], incident: Incident) -> bool:
    if alert["mac"] != incident.mac:
        return False
    if not incident.start_ms - 60_000 <= alert["time"] <= incident.end_ms + SLACK_MS:
        return False
    named = strings(alert["dst"]) | strings(alert["evidence"].get("now", {}))
    wanted = strings(list(incident.destinations))
    return bool(named & wanted) or alert["evidence"]["check"] == CHECK_OF[incident.kind]


def run_household(seed: int, days: int, learning_days: float, per_kind: int) -> dict[str, Any]:
    home = normal_weeks(seed, days)
    incidents = inject(home, learning_days, per_kind)
    engine = Engine(EngineConfig(anomaly_learning_days=learning_days))
    events = home.sorted_events()
    for event in events:
        if isinstance(event, Flow):
            engine.flow(event)
        elif isinstance(event, DhcpSeen):
            engine.discovery(event)
        else:
            engine.app_event(event)
    alerts = [a for a in engine.alerts if a["kind"] == "anomaly"]
    others = Counter(a["detector"] for a in engine.alerts if a["kind"] != "anomaly")
    return {
        "events": len(events),
        "incidents": incidents,
        "alerts": alerts,
        "others": others,
    }


def ratio(a: int, b: int) -> str:
    return f"{a / b:.3f} ({a}/{b})" if b else "n/a (0/0)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=6)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--learning-days", type=float, default=7.0)
    parser.add_argument("--per-kind", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--show-false", action="store_true")
    args = parser.parse_args()
    if args.days <= args.learning_days:
        print("--days must be more than --learning-days: incidents come after learning")
        return 2
    started = time.monotonic()
    incidents: list[Incident] = []
    alerts: list[dict[str, Any]] = []
    events = 0
    others: Counter[str] = Counter()
    for n in range(args.households):
        out = run_household(args.seed + n, args.days, args.learning_days, args.per_kind)
        incidents += out["incidents"]
        alerts += out["alerts"]
        events += out["events"]
        others += out["others"]
    elapsed = time.monotonic() - started
    true = [a for a in alerts if any(matches(a, i) for i in incidents)]
    false = [a for a in alerts if not any(matches(a, i) for i in incidents)]
    print(
        f"{args.households} households x {args.days} days (learning {args.learning_days:g}), "
        f"seed {args.seed}: {events} events, {len(incidents)} incidents, "
        f"{len(alerts)} anomaly alerts, {elapsed:.1f} s"
    )
    print(f"{'kind':<14} {'recall':<18} {'precision':<18}")
    recalls = {}
    for kind in KINDS:
        mine = [i for i in incidents if i.kind == kind]
        found = [
            i
            for i in mine
            if any(matches(a, i) and a["evidence"]["check"] == CHECK_OF[kind] for a in alerts)
        ]
        raised = [a for a in alerts if a["evidence"]["check"] == CHECK_OF[kind]]
        right = [a for a in raised if any(matches(a, i) for i in incidents)]
        recalls[kind] = len(found) / len(mine) if mine else 1.0
        print(f"{kind:<14} {ratio(len(found), len(mine)):<18} {ratio(len(right), len(raised)):<18}")
    precision = len(true) / len(alerts) if alerts else 1.0
    detected = sum(
        any(matches(a, i) and a["evidence"]["check"] == CHECK_OF[i.kind] for a in alerts)
        for i in incidents
    )
    print(
        f"{'overall':<14} {ratio(detected, len(incidents)):<18} {ratio(len(true), len(alerts)):<18}"
    )
    print("anomaly alerts by check:", dict(Counter(a["evidence"]["check"] for a in alerts)))
    print("false alerts by check:", dict(Counter(a["evidence"]["check"] for a in false)))
    if others:
        print("other detectors' alerts (not scored):", dict(others))
    for i in incidents:
        if not any(matches(a, i) and a["evidence"]["check"] == CHECK_OF[i.kind] for a in alerts):
            detail = {k: v for k, v in i.as_dict().items() if k not in ("mac", "destinations")}
            print(f"missed: {detail} -> {list(i.destinations)[:3]}")
    if args.show_false:
        for a in false:
            print(f"false: [{a['evidence']['device_type']}] {a['summary']}")
    ok = recalls["beacon"] >= 0.9 and recalls["exfiltration"] >= 0.9 and precision >= 0.9
    print(
        "targets (recall >= 0.9 beacon and exfiltration, precision >= 0.9):",
        "met" if ok else "NOT met",
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
