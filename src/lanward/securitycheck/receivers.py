"""A new device gets a security check of its own (queued for the job runner, rate-limited)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from lanward.inventory.models import Device


@receiver(post_save, sender=Device, dispatch_uid="securitycheck-new-device")
def scan_new_device(
    sender: Any, instance: Device, created: bool, raw: bool = False, **kw: Any
) -> None:
    if not created or raw:
        return
    from .services import queue_new_device

    queue_new_device(instance)
