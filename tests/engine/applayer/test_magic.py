"""File kinds from the first bytes, and file names from headers and URIs."""

from __future__ import annotations

import pytest

from lanward.engine.applayer.body import file_name
from lanward.engine.applayer.magic import magic
from tests.engine.applayer.build import EICAR


def pe(dll: bool = False) -> bytes:
    head = bytearray(b"MZ" + b"\0" * 0x3A + (0x80).to_bytes(4, "little") + b"\0" * 0x40)
    head += b"PE\0\0" + b"\0" * 18 + (0x2002 if dll else 0x0002).to_bytes(2, "little")
    return bytes(head)


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (EICAR, "EICAR test file"),
        (EICAR + b"\r\n", "EICAR test file"),
        (pe(), "PE executable"),
        (pe(dll=True), "PE DLL"),
        (b"\x7fELF\x02\x01", "ELF executable"),
        (b"PK\x03\x04....AndroidManifest.xml", "Android package (APK)"),
        (b"PK\x03\x04 plain", "ZIP archive"),
        (b"%PDF-1.7", "PDF document"),
        (b"#!/bin/sh\nwget x", "script"),
        (b"@echo off\r\n", "script"),
        (b"  <!DOCTYPE html><html>", "HTML document"),
        (b"just text", ""),
        (b"", ""),
    ],
)
def test_magic(head: bytes, kind: str) -> None:
    assert magic(head) == kind


def test_file_names() -> None:
    assert file_name('attachment; filename="a b.exe"', "/x") == "a b.exe"
    assert file_name("attachment; filename*=UTF-8''%e2%82%ac.pdf", "/x") == "€.pdf"
    assert file_name('attachment; filename="..\\\\..\\\\evil.bat"', "/x") == "evil.bat"
    assert file_name("", "/dl/setup%20v2.msi?token=1") == "setup v2.msi"
    assert file_name("", "http://h/") == ""
    assert file_name("inline; filename", "/[") == "["
