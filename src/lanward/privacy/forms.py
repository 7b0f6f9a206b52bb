"""Forms of the privacy pages."""

from __future__ import annotations

from typing import Any

from django import forms

from lanward.accounts.forms import DeleteAccountForm

from . import registry
from .models import PrivacySettings

COLLECT = (
    "usage_metering",
    "flow_records",
    "device_evidence",
    "smart_alerts",
    "automatic_scans",
    "dns_log_level",
)
LEAVE = ("blocklist_downloads", "notify_email", "notify_webhooks")
KEEP = (
    "activity_days",
    "dns_log_days",
    "usage_hourly_days",
    "usage_daily_days",
    "flow_hours",
    "alert_days",
    "device_event_days",
    "notice_days",
    "notification_days",
    "finding_days",
    "outbox_days",
    "forget_devices_days",
)
GROUPS = (
    ("What the station collects", COLLECT),
    ("What may leave the station", LEAVE),
    ("How long data is kept", KEEP),
)


def switch_costs() -> dict[str, str]:
    """PrivacySettings field -> what switching it off costs (from the registry)."""
    return {s.setting: s.costs for f in registry.FEATURES for s in f.switches if s.setting}


class PrivacySettingsForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = PrivacySettings
        fields = [*COLLECT, *LEAVE, *KEEP]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, cost in switch_costs().items():
            if name in self.fields:
                field = self.fields[name]
                field.help_text = f"{field.help_text} Off: {cost}."

    def groups(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(title, [self[name] for name in names]) for title, names in GROUPS]


class EraseHouseholdForm(DeleteAccountForm):
    """Your password (counted toward the lockout, like any sign-in) and a confirmation."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["confirm"].label = (
            "I understand that all of the household's devices, members, usage, DNS log and "
            "alerts are deleted for good."
        )


class BundleTicketForm(forms.Form):
    subject = forms.CharField(max_length=120, initial="Troubleshooting logs")
    body = forms.CharField(
        label="What went wrong?",
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
