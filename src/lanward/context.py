"""Template context: the signed-in navigation later apps slot into."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

# (label, url name, permission needed or ""). Later apps (licenses, threats, ...) add theirs here.
NAVIGATION: list[tuple[str, str, str]] = [
    ("Overview", "home", ""),
    ("Devices", "inventory:devices", "inventory.view_device"),
    ("Usage", "usage:overview", "inventory.view_device"),
    ("Members", "inventory:members", "inventory.view_device"),
    ("Web protection", "dnsfilter:overview", "inventory.view_device"),
    ("Alerts", "threats:alerts", "inventory.view_device"),
    ("Security check", "securitycheck:overview", "inventory.view_device"),
    ("Notifications", "notify:list", "inventory.view_device"),
    ("Licenses", "licensing:licenses", ""),
    ("Stations", "stations:stations", ""),
    ("Support", "support:tickets", ""),
    ("Privacy", "privacy:overview", "inventory.view_device"),
    ("Profile", "accounts:profile", ""),
    ("Security", "accounts:security", ""),
    ("Activity", "accounts:activity", ""),
]


def navigation(request: HttpRequest) -> dict:
    entries = []
    user = getattr(request, "user", None)
    for label, name, perm in NAVIGATION:
        if perm and not (user is not None and user.is_authenticated and user.has_perm(perm)):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        active = request.path == url if url == "/" else request.path.startswith(url)
        entries.append({"label": label, "url": url, "active": active})
    import lanward

    return {"nav_entries": entries, "LANWARD_VERSION": lanward.__version__}
