"""The device and member forms: member pictures (re-encoded, EXIF dropped) and device owners."""

from __future__ import annotations

import io
import random
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat
from PIL import ExifTags, Image

from lanward.inventory.forms import DeviceForm, MemberForm
from lanward.inventory.models import Device, Member
from tests.cast import make_device

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _uploads(media_root):
    """Every test here may save a picture: never into the real data directory."""


def image_bytes(fmt="PNG", size=(300, 200), color="red", exif=None, mode="RGB"):
    out = io.BytesIO()
    extra = {"exif": exif} if exif is not None else {}
    Image.new(mode, size, color).save(out, fmt, **extra)
    return out.getvalue()


def upload(content, name="me.png", content_type="image/png"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def gps_exif():
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Model] = "Phone 12"
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(
        {
            ExifTags.GPS.GPSLatitudeRef: "N",
            ExifTags.GPS.GPSLatitude: (52.0, 31.0, 12.0),
            ExifTags.GPS.GPSLongitudeRef: "E",
            ExifTags.GPS.GPSLongitude: (13.0, 24.0, 36.0),
        }
    )
    return exif


def png_with_size(width, height):
    """A valid PNG header claiming `width` x `height` (a decompression bomb), without the pixels."""

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def save_member(files, data=None, instance=None):
    form = MemberForm(data or {"name": "Anna"}, files, instance=instance or Member())
    assert form.is_valid(), form.errors
    return form.save()


def stored(member):
    member.picture.open("rb")
    try:
        raw = member.picture.read()
    finally:
        member.picture.close()
    return raw, Image.open(io.BytesIO(raw))


# --- pictures --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "name", "mode"),
    [
        ("PNG", "me.png", "RGBA"),
        ("JPEG", "me.jpg", "RGB"),
        ("GIF", "me.gif", "P"),
        ("WEBP", "me.webp", "RGB"),
    ],
)
def test_a_picture_is_stored_as_a_256_square_jpeg(media_root, fmt, name, mode):
    member = save_member({"picture": upload(image_bytes(fmt, (640, 480), mode=mode), name)})
    raw, img = stored(member)
    assert (img.format, img.size, img.mode) == ("JPEG", (256, 256), "RGB")
    assert member.picture.name.startswith("members/") and member.picture.name.endswith(".jpg")
    assert (media_root / member.picture.name).is_file()


def test_the_middle_square_is_kept():
    wide = Image.new("RGB", (300, 100), "blue")
    wide.paste("red", (100, 0, 200, 100))  # the middle third is red
    out = io.BytesIO()
    wide.save(out, "PNG")
    _, img = stored(save_member({"picture": upload(out.getvalue())}))
    r, g, b = img.getpixel((128, 128))
    assert r > 200 and g < 50 and b < 50
    r, g, b = img.getpixel((2, 2))
    assert r > 200 and b < 50


def test_exif_with_a_location_is_dropped(media_root):
    original = image_bytes("JPEG", exif=gps_exif())
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # premise
    raw, img = stored(save_member({"picture": upload(original, "me.jpg", "image/jpeg")}))
    assert not img.getexif()
    assert "exif" not in img.info
    assert b"Exif" not in raw and b"PhoneMaker" not in raw


def test_a_phone_photo_is_turned_upright_before_the_orientation_is_dropped(media_root):
    """Phones store portrait photos sideways with an EXIF orientation; respect it."""
    sideways = Image.new("RGB", (200, 100), "red")
    sideways.paste("blue", (100, 0, 200, 100))  # left half red, right half blue
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # shown rotated 90° clockwise: red on top, blue below
    out = io.BytesIO()
    sideways.save(out, "JPEG", exif=exif)
    _, img = stored(save_member({"picture": upload(out.getvalue(), "me.jpg", "image/jpeg")}))
    top, bottom = img.getpixel((128, 20)), img.getpixel((128, 235))
    assert top[0] > 200 and top[2] < 60, top
    assert bottom[2] > 200 and bottom[0] < 60, bottom


def picture_errors(files):
    form = MemberForm({"name": "Anna"}, files, instance=Member())
    assert not form.is_valid()
    assert set(form.errors) == {"picture"}
    return " ".join(form.errors["picture"])


