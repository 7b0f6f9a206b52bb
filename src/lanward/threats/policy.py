"""The owner's decisions as the engine and the enforcer take them: plain data, refreshed often.

`current_policy()` reads the allowances and approvals that are in force now:

    {"remote_allowed": {mac: {app: until_ms or 0}}, "router_approved": {mac: until_ms or 0}}

0 means for good. The station hands it to `Engine.update_policy` (and in gateway mode to the
enforcer) every few seconds, so a change in the console applies without a restart.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q
from django.utils import timezone

from .models import RemoteAccessAllowance, RouterApproval


def _ms(when: datetime | None) -> int:
    return int(when.timestamp() * 1000) if when is not None else 0


def current_policy() -> dict[str, Any]:
    now = timezone.now()
    live = Q(until__isnull=True) | Q(until__gt=now)
    remote: dict[str, dict[str, int]] = {}
    for mac, app, until in RemoteAccessAllowance.objects.filter(live).values_list(
        "device__mac", "app", "until"
    ):
        remote.setdefault(mac.lower(), {})[app] = _ms(until)
    router = {
        mac.lower(): _ms(until)
        for mac, until in RouterApproval.objects.filter(live).values_list("device__mac", "until")
    }
    return {"remote_allowed": remote, "router_approved": router}
