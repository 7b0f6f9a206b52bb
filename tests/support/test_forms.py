"""Ticket attachments: only screenshots, PDFs, logs and archives that are what they claim to be,
and not too big; each refusal is a field error that says what to do."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from lanward.support.forms import ReplyForm, TicketForm

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"x" * 64
ZIP = b"PK\x03\x04" + b"\x00" * 64
GZ = b"\x1f\x8b\x08\x00" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(range(256)) * 4


def attachment_errors(name: str, content: bytes, form_class=TicketForm) -> list[str]:
    form = form_class(
        {"subject": "Help", "body": "It broke."},
        {"attachment": SimpleUploadedFile(name, content)},
    )
    form.is_valid()
    return form.errors.get("attachment", [])


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("screen.png", PNG),
        ("PHOTO.JPG", JPEG),
        ("photo.jpeg", JPEG),
        ("invoice.pdf", PDF),
        ("logs.zip", ZIP),
        ("logs.tar.gz", GZ),
        ("station.log", "café ✓\n".encode() * 10),
        ("notes.txt", b"plain text"),
    ],
)
def test_allowed_files_pass(name, content):
    assert attachment_errors(name, content) == []


def test_no_attachment_is_fine():
    assert TicketForm({"subject": "Help", "body": "It broke."}).is_valid()


@pytest.mark.parametrize("name", ["setup.exe", "script.sh", "page.html", "macro.docm", "noext"])
def test_other_kinds_of_file_are_refused(name):
    errors = attachment_errors(name, EXE)
    assert len(errors) == 1
    assert "can't be attached. Use PNG, JPEG, PDF, TXT, LOG, ZIP or GZ." in errors[0]


def test_a_fake_png_that_is_really_text_is_refused():
    errors = attachment_errors("screenshot.png", b"this is not an image at all\n")
    assert errors == ["This file's content is not really PNG. Attach the original file."]


def test_an_executable_renamed_to_pdf_is_refused():
    assert attachment_errors("invoice.pdf", EXE) == [
        "This file's content is not really PDF. Attach the original file."
    ]


def test_a_binary_file_renamed_to_txt_is_refused():
    assert attachment_errors("notes.txt", EXE[:200]) == ["This text file is not plain UTF-8 text."]
    # A longer one too: only a character cut at the end of the part read may be forgiven.
    assert attachment_errors("notes.txt", EXE * 4) == ["This text file is not plain UTF-8 text."]


def test_a_long_text_whose_first_4k_end_inside_a_character_passes():
    text = ("a" * 4095 + "é" + "b" * 100).encode()  # "é" is two bytes: the read splits it
    assert attachment_errors("long.log", text) == []


def test_a_file_over_the_limit_is_refused(settings):
    settings.LANWARD_TICKET_ATTACHMENT_MAX_BYTES = 1024 * 1024
    assert attachment_errors("screen.png", PNG.ljust(1024 * 1024, b"\x00")) == []
    errors = attachment_errors("screen.png", PNG.ljust(1024 * 1024 + 1, b"\x00"))
    assert errors == ["This file is too big (1024 KB). Attach at most 1 MB."]


def test_replies_check_attachments_the_same_way():
    form = ReplyForm({"body": "More"}, {"attachment": SimpleUploadedFile("a.exe", EXE)})
    assert not form.is_valid()
    assert "can't be attached" in form.errors["attachment"][0]
