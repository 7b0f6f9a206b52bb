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
    }
