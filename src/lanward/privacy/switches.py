"""What happens at once when a collection is switched off in Privacy settings.

Features read the settings themselves (see `read_by` in the registry); this only removes what
a switched-off collection had kept, so "off" means gone, not just "no more".
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from .models import PrivacySettings


def apply(before: dict[str, Any], prefs: PrivacySettings) -> list[str]:
    """Notes for the person about what was removed."""
    notes = []
    if before.get("device_evidence") and not prefs.device_evidence:
        from lanward.inventory.models import Device
        from lanward.inventory.store import EVIDENCE_FIELDS

        n = Device.objects.update(**EVIDENCE_FIELDS)
        notes.append(f"Recognition evidence removed from {n} device(s).")
    if before.get("flow_records") and not prefs.flow_records:
        from lanward.usage.models import FlowRecord

        n = FlowRecord.objects.all().delete()[0]
        notes.append(f"{n} raw connection record(s) deleted.")
    if before.get("automatic_scans") and not prefs.automatic_scans:
        from lanward.securitycheck.models import ScanRun

        n = ScanRun.objects.filter(
            status=ScanRun.Status.QUEUED,
            trigger__in=(ScanRun.Trigger.SCHEDULE, ScanRun.Trigger.NEW_DEVICE),
        ).update(status=ScanRun.Status.CANCELLED, cancel_requested=True, finished=timezone.now())
        n += ScanRun.objects.filter(
            status=ScanRun.Status.RUNNING,
            trigger__in=(ScanRun.Trigger.SCHEDULE, ScanRun.Trigger.NEW_DEVICE),
        ).update(cancel_requested=True)
        if n:
            notes.append(f"{n} automatic security check(s) cancelled.")
    return notes
