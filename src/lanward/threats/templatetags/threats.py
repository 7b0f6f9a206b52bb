"""`{% alerts_panel device %}`: the device page's latest alerts about it."""

from __future__ import annotations

from typing import Any

from django import template

from lanward.threats.models import Alert

register = template.Library()

SHOWN = 5


@register.inclusion_tag("threats/device_panel.html")
def alerts_panel(device: Any) -> dict[str, Any]:
    about = Alert.objects.filter(device=device)
    open_alerts = list(about.filter(acknowledged=False).order_by("-time")[: SHOWN + 1])
    return {
        "device": device,
        "alerts": open_alerts[:SHOWN],
        "more": open_alerts[SHOWN:] != [],
        "any": bool(open_alerts) or about.exists(),
    }
