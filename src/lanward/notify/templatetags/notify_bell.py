"""{% notify_bell %}: the bell in the console's header, with the unread count and the latest."""

from __future__ import annotations

from typing import Any

from django import template

from lanward.notify.models import Notification

register = template.Library()


@register.inclusion_tag("notify/bell.html", takes_context=True)
def notify_bell(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.has_perm("inventory.view_device"):
        return {"show": False}
    mine = Notification.objects.filter(recipient=user, in_app=True)
    unread = mine.filter(read_at__isnull=True)
    return {
        "show": True,
        "unread": unread.count(),
        "latest": list(unread[:5]),
        "csrf_token": context.get("csrf_token"),
        "here": request.get_full_path() if request is not None else "/",
    }
