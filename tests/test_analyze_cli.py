"""`lanward analyze`: the command as a person runs it, its bad inputs, and its JSON schema.

Bad input must give exit status 2 and one line on stderr that says what to do, never a
traceback; a capture cut off part way is still reported (exit 0, a note on stderr). The JSON of
every capture in the nDPI corpus must match docs/analyze-json.md.
"""

from __future__ import annotations

import ipaddress
import json
import os
import random
import re
import struct
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lanward.engine.recognize.classify import TYPES
from tests.ndpi_corpus import PCAPS, analyze, capture_names, capture_params, require_corpus

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "analyze-json.md"


def lanward_analyze(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lanward.cli", "analyze", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )


def assert_one_line_error(run: subprocess.CompletedProcess[str], *words: str) -> str:
    assert run.returncode == 2, run
    assert run.stdout == ""
    assert "Traceback" not in run.stderr
    lines = run.stderr.splitlines()
    assert len(lines) == 1, run.stderr
    line = lines[0]
    assert line.startswith("lanward analyze: ")
    for word in words:
        assert word.lower() in line.lower(), line
    return line


def pcap_header(linktype: int = 1) -> bytes:
    return struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype)


def pcap_records(data: bytes) -> list[tuple[int, int]]:
    """(offset, length) of each record of a little-endian pcap file."""
    records, offset = [], 24
    while offset + 16 <= len(data):
        incl_len = struct.unpack("<I", data[offset + 8 : offset + 12])[0]
        records.append((offset, 16 + incl_len))
        offset += 16 + incl_len
    return records


def pcapng_blocks(data: bytes) -> list[tuple[int, int, int]]:
    """(offset, length, type) of each block of a little-endian pcapng file."""
    blocks, offset = [], 0
    while offset + 8 <= len(data):
        block_type, length = struct.unpack("<II", data[offset : offset + 8])
        blocks.append((offset, length, block_type))
        offset += length
    return blocks


# --- bad input ----------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    assert_one_line_error(lanward_analyze(tmp_path / "nope.pcap"), "no such file", "path")


def test_directory(tmp_path: Path) -> None:
    assert_one_line_error(lanward_analyze(tmp_path), "is a directory", ".pcap")


def test_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.pcap"
    empty.write_bytes(b"")
    assert_one_line_error(lanward_analyze(empty), "empty", "0 bytes")


def test_random_bytes(tmp_path: Path) -> None:
    noise = tmp_path / "noise.pcap"
    noise.write_bytes(random.Random(7).randbytes(4096))
    assert_one_line_error(lanward_analyze(noise), "not a pcap or pcapng", "save the capture")


def test_text_file(tmp_path: Path) -> None:
    text = tmp_path / "notes.pcap"
    text.write_text("these are my notes, not a capture\n" * 10)
    assert_one_line_error(lanward_analyze(text), "not a pcap or pcapng")


def test_unsupported_link_type(tmp_path: Path) -> None:
    odd = tmp_path / "user0.pcap"  # 147: LINKTYPE_USER0, a private encapsulation
    odd.write_bytes(pcap_header(147) + struct.pack("<IIII", 0, 0, 4, 4) + b"abcd")
    assert_one_line_error(lanward_analyze(odd), "link type 147", "ethernet")


