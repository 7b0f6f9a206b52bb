"""What a file is, from its first bytes: the few kinds a detector cares about.

A short table instead of libmagic or puremagic: it runs on every HTTP body, must answer in
microseconds, and must name things those libraries do not (the EICAR test file, scripts).
"""

from __future__ import annotations

import re

# Enough of the start of a body to tell its kind (PE headers sit at e_lfanew, usually < 512).
MAGIC_BYTES = 1024

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"

_PREFIXES: tuple[tuple[bytes, str], ...] = (
    (b"\x7fELF", "ELF executable"),
    (b"\xfe\xed\xfa\xce", "Mach-O executable"),
    (b"\xfe\xed\xfa\xcf", "Mach-O executable"),
    (b"\xce\xfa\xed\xfe", "Mach-O executable"),
    (b"\xcf\xfa\xed\xfe", "Mach-O executable"),
    (b"\xca\xfe\xba\xbe", "Mach-O universal binary or Java class"),
    (b"PK\x03\x04", "ZIP archive"),
    (b"PK\x05\x06", "ZIP archive"),
    (b"%PDF-", "PDF document"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "OLE2 document (Office, MSI)"),
    (b"Rar!\x1a\x07", "RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
    (b"\x1f\x8b", "gzip data"),
    (b"BZh", "bzip2 data"),
    (b"\xfd7zXZ\x00", "xz data"),
    (b"MSCF", "Microsoft cabinet"),
    (b"{\\rtf", "RTF document"),
    (b"dex\n", "Android DEX"),
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF8", "GIF image"),
    (b"#!", "script"),
    (b"<?php", "PHP script"),
)
_SCRIPT = re.compile(
    rb"^\s*(?:@echo\s+off|powershell|\$ErrorActionPreference|Set-StrictMode|"
    rb"(?:Dim|Set|Sub|Function|On Error)\s|var\s+\w+\s*=\s*new\s+ActiveXObject|"
    rb"WScript\.|<job|<package|<scriptlet)",
    re.IGNORECASE,
)
_HTML = re.compile(rb"^\s*(?:<!doctype\s+html|<html|<head|<body|<script)", re.IGNORECASE)


def magic(head: bytes) -> str:
    """A short name for the kind of file `head` (its first bytes) starts, or ''."""
    if not head:
        return ""
    if head.startswith(EICAR) and len(head) <= 128 and not head[len(EICAR) :].strip():
        return "EICAR test file"
    if head.startswith(b"MZ"):
        return _pe(head)
    for prefix, name in _PREFIXES:
        if head.startswith(prefix):
            if name == "ZIP archive" and b"AndroidManifest.xml" in head:
                return "Android package (APK)"
            if name == "ZIP archive" and b"META-INF/" in head:
                return "Java archive (JAR)"
            return name
    if EICAR in head[:256]:
        return "EICAR test file"
    if _SCRIPT.match(head):
        return "script"
    if _HTML.match(head):
        return "HTML document"
    return ""


def _pe(head: bytes) -> str:
    if len(head) >= 0x40:
        e_lfanew = int.from_bytes(head[0x3C:0x40], "little")
        if e_lfanew + 24 <= len(head) and head[e_lfanew : e_lfanew + 4] == b"PE\x00\x00":
            characteristics = int.from_bytes(head[e_lfanew + 22 : e_lfanew + 24], "little")
            return "PE DLL" if characteristics & 0x2000 else "PE executable"
    return "DOS/PE executable"
