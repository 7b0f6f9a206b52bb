"""Usage queries and housekeeping.

Hourly rows are rolled into daily rows once they are older than LANWARD_USAGE_HOURLY_DAYS, so
at any time an hour lives in exactly one table and sums over both are exact.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from lanward.inventory.models import Device

from .models import FlowRecord, UsageDay, UsageHour

PERIODS = {
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "365d": timedelta(days=365),
}


@dataclass
class Period:
    key: str
    since: datetime
    until: datetime

    @property
    def label(self) -> str:
        return {
            "24h": "last 24 hours",
            "7d": "last 7 days",
            "30d": "last 30 days",
            "365d": "last year",
        }.get(self.key, f"{self.since:%Y-%m-%d} to {self.until:%Y-%m-%d}")


def period_from(key: str | None, now: datetime | None = None) -> Period:
    now = now or timezone.now()
    key = key if key in PERIODS else "7d"
    return Period(key, now - PERIODS[key], now)


def _filters(
    period: Period, device: Device | None = None, member_id: int | None = None
) -> tuple[Q, Q]:
    hour_q = Q(hour__gte=period.since, hour__lt=period.until)
    # Daily rows hold local dates (see rollup_and_prune and daily_series): compare local dates.
    since_day, until_day = timezone.localdate(period.since), timezone.localdate(period.until)
    day_q = Q(day__gte=since_day, day__lt=until_day + timedelta(days=1))
    if device is not None:
        hour_q &= Q(device=device)
        day_q &= Q(device=device)
    if member_id is not None:
        hour_q &= Q(device__owner_id=member_id)
        day_q &= Q(device__owner_id=member_id)
    return hour_q, day_q


def _sum_by(keys: list[str], period: Period, **filters: Any) -> list[dict[str, Any]]:
    hour_q, day_q = _filters(period, **filters)
    totals: dict[tuple[Any, ...], dict[str, Any]] = {}
    for model, q in ((UsageHour, hour_q), (UsageDay, day_q)):
        for row in (
            model.objects.filter(q)
            .values(*keys)
            .annotate(up=Sum("bytes_up"), down=Sum("bytes_down"), active=Sum("active_seconds"))
        ):
            key = tuple(row[k] for k in keys)
            acc = totals.setdefault(
                key, {k: row[k] for k in keys} | {"up": 0, "down": 0, "active": 0}
            )
            acc["up"] += row["up"] or 0
            acc["down"] += row["down"] or 0
            acc["active"] += row["active"] or 0
    out = list(totals.values())
    for row in out:
        row["total"] = row["up"] + row["down"]
    return sorted(out, key=lambda r: -r["total"])


def top_devices(
    period: Period, member_id: int | None = None, limit: int = 20
) -> list[dict[str, Any]]:
    rows = _sum_by(["device"], period, member_id=member_id)[:limit]
    devices = Device.objects.in_bulk([r["device"] for r in rows])
    for r in rows:
        r["device"] = devices.get(r["device"])
    return [r for r in rows if r["device"] is not None]


def top_apps(
    period: Period, device: Device | None = None, member_id: int | None = None, limit: int = 20
) -> list[dict[str, Any]]:
    return _sum_by(["app", "category"], period, device=device, member_id=member_id)[:limit]


def per_member(period: Period) -> list[dict[str, Any]]:
    return _sum_by(["device__owner", "device__owner__name"], period)


def daily_series(
    period: Period, device: Device | None = None, member_id: int | None = None
) -> list[dict[str, Any]]:
    hour_q, day_q = _filters(period, device=device, member_id=member_id)
    by_day: dict[date, dict[str, int]] = defaultdict(lambda: {"up": 0, "down": 0})
    for row in UsageHour.objects.filter(hour_q).values("hour", "bytes_up", "bytes_down"):
        d = timezone.localtime(row["hour"]).date()
        by_day[d]["up"] += row["bytes_up"]
        by_day[d]["down"] += row["bytes_down"]
    for row in UsageDay.objects.filter(day_q).values("day", "bytes_up", "bytes_down"):
        by_day[row["day"]]["up"] += row["bytes_up"]
        by_day[row["day"]]["down"] += row["bytes_down"]
    start = timezone.localtime(period.since).date()
    end = timezone.localtime(period.until).date()
    days = []
    cursor = start
    while cursor <= end and len(days) < 400:
        days.append({"day": cursor, **by_day.get(cursor, {"up": 0, "down": 0})})
        cursor += timedelta(days=1)
    return days


def export_rows(period: Period) -> list[dict[str, Any]]:
    rows = []
    for r in _sum_by(
        ["device__mac", "device__name", "device__hostname", "app", "category"], period
    ):
        rows.append(
            {
                "mac": r["device__mac"],
                "device": r["device__name"] or r["device__hostname"] or r["device__mac"],
                "app": r["app"],
                "category": r["category"],
                "bytes_up": r["up"],
                "bytes_down": r["down"],
                "active_seconds": r["active"],
            }
        )
    return rows


# --- housekeeping ---------------------------------------------------------------------------


def rollup_and_prune(
    now: datetime | None = None,
    hourly_days: int | None = None,
    daily_days: int | None = None,
    flow_hours: int | None = None,
) -> dict[str, int]:
    """Roll old hours into days, enforce retention and the row budget. Idempotent.

    The periods default to the station's settings; the retention job passes the household's
    (lanward.privacy.retention)."""
    now = now or timezone.now()
    hourly_days = hourly_days or settings.LANWARD_USAGE_HOURLY_DAYS
    daily_days = daily_days or settings.LANWARD_USAGE_DAILY_DAYS
    hours = settings.LANWARD_FLOW_RETENTION_HOURS if flow_hours is None else flow_hours
    stats = {"rolled_hours": 0, "deleted_days": 0, "deleted_for_budget": 0, "deleted_flows": 0}
    boundary = (now - timedelta(days=hourly_days)).replace(minute=0, second=0, microsecond=0)
    with transaction.atomic():
        old = UsageHour.objects.filter(hour__lt=boundary)
        for row in old.values(
            "device", "hour", "app", "category", "bytes_up", "bytes_down", "active_seconds"
        ):
            day = timezone.localtime(row["hour"]).date()
            updated = UsageDay.objects.filter(
                device_id=row["device"], day=day, app=row["app"]
            ).update(
                bytes_up=F("bytes_up") + row["bytes_up"],
                bytes_down=F("bytes_down") + row["bytes_down"],
                active_seconds=F("active_seconds") + row["active_seconds"],
            )
            if not updated:
                UsageDay.objects.create(
                    device_id=row["device"],
                    day=day,
                    app=row["app"],
                    category=row["category"],
                    bytes_up=row["bytes_up"],
                    bytes_down=row["bytes_down"],
                    active_seconds=row["active_seconds"],
                )
            stats["rolled_hours"] += 1
        old.delete()
    day_cutoff = (now - timedelta(days=daily_days)).date()
    stats["deleted_days"] = UsageDay.objects.filter(day__lt=day_cutoff).delete()[0]
    # The storage budget: drop the oldest rows (days first, then hours) beyond the maximum.
    budget = settings.LANWARD_USAGE_MAX_ROWS
    for model, field in ((UsageDay, "day"), (UsageHour, "hour")):
        excess = UsageDay.objects.count() + UsageHour.objects.count() - budget
        if excess > 0:
            ids = list(model.objects.order_by(field).values_list("pk", flat=True)[:excess])
            stats["deleted_for_budget"] += model.objects.filter(pk__in=ids).delete()[0]
    stats["deleted_flows"] = FlowRecord.objects.filter(
        first_seen__lt=now - timedelta(hours=hours)
    ).delete()[0]
    excess = FlowRecord.objects.count() - settings.LANWARD_FLOW_MAX_ROWS
    if excess > 0:
        ids = list(FlowRecord.objects.order_by("first_seen").values_list("pk", flat=True)[:excess])
        stats["deleted_flows"] += FlowRecord.objects.filter(pk__in=ids).delete()[0]
    return stats
