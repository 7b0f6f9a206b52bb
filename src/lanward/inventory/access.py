"""Approve, block and unblock a device: from its page, its notification or a mail link.

Blocking pauses the device: the station's DNS answers it nothing, and in gateway mode its
traffic stops too (the enforcer's paused set). Every change is kept in the device's history.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from .models import Device, DeviceEvent

ACTIONS = {
    "approve": "Approve",
    "block": "Block",
    "unblock": "Unblock",
}


def set_access(device: Device, action: str, user: Any, via: str) -> str:
    """Do it; returns what happened in plain words (for the page's message)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; one of {', '.join(ACTIONS)}")
    with transaction.atomic():
        if action == "approve":
            Device.objects.filter(pk=device.pk).update(is_new=False, blocked=False)
            detail = f"approved by {user} {via}"
            said = f"{device.display_name} is approved: lanward treats it as a known device."
        elif action == "block":
            Device.objects.filter(pk=device.pk).update(is_new=False, blocked=True)
            detail = f"blocked by {user} {via}"
            said = (
                f"{device.display_name} is blocked: the station's DNS answers it nothing "
                "(within a minute), and in gateway mode its traffic stops. Unblock it from "
                "its page."
            )
        else:
            Device.objects.filter(pk=device.pk).update(blocked=False)
            detail = f"unblocked by {user} {via}"
            said = f"{device.display_name} is no longer blocked."
        DeviceEvent.objects.create(device=device, kind=DeviceEvent.Kind.EDITED, detail=detail[:255])
    return said
