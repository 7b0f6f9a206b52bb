from __future__ import annotations

from typing import Any

from django import forms

from .models import ThreatFeed

MAX_UPLOAD = 50 * 1024 * 1024


class FeedForm(forms.ModelForm):
    upload = forms.FileField(
        required=False,
        label="Or upload a file",
        help_text="an indicator list, hosts file, abuse.ch CSV, STIX 2.1 JSON or a .rules file; "
        "up to 50 MB",
    )

    class Meta:
        model = ThreatFeed
        fields = ["name", "kind", "source"]
        labels = {"source": "Feed URL", "kind": "What it holds"}
        help_texts = {"source": "An https:// address of a feed that is kept up to date."}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].required = False

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        source, upload = (data.get("source") or "").strip(), data.get("upload")
        if not source and not upload:
            self.add_error("source", "Enter a feed URL or upload a file.")
        elif source and not source.startswith(("http://", "https://")):
            self.add_error("source", "A feed address starts with https:// (or http://).")
        if upload and upload.size > MAX_UPLOAD:
            self.add_error("upload", "This file is over 50 MB; split it or use a URL.")
        return data
