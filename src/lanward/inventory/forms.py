from __future__ import annotations

import io
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.template.defaultfilters import filesizeformat

from .models import DEVICE_TYPES, Device, Member

PICTURE_SIZE = 256


class DeviceForm(forms.ModelForm):
    class Meta:
        model = Device
        fields = ["name", "user_type", "user_brand", "user_model", "owner"]
        labels = {
            "name": "Name",
            "user_type": "Type",
            "user_brand": "Brand",
            "user_model": "Model",
            "owner": "Owner",
        }
        help_texts = {
            "name": "What you call it, e.g. “Kitchen speaker”.",
            "user_type": "Leave empty to use what lanward recognized.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        recognized = dict(DEVICE_TYPES).get(self.instance.type, self.instance.type)
        self.fields["user_type"].choices = [("", f"Recognized: {recognized}"), *DEVICE_TYPES]
        self.fields["user_brand"].widget.attrs["placeholder"] = self.instance.brand or ""
        self.fields["user_model"].widget.attrs["placeholder"] = self.instance.model or ""
        self.fields["owner"].empty_label = "Nobody"


class MemberForm(forms.ModelForm):
    devices = forms.ModelMultipleChoiceField(
        queryset=Device.objects.all().order_by("name", "hostname", "mac"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The devices this person uses.",
    )
    remove_picture = forms.BooleanField(required=False, label="Remove the picture")

    class Meta:
        model = Member
        fields = ["name", "picture"]
        help_texts = {"picture": "JPEG, PNG, GIF or WebP, up to 5 MB. It is resized to 256×256."}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["devices"].initial = list(
                self.instance.devices.values_list("pk", flat=True)
            )
        else:
            del self.fields["remove_picture"]
        self._old_picture = self.instance.picture.name or ""
        self.fields["picture"].widget = forms.FileInput(
            attrs={"accept": "image/jpeg,image/png,image/gif,image/webp"}
        )

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("Enter a name.")
        return name

    def clean_picture(self) -> Any:
        picture = self.cleaned_data.get("picture")
        if not picture or not hasattr(picture, "size") or picture == self.instance.picture:
            return picture
        if picture.size > settings.LANWARD_MEMBER_PICTURE_MAX_BYTES:
            raise forms.ValidationError(
                f"This picture is {filesizeformat(picture.size)}; use one under "
                f"{filesizeformat(settings.LANWARD_MEMBER_PICTURE_MAX_BYTES)}."
            )
        from PIL import Image, ImageOps, UnidentifiedImageError

        try:
            picture.seek(0)
            with Image.open(picture) as img:
                if img.format not in {"JPEG", "PNG", "GIF", "WEBP"}:
                    raise forms.ValidationError("Use a JPEG, PNG, GIF or WebP picture.")
                if img.width * img.height > 40_000_000:
                    raise forms.ValidationError(
                        "This picture has too many pixels; use a smaller one."
                    )
                img.load()
                # Phones store portrait photos sideways plus an EXIF orientation; the re-encoding
                # below drops EXIF, so turn the pixels upright first.
                img = ImageOps.exif_transpose(img).convert("RGB")
                side = min(img.size)
                left, top = (img.width - side) // 2, (img.height - side) // 2
                img = img.crop((left, top, left + side, top + side)).resize(
                    (PICTURE_SIZE, PICTURE_SIZE)
                )
                out = io.BytesIO()
                img.save(out, "JPEG", quality=85)  # re-encoding also drops EXIF (e.g. location)
        except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
            raise forms.ValidationError(
                "This file is not a picture we can read. Use a JPEG or PNG."
            ) from None
        out.seek(0)
        return InMemoryUploadedFile(
            out, "picture", "member.jpg", "image/jpeg", out.getbuffer().nbytes, None
        )

    def save(self, commit: bool = True) -> Member:
        member = super().save(commit=False)
        if self.cleaned_data.get("remove_picture"):
            member.picture.delete(save=False)
            member.picture = ""
        if commit:
            member.save()
            if self._old_picture and self._old_picture != member.picture.name:
                member.picture.storage.delete(self._old_picture)  # replaced: don't keep the old
            chosen = list(self.cleaned_data.get("devices") or [])
            Device.objects.filter(owner=member).exclude(pk__in=[d.pk for d in chosen]).update(
                owner=None
            )
            Device.objects.filter(pk__in=[d.pk for d in chosen]).update(owner=member)
        return member
