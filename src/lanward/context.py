"""Template context: the signed-in navigation later apps slot into."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

# (label, url name). Later apps (licenses, devices, usage, threats) append their entry here.
NAVIGATION: list[tuple[str, str]] = [
    ("Overview", "home"),
    ("Devices", "inventory:devices"),
    ("Usage", "usage:overview"),
    ("Members", "inventory:members"),
    ("Profile", "accounts:profile"),
    ("Security", "accounts:security"),
    ("Activity", "accounts:activity"),
]


def navigation(request: HttpRequest) -> dict:
    entries = []
    for label, name in NAVIGATION:
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        active = request.path == url if url == "/" else request.path.startswith(url)
        entries.append({"label": label, "url": url, "active": active})
    import lanward

    return {"nav_entries": entries, "LANWARD_VERSION": lanward.__version__}
