from __future__ import annotations

from django import forms

from .models import Plan


class ActivateForm(forms.Form):
    code = forms.CharField(
        label="Activation code",
        max_length=40,
        help_text="20 characters, e.g. ABCDE-12345-FGHJK-67890. Hyphens and case don't matter.",
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}
        ),
    )


class RecoverEmailForm(forms.Form):
    code = forms.CharField(
        label="An activation code you used",
        max_length=40,
        help_text="From your receipt, card or confirmation mail.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class UpgradeForm(forms.Form):
    plan = forms.ModelChoiceField(queryset=Plan.objects.none(), label="New plan", empty_label=None)

    def __init__(self, *args: object, current: Plan, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["plan"].queryset = (
            Plan.objects.filter(active=True, renewable=True)
            .exclude(pk=current.pk)
            .exclude(seats__lte=current.seats, duration_days__lte=current.duration_days)
        )
