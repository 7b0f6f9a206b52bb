"""What happens at once when a collection is switched off in Privacy settings.

Features read the settings themselves (see `read_by` in the registry); this only removes what
a switched-off collection had kept, so "off" means gone, not just "no more".
"""

from __future__ import annotations

from typing import Any

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
        from lanward.securitycheck.services import cancel_automatic

        n = cancel_automatic()
        if n:
            notes.append(f"{n} automatic security check(s) cancelled.")
    return notes