def test_damaged_before_the_first_packet(tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.pcap"
    damaged.write_bytes(pcap_header() + struct.pack("<IIII", 0, 0, 1500, 1500) + bytes(100))
    assert_one_line_error(lanward_analyze(damaged), "damaged", "capture it again")


def test_capture_without_packets_is_fine(tmp_path: Path) -> None:
    header_only = tmp_path / "quiet.pcap"
    header_only.write_bytes(pcap_header())
    run = lanward_analyze(header_only, "--json")
    assert (run.returncode, run.stderr) == (0, "")
    assert json.loads(run.stdout)["flows"] == 0


@pytest.mark.skipif(
    os.geteuid() == 0, reason="running as root: root may read a file whatever its permissions"
)
def test_unreadable_file(tmp_path: Path) -> None:
    locked = tmp_path / "locked.pcap"
    locked.write_bytes(pcap_header())
    locked.chmod(0)
    assert_one_line_error(lanward_analyze(locked), "permission denied", "readable")


@pytest.mark.parametrize("where", ["missing-folder", "directory"])
def test_report_to_an_unwritable_path(tmp_path: Path, where: str) -> None:
    require_corpus()
    target = tmp_path / "no" / "such" / "report.html" if where == "missing-folder" else tmp_path
    run = lanward_analyze(PCAPS / "dns.pcap", "--report", target)
    assert_one_line_error(run, "cannot write the report", "pick a writable path")


@pytest.mark.skipif(
    os.geteuid() == 0, reason="running as root: root may write into a read-only folder"
)
def test_report_into_a_read_only_folder(tmp_path: Path) -> None:
    require_corpus()
    tmp_path.chmod(0o500)
    try:
        run = lanward_analyze(PCAPS / "dns.pcap", "--report", tmp_path / "r.html")
    finally:
        tmp_path.chmod(0o700)
    assert_one_line_error(run, "cannot write the report", "permission denied")


def test_unknown_option_is_argparse_usage() -> None:
    run = lanward_analyze("--no-such-option", "x.pcap")
    assert run.returncode == 2
    assert "usage:" in run.stderr and "Traceback" not in run.stderr


# --- cut-off captures ---------------------------------------------------------------------


def test_pcap_cut_in_the_middle_of_a_packet(tmp_path: Path) -> None:
    require_corpus()
    data = (PCAPS / "android.pcap").read_bytes()
    records = pcap_records(data)
    offset, length = records[len(records) // 2]
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(data[: offset + length // 2])

    run = lanward_analyze(cut, "--json")
    assert run.returncode == 0, run.stderr
    [note] = run.stderr.splitlines()
    assert "cut-off packet" in note and "flows read before it" in note
    result = json.loads(run.stdout)
    assert result["capture"]["truncated"] is True
    full = analyze("android.pcap").result
    assert 0 < result["flows"] <= full["flows"]
    assert f"reporting the {result['flows']} flows" in note
    # What was read before the cut is there: the Apple iMac's DHCP came early.
    assert "d8:30:62:56:00:1c" in {d["mac"] for d in result["devices"]}
    check_schema(result)


def test_pcapng_cut_in_the_middle_of_a_block(tmp_path: Path) -> None:
    require_corpus()
    data = (PCAPS / "sonos.pcapng").read_bytes()
    blocks = pcapng_blocks(data)
    packets = [b for b in blocks if b[2] == 6]  # Enhanced Packet Blocks
    offset, length, _ = packets[len(packets) // 2]
    cut = tmp_path / "cut.pcapng"
    cut.write_bytes(data[: offset + length // 2])

    run = lanward_analyze(cut)
    assert run.returncode == 0, run.stderr
    assert "cut-off packet" in run.stderr and len(run.stderr.splitlines()) == 1
    assert "34:7e:5c:ff:a2:6e" in run.stdout  # the Sonos speaker of the first flow


# --- the command on good input ------------------------------------------------------------


def test_subprocess_agrees_with_in_process_and_writes_the_report(tmp_path: Path) -> None:
    """The corpus tests run the CLI in-process for speed; the real command says the same."""
    require_corpus()
    report = tmp_path / "report.html"
    run = lanward_analyze(PCAPS / "android.pcap", "--json", "--flows", "--report", report)
    assert (run.returncode, run.stderr) == (0, "")
    result = json.loads(run.stdout)
    # The report's display fields do not leak into the JSON printed with it.
    assert result == analyze("android.pcap").result
    html = report.read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert "4c:6a:f6:9f:f6:27" in html and "Lucas-iMac" in html
    assert "63 flows" in html


def test_summary_text() -> None:
    require_corpus()
    run = lanward_analyze(PCAPS / "whatsapp_login_chat.pcap")
    assert run.returncode == 0 and run.stderr == ""
    lines = run.stdout.splitlines()
    assert lines[0] == "9 flows, 3 devices"
    imac = next(line for line in lines if line.startswith("  d8:30:62:56:00:1c"))
    assert "computer" in imac and "Apple" in imac and '"Lucas-iMac"' in imac
    assert "usage (top 15 by bytes):" in lines


def test_html_report_escapes_what_devices_say() -> None:
    """Host names come from the network: a name with markup is text in the report."""
    from lanward.analyze import html_report

    require_corpus()
    result = json.loads(json.dumps(analyze("dns.pcap").result))
    result["devices"][0]["hostname"] = "<script>alert(1)</script>"
    html = html_report(result, "<b>file</b>")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html and "&lt;b&gt;file&lt;/b&gt;" in html


# --- JSON schema (docs/analyze-json.md) ---------------------------------------------------

Spec = Any


def _mac(value: object) -> bool:
    return (
        isinstance(value, str) and re.fullmatch(r"[0-9a-f]{2}(:[0-9a-f]{2}){5}", value) is not None
    )


def _ip(value: object) -> bool:
    try:
        ipaddress.ip_address(str(value))
    except ValueError:
        return False
    return isinstance(value, str)


def _confidence(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1


def _count(value: object) -> bool:
    return type(value) is int and value >= 0


def _one_of(*choices: str) -> Callable[[object], bool]:
    return lambda value: value in choices


EVIDENCE: Spec = {"source": str, "field": str, "value": str, "confidence": _confidence}
DEVICE: Spec = {
    "mac": _mac,
    "ips": [_ip],
    "hostname": str,
    "vendor": str,
    "brand": str,
    "type": _one_of(*TYPES),
    "type_confidence": _confidence,
    "os": str,
    "os_confidence": _confidence,
    "model": str,
    "model_confidence": _confidence,
    "dhcp_fingerprint": lambda v: isinstance(v, str) and re.fullmatch(r"(\d+(,\d+)*)?", v),
    "dhcp_vendor_class": str,
    "user_agents": [str],
    "services": [str],
    "first_seen": _count,
    "last_seen": _count,
    "linked_macs": [{"mac": _mac, "reason": str}],
    "evidence": [EVIDENCE],
}
USAGE: Spec = {
    "mac": _mac,
    "app": str,
    "category": str,
    "bytes_up": _count,
    "bytes_down": _count,
    "active_seconds": lambda v: _count(v) and v % 60 == 0,
}
ALERT: Spec = {
    "kind": _one_of(
        "remote_access",
        "internal_attack",
        "network_protection",
        "router_access",
        "dangerous_file",
        "web_attack",
        "cleartext_credentials",
        "anomaly",
    ),
    "detector": str,
    "severity": _one_of("info", "low", "medium", "high", "critical"),
    "time": _count,
    "src": str,
    "dst": str,
    "mac": str,
    "app": str,
    "summary": lambda v: isinstance(v, str) and bool(v),
    "evidence": dict,
}
NOTICE: Spec = {
    "kind": str,
    "message": lambda v: isinstance(v, str) and "\n" not in v,
    "time": _count,
}
CAPTURE: Spec = {
    "file": str,
    "format": _one_of("pcap", "pcapng"),
    "link_type": str,
    "truncated": bool,
}
FLOW: Spec = {
    "src_ip": _ip,
    "dst_ip": _ip,
    "src_port": _count,
    "dst_port": _count,
    "protocol": _count,
    "src_mac": str,
    "dst_mac": str,
    "first_seen": _count,
    "last_seen": _count,
    "packets_up": _count,
    "bytes_up": _count,
    "packets_down": _count,
    "bytes_down": _count,
    "app": str,
    "category": str,
    "sni": str,
    "user_agent": str,
    "ja4": str,
}
RESULT: Spec = {
    "schema": _one_of(1),
    "flows": _count,
    "devices": [DEVICE],
    "usage": [USAGE],
    "alerts": [ALERT],
    "notices": [NOTICE],
    "capture": CAPTURE,
}
OPTIONAL = {"flow_records": [FLOW]}


def _check(value: object, spec: Spec, where: str) -> None:
    if isinstance(spec, dict):
        assert isinstance(value, dict), f"{where}: not an object"
        optional = OPTIONAL if spec is RESULT else {}
        assert set(spec) <= set(value) <= set(spec) | set(optional), (
            f"{where}: missing {sorted(set(spec) - set(value))}, "
            f"undocumented {sorted(set(value) - set(spec) - set(optional))}"
        )
        for key, item in value.items():
            _check(item, {**spec, **optional}[key], f"{where}.{key}")
    elif isinstance(spec, list):
        assert isinstance(value, list), f"{where}: not a list"
        for n, item in enumerate(value):
            _check(item, spec[0], f"{where}[{n}]")
    elif isinstance(spec, type):
        assert type(value) is spec, f"{where}: {value!r} is not {spec.__name__}"
    else:
        assert spec(value), f"{where}: {value!r}"


def check_schema(result: dict[str, Any]) -> None:
    _check(result, RESULT, "result")
    macs = {d["mac"] for d in result["devices"]}
    assert len(macs) == len(result["devices"]), "a MAC is listed twice"
    for device in result["devices"]:
        assert device["first_seen"] <= device["last_seen"]
        assert not {link["mac"] for link in device["linked_macs"]} & macs
    for row in result["usage"]:
        assert row["mac"] in macs, f"usage of {row['mac']}, which is no device"
    if "flow_records" in result:
        assert len(result["flow_records"]) == result["flows"]


@pytest.mark.parametrize("name", capture_params())
def test_json_of_every_corpus_capture_matches_the_schema(name: str) -> None:
    run = analyze(name)
    assert run.returncode == 0, run.stderr
    check_schema(run.result)


def test_the_corpus_is_there_for_the_schema_test() -> None:
    require_corpus()
    assert len(capture_names()) >= 22


def _documented_fields() -> set[str]:
    names: set[str] = set()
    for line in DOC.read_text().splitlines():
        first_cell = re.match(r"^\| (`[^|]+`) \|", line)
        if first_cell:
            names |= set(re.findall(r"`([a-z_0-9]+)`", first_cell.group(1)))
    return names


def _spec_fields(spec: Spec) -> set[str]:
    if isinstance(spec, dict):
        return set(spec) | {k for item in spec.values() for k in _spec_fields(item)}
    if isinstance(spec, list):
        return _spec_fields(spec[0])
    return set()


def test_the_schema_here_is_the_documented_one() -> None:
    assert _spec_fields(RESULT) | _spec_fields(OPTIONAL) | set(OPTIONAL) == _documented_fields()


def test_documented_device_types_are_the_engines() -> None:
    text = DOC.read_text()
    row = next(line for line in text.splitlines() if line.startswith("| `type` |"))
    assert re.findall(r"`([^`]+)`", row.split("|")[3]) == list(TYPES)
