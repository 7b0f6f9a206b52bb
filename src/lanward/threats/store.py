"""Saving the engine's alerts (the station's flush and `analyze --store` call this)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from lanward.inventory.models import Device

from .models import Alert


def save_alerts(alerts: list[dict[str, Any]]) -> int:
    """Store alerts (and forget them from the caller's list). Returns how many were stored."""
    if not alerts:
        return 0
    by_mac = dict(
        Device.objects.filter(mac__in={a.get("mac", "") for a in alerts}).values_list("mac", "pk")
    )
    rows = [
        Alert(
            kind=str(a.get("kind", ""))[:40],
            severity=a.get("severity", "info")
            if a.get("severity") in Alert.Severity.values
            else "info",
            time=datetime.fromtimestamp(int(a.get("time") or 0) / 1000, UTC),
            device_id=by_mac.get(a.get("mac", "")),
            src=str(a.get("src", ""))[:64],
            dst=str(a.get("dst", ""))[:64],
            app=str(a.get("app", ""))[:64],
            summary=str(a.get("summary", ""))[:500],
            evidence=a.get("evidence") or {},
        )
        for a in alerts
    ]
    Alert.objects.bulk_create(rows)
    alerts.clear()
    return len(rows)