def test_a_file_that_is_not_a_picture_is_refused(media_root):
    message = picture_errors({"picture": upload(b"#!/bin/sh\necho hi\n" * 50, "me.png")})
    assert "valid image" in message
    assert not Member.objects.exists()
    assert not media_root.exists() or not any(media_root.rglob("*"))


def test_a_picture_in_another_format_is_refused():
    message = picture_errors({"picture": upload(image_bytes("BMP"), "me.bmp", "image/bmp")})
    assert message == "Use a JPEG, PNG, GIF or WebP picture."


def test_a_too_large_file_is_refused_with_both_sizes(settings):
    settings.LANWARD_MEMBER_PICTURE_MAX_BYTES = 2_000
    noise = Image.frombytes("L", (100, 100), random.Random(0).randbytes(100 * 100))
    out = io.BytesIO()
    noise.save(out, "PNG")
    size = len(out.getvalue())
    assert size > 5_000  # premise
    message = picture_errors({"picture": upload(out.getvalue())})
    assert (
        message == f"This picture is {filesizeformat(size)}; use one under {filesizeformat(2_000)}."
    )
    assert "KB" in message


def test_a_decompression_bomb_is_refused_before_it_is_decoded():
    message = picture_errors({"picture": upload(png_with_size(100_000, 100_000))})
    assert "valid image" in message


def test_a_picture_with_too_many_pixels_is_refused():
    big = image_bytes("PNG", (8_000, 6_000), color=0, mode="1")  # 48 megapixels, tiny file
    message = picture_errors({"picture": upload(big)})
    assert message == "This picture has too many pixels; use a smaller one."


def test_replacing_or_removing_a_picture_deletes_the_old_file(media_root):
    member = save_member({"picture": upload(image_bytes())})
    first = media_root / member.picture.name
    member = save_member(
        {"picture": upload(image_bytes(color="blue"))}, {"name": "Anna"}, instance=member
    )
    second = media_root / member.picture.name
    assert second.is_file() and second != first
    assert not first.exists()

    member = save_member({}, {"name": "Anna", "remove_picture": "on"}, instance=member)
    assert not member.picture
    assert not second.exists()


def test_saving_without_a_new_picture_keeps_it(media_root):
    member = save_member({"picture": upload(image_bytes())})
    name = member.picture.name
    member = save_member({}, {"name": "Anna Maria"}, instance=member)
    assert member.picture.name == name and (media_root / name).is_file()


def test_remove_picture_is_offered_only_when_editing():
    assert "remove_picture" not in MemberForm(instance=Member()).fields
    assert "remove_picture" in MemberForm(instance=Member.objects.create(name="Ben")).fields


# --- devices of a member ---------------------------------------------------------------------


def test_the_member_form_sets_and_clears_device_owners():
    a, b, c = (make_device(f"02:00:00:00:00:0{i}") for i in (1, 2, 3))
    ben = Member.objects.create(name="Ben")
    make_device("02:00:00:00:00:09", owner=ben)

    anna = save_member(None, {"name": "Anna", "devices": [a.pk, b.pk]})
    assert set(anna.devices.all()) == {a, b}
    assert sorted(MemberForm(instance=anna).fields["devices"].initial) == sorted([a.pk, b.pk])

    save_member(None, {"name": "Anna", "devices": [b.pk, c.pk]}, instance=anna)
    assert set(anna.devices.all()) == {b, c}
    assert Device.objects.get(pk=a.pk).owner is None
    assert ben.devices.count() == 1  # other members' devices are left alone

    save_member(None, {"name": "Anna"}, instance=anna)
    assert not anna.devices.exists()
    assert Device.objects.filter(owner__isnull=True).count() == 3


def test_an_unknown_device_is_a_field_error():
    form = MemberForm({"name": "Anna", "devices": ["999999"]}, instance=Member())
    assert not form.is_valid() and set(form.errors) == {"devices"}


def test_the_device_form_offers_what_was_recognized():
    device = make_device("02:00:00:00:00:01", type="printer", brand="Brother", model="HL-L2350")
    form = DeviceForm(instance=device)
    assert form.fields["user_type"].choices[0] == ("", "Recognized: Printer")
    assert form.fields["user_brand"].widget.attrs["placeholder"] == "Brother"
    assert form.fields["user_model"].widget.attrs["placeholder"] == "HL-L2350"
