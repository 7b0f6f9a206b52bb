from __future__ import annotations

from pathlib import PurePath
from typing import Any

from django import forms
from django.conf import settings

# Extension -> magic bytes the file must start with ("" = text, checked as UTF-8).
ALLOWED = {
    ".png": b"\x89PNG",
    ".jpg": b"\xff\xd8\xff",
    ".jpeg": b"\xff\xd8\xff",
    ".pdf": b"%PDF",
    ".zip": b"PK\x03\x04",
    ".gz": b"\x1f\x8b",
    ".txt": b"",
    ".log": b"",
}


class TicketForm(forms.Form):
    subject = forms.CharField(max_length=120, label="Subject")
    body = forms.CharField(
        label="Message", max_length=10_000, widget=forms.Textarea(attrs={"rows": 6})
    )
    attachment = forms.FileField(
        required=False,
        label="Attachment (optional)",
        help_text="A screenshot, PDF, log or zip file, up to 5 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(ALLOWED)}),
    )

    def clean_attachment(self) -> Any:
        f = self.cleaned_data.get("attachment")
        if not f:
            return f
        if f.size > settings.LANWARD_TICKET_ATTACHMENT_MAX_BYTES:
            raise forms.ValidationError(
                f"This file is too big ({f.size // 1024} KB). Attach at most "
                f"{settings.LANWARD_TICKET_ATTACHMENT_MAX_BYTES // 1024 // 1024} MB."
            )
        ext = PurePath(f.name).suffix.lower()
        if ext not in ALLOWED:
            raise forms.ValidationError(
                f"{ext or 'This kind of file'} can't be attached. Use PNG, JPEG, PDF, TXT, LOG, ZIP or GZ."
            )
        head = f.read(4096)
        f.seek(0)
        magic = ALLOWED[ext]
        if magic and not head.startswith(magic):
            raise forms.ValidationError(
                f"This file's content is not really {ext[1:].upper()}. Attach the original file."
            )
        if not magic:
            try:
                head.decode("utf-8")
            except UnicodeDecodeError as exc:
                # Only the last bytes of a full 4 KB read may be a character cut in two.
                if len(head) < 4096 or exc.start < len(head) - 3:
                    raise forms.ValidationError("This text file is not plain UTF-8 text.") from None
        return f


class ReplyForm(forms.Form):
    body = forms.CharField(
        label="Your reply", max_length=10_000, widget=forms.Textarea(attrs={"rows": 4})
    )
    attachment = TicketForm.base_fields["attachment"]

    clean_attachment = TicketForm.clean_attachment
