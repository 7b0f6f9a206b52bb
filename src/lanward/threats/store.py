"""Saving the engine's alerts (the station's flush and `analyze --store` call this).

Repeats are folded: an alert like an open one of the same detector, device, source, destination
and program seen within `FOLD_WINDOW` adds to that row's count and moves its `last_time` instead
of adding a row, so a device beaconing all night is one line with a count, not a thousand.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import transaction

from lanward.inventory.models import Device

from .models import Alert

FOLD_WINDOW = timedelta(hours=24)


def _key(a: dict[str, Any] | Alert) -> tuple[str, str, str, str, str]:
    if isinstance(a, Alert):
        return (a.detector, a.src, a.dst, a.app, str(a.device_id or ""))
    return (
        str(a.get("detector", "")),
        str(a.get("src", ""))[:64],
        str(a.get("dst", ""))[:64],
        str(a.get("app", ""))[:64],
        str(a.get("_device_id") or ""),
    )


def _when(a: dict[str, Any]) -> datetime:
    return datetime.fromtimestamp(int(a.get("time") or 0) / 1000, UTC)


def _row(a: dict[str, Any]) -> Alert:
    kind = str(a.get("kind", ""))
    return Alert(
        kind=kind[:40],
        detector=str(a.get("detector", "") or kind)[:40],
        severity=a.get("severity", "info")
        if a.get("severity") in Alert.Severity.values
        else "info",
        time=_when(a),
        last_time=_when(a),
        device_id=a.get("_device_id"),
        src=str(a.get("src", ""))[:64],
        dst=str(a.get("dst", ""))[:64],
        app=str(a.get("app", ""))[:64],
        summary=str(a.get("summary", ""))[:500],
        evidence=a.get("evidence") or {},
        action=str(a.get("action", ""))[:200],
    )


def save_alerts(alerts: list[dict[str, Any]]) -> int:
    """Store alerts (and forget them from the caller's list). Returns how many were taken in."""
    if not alerts:
        return 0
    by_mac = dict(
        Device.objects.filter(mac__in={a.get("mac", "") for a in alerts}).values_list("mac", "pk")
    )
    for a in alerts:
        a["_device_id"] = by_mac.get(a.get("mac", ""))
    earliest = min(_when(a) for a in alerts) - FOLD_WINDOW
    with transaction.atomic():
        open_rows = {
            _key(row): row
            for row in Alert.objects.select_for_update()
            .filter(
                acknowledged=False,
                detector__in={str(a.get("detector", "")) for a in alerts},
                last_time__gte=earliest,
            )
            .order_by("time")
        }
        new_rows: dict[tuple[str, str, str, str, str], Alert] = {}
        changed: dict[int, Alert] = {}
        created: list[Alert] = []
        for a in alerts:
            key, when = _key(a), _when(a)
            row = open_rows.get(key) or new_rows.get(key)
            if row is not None and row.last_time and when - row.last_time <= FOLD_WINDOW:
                row.count += 1
                if when > row.last_time:
                    row.last_time = when
                    row.evidence = a.get("evidence") or row.evidence
                    row.summary = str(a.get("summary", ""))[:500] or row.summary
                if _rank(a.get("severity", "")) > _rank(row.severity):
                    row.severity = a["severity"]
                if a.get("action"):
                    row.action = str(a["action"])[:200]
                if row.pk:
                    changed[row.pk] = row
                continue
            new_rows[key] = _row(a)
            created.append(new_rows[key])
        Alert.objects.bulk_create(created)
        if changed:
            Alert.objects.bulk_update(
                list(changed.values()),
                ["count", "last_time", "evidence", "summary", "severity", "action"],
            )
    taken = len(alerts)
    alerts.clear()
    return taken


def _rank(severity: str) -> int:
    values = list(Alert.Severity.values)
    return values.index(severity) if severity in values else -1
