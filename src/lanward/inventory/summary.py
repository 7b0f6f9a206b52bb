"""The station at a glance, for the overview page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from lanward.usage import services as usage

from .models import Device, StationNotice


def station_summary() -> dict[str, Any]:
    cutoff = timezone.now() - timedelta(seconds=settings.LANWARD_OFFLINE_AFTER_SECONDS)
    period = usage.period_from("24h")
    return {
        "devices": Device.objects.count(),
        "online": Device.objects.filter(last_seen__gte=cutoff).count(),
        "new": Device.objects.filter(is_new=True).order_by("-first_seen")[:5],
        "new_count": Device.objects.filter(is_new=True).count(),
        "top_apps": usage.top_apps(period, limit=5),
        "top_devices": usage.top_devices(period, limit=5),
        "notices": StationNotice.objects.all()[:3],
        "protection": protection_at_a_glance(),
    }


def protection_at_a_glance() -> list[dict[str, Any]]:
    """One line per protection that has something to say: alerts waiting for a look, open
    security-check findings, dangerous lookups blocked. Each: what, how bad, where to look."""
    from django.apps import apps
    from django.db.models import Count, Q
    from django.urls import reverse

    from lanward.severity import Severity

    rank = {s: i for i, s in enumerate(Severity.values)}
    lines: list[dict[str, Any]] = []
    now = timezone.now()
    if apps.is_installed("lanward.threats"):
        from lanward.threats.models import Alert

        week = now - timedelta(days=7)
        waiting = Alert.objects.filter(
            Q(time__gte=week) | Q(last_time__gte=week), acknowledged=False
        )
        by = dict(waiting.values_list("severity").annotate(n=Count("id")).order_by())
        serious = by.get("critical", 0) + by.get("high", 0)
        total = sum(by.values())
        lines.append(
            {
                "what": "Alerts",
                "text": (
                    f"{total} in the last 7 days waiting for a look"
                    + (f", {serious} of them high or critical" if serious else "")
                    if total
                    else "nothing unusual in the last 7 days"
                ),
                "state": "bad" if serious else ("warn" if total else "ok"),
                "url": reverse("threats:alerts") + ("?open=1" if total else ""),
            }
        )
    if apps.is_installed("lanward.securitycheck"):
        from lanward.securitycheck.models import Finding, ScanRun

        by = dict(
            Finding.objects.filter(fixed_at__isnull=True)
            .values_list("severity")
            .annotate(n=Count("id"))
            .order_by()
        )
        total = sum(by.values())
        worst = max(by, key=lambda s: rank.get(s, 0)) if by else ""
        last = ScanRun.objects.filter(status=ScanRun.Status.DONE).order_by("-finished").first()
        checked = f"last check {last.finished:%b %-d}" if last and last.finished else "no check yet"
        lines.append(
            {
                "what": "Security check",
                "text": (
                    f"{total} problem{'s' if total != 1 else ''} to fix (worst: {worst}) · {checked}"
                    if total
                    else f"no open problems · {checked}"
                ),
                "state": (
                    "bad"
                    if worst in ("critical", "high")
                    else ("warn" if total or last is None else "ok")
                ),
                "url": reverse("securitycheck:overview"),
            }
        )
    if apps.is_installed("lanward.dnsfilter"):
        from lanward.dnsfilter.models import QueryLog

        day = QueryLog.objects.filter(time__gte=now - timedelta(hours=24)).aggregate(
            total=Count("id"), blocked=Count("id", filter=~Q(action__in=["allowed", "failed"]))
        )
        if day["total"]:
            lines.append(
                {
                    "what": "Web protection",
                    "text": f"{day['blocked']} of {day['total']} lookups blocked in the last "
                    "24 hours",
                    "state": "ok",
                    "url": reverse("dnsfilter:overview"),
                }
            )
    return lines
