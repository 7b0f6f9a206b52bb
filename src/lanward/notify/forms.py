from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from lanward.lib import webhook

from .models import CHOSEN_KINDS, KINDS, RULE_CHOICES, Channel, Preferences

WEEKDAYS = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]


class PreferencesForm(forms.ModelForm):
    quiet_start = forms.TimeField(
        required=False,
        label="Quiet from",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text="No email or webhook from this time (critical ones still go out).",
    )
    quiet_end = forms.TimeField(
        required=False,
        label="Quiet until",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text="What waited is sent then. Leave both empty for no quiet hours.",
    )
    digest_hour = forms.TypedChoiceField(
        label="Digest time",
        choices=[(h, f"{h:02d}:00") for h in range(24)],
        coerce=int,
    )
    digest_weekday = forms.TypedChoiceField(label="Weekly digest on", choices=WEEKDAYS, coerce=int)

    class Meta:
        model = Preferences
        fields = ["quiet_start", "quiet_end", "digest", "digest_hour", "digest_weekday"]
        labels = {"digest": "Email"}
        help_texts = {"digest": "Critical ones are always mailed right away."}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("quiet_start"), data.get("quiet_end")
        if (start is None) != (end is None):
            missing = "quiet_end" if end is None else "quiet_start"
            self.add_error(missing, "Set both times, or leave both empty for no quiet hours.")
        elif start is not None and start == end:
            self.add_error("quiet_end", "Quiet hours need an end different from their start.")
        return data


class RulesForm(forms.Form):
    """For one channel: the lowest severity it gets, per kind."""

    def __init__(self, *args: Any, channel: Channel, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", f"ch{channel.pk}")
        super().__init__(*args, **kwargs)
        self.channel = channel
        for kind in CHOSEN_KINDS:
            self.fields[kind] = forms.ChoiceField(
                label=KINDS[kind], choices=RULE_CHOICES, initial=channel.rule(kind)
            )
        if channel.type == Channel.Type.EMAIL:
            self.fields["address"] = forms.EmailField(
                required=False,
                label="Send to",
                initial=channel.address,
                help_text=f"Leave empty for your sign-in address ({channel.owner}).",
            )

    def save(self) -> Channel:
        self.channel.rules = {kind: self.cleaned_data[kind] for kind in CHOSEN_KINDS}
        fields = ["rules"]
        if "address" in self.cleaned_data:
            self.channel.address = self.cleaned_data["address"] or ""
            fields.append("address")
        self.channel.save(update_fields=fields)
        return self.channel


class WebhookForm(forms.Form):
    name = forms.CharField(
        max_length=100, label="Name", help_text="So you know which one it is, e.g. Home Assistant."
    )
    url = forms.CharField(
        max_length=500,
        label="Webhook URL",
        widget=forms.URLInput,
        help_text="lanward POSTs JSON here, signed (Standard Webhooks). An internet address; "
        "home network addresses only when the station allows them.",
    )

    def clean_url(self) -> str:
        url = self.cleaned_data["url"].strip()
        try:
            nets = webhook.parse_networks(settings.LANWARD_WEBHOOK_ALLOWED_NETS)
            webhook.check_target(url, nets)
        except ValueError as exc:  # TargetError, or a bad LANWARD_WEBHOOK_ALLOWED_NETS
            raise forms.ValidationError(str(exc)) from exc
        return url
