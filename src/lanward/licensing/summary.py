"""Protection status for the dashboard: stations online/offline, licenses and days left."""

from __future__ import annotations

from typing import Any

from .models import License


def protection_summary(user: Any) -> dict[str, Any]:
    from lanward.stations.models import Station

    licenses = list(License.objects.filter(owner=user).select_related("plan", "subscription"))
    usable = [lic for lic in licenses if lic.is_usable()]
    stations = list(Station.objects.filter(owner=user, removed_at__isnull=True))
    online = sum(1 for s in stations if s.is_online())
    soonest = min(usable, key=lambda lic: lic.ends_at, default=None)
    if not licenses:
        state, headline = "none", "No license yet: activate one to protect your home."
    elif not usable:
        state, headline = "expired", "Your license has expired: your home is not protected."
    elif stations and online < len(stations):
        offline = len(stations) - online
        state, headline = "warning", f"{offline} station{'s' if offline != 1 else ''} offline."
    elif not stations:
        state, headline = "warning", "Licensed, but no station is paired yet."
    else:
        state, headline = "ok", "Your home is protected."
    return {
        "state": state,
        "headline": headline,
        "licenses": licenses,
        "soonest": soonest,
        "stations": stations,
        "online": online,
        "offline": len(stations) - online,
    }
