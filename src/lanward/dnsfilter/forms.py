from __future__ import annotations

from typing import Any

from django import forms

from lanward.engine.dns.lists import normalize_domain
from lanward.engine.dns.policy import CATEGORIES

from .models import CATEGORY_CHOICES, BlockListSource, DevicePolicy, MemberPolicy


class ListForm(forms.ModelForm):
    upload = forms.FileField(
        required=False,
        label="Or upload a list file",
        help_text="hosts, plain domains, AdBlock, RPZ or JSON; up to 50 MB",
    )

    class Meta:
        model = BlockListSource
        fields = ["name", "source", "category"]
        labels = {"source": "List URL"}
        help_texts = {"source": "An https:// address of a list that is kept up to date."}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].required = False

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        source, upload = (data.get("source") or "").strip(), data.get("upload")
        if not source and not upload:
            self.add_error("source", "Enter a list URL or upload a file.")
        elif source and not source.startswith(("http://", "https://")):
            self.add_error("source", "A list address starts with https:// (or http://).")
        if upload and upload.size > 50 * 1024 * 1024:
            self.add_error("upload", "This file is over 50 MB; split it or use a URL.")
        return data


class AllowForm(forms.Form):
    domain = forms.CharField(
        label="Domain to allow", max_length=253, help_text="Its subdomains are allowed too."
    )
    device = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="For",
        empty_label="Every device",
        help_text="Allow it only on one device, e.g. a work laptop.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from lanward.inventory.models import Device

        super().__init__(*args, **kwargs)
        self.fields["device"].queryset = Device.objects.order_by("name", "hostname", "mac")  # type: ignore[attr-defined]

    def clean_domain(self) -> str:
        domain = normalize_domain(self.cleaned_data["domain"].strip().removeprefix("*."))
        if domain is None:
            raise forms.ValidationError(
                "That is not a domain name; enter something like example.com."
            )
        return domain


class LookupForm(forms.Form):
    domain = forms.CharField(label="Why is this blocked?", max_length=253)

    def clean_domain(self) -> str:
        raw = self.cleaned_data["domain"].strip()
        raw = raw.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
        domain = normalize_domain(raw)
        if domain is None:
            raise forms.ValidationError(
                "Enter a domain name like example.com, or paste the address."
            )
        return domain


class MemberPolicyForm(forms.ModelForm):
    blocked_categories = forms.MultipleChoiceField(
        choices=CATEGORY_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Block these kinds of sites",
    )

    class Meta:
        model = MemberPolicy
        fields = ["blocked_categories", "safe_search", "privacy"]
        labels = {
            "privacy": "What the query log keeps for this person",
            "safe_search": "Enforce safe search",
        }

    def clean_blocked_categories(self) -> list[str]:
        return [c for c in self.cleaned_data["blocked_categories"] if c in CATEGORIES]


class DevicePolicyForm(forms.ModelForm):
    blocked_categories = forms.MultipleChoiceField(
        choices=CATEGORY_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Block these kinds of sites on this device",
    )
    use_owner = forms.BooleanField(required=False, label="Use its owner's settings instead")

    class Meta:
        model = DevicePolicy
        fields = ["blocked_categories"]

    def clean_blocked_categories(self) -> list[str]:
        return [c for c in self.cleaned_data["blocked_categories"] if c in CATEGORIES]
