"""The detectors on the nDPI captures (tests/ndpi_corpus.py), through `lanward analyze`."""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests import ndpi_corpus
from tests.ndpi_corpus import BENIGN, NDPI, PCAPS, analyze, require_corpus

# nDPI's example category file: value<TAB>category id; 100 is Malware.
CATEGORIES = NDPI / "example" / "categories.txt"


def analyze_with(capture: str, *args: str) -> tuple[int, dict[str, Any], str]:
    from lanward import cli

    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = cli.main(["analyze", "--json", str(PCAPS / capture), *args])
    return code, json.loads(stdout.getvalue()) if stdout.getvalue() else {}, stderr.getvalue()


def test_tcp_scan_gives_rdp_and_scan_alerts() -> None:
    require_corpus()
    alerts = analyze("tcp_scan.pcapng").result["alerts"]
    [rdp] = [a for a in alerts if a["detector"] == "remote_access"]
    assert (rdp["app"], rdp["severity"], rdp["dst"]) == ("RDP", "info", "192.168.1.2")
    assert rdp["evidence"]["dst_port"] == 3389
    [scan] = [a for a in alerts if a["detector"] == "scan"]
    assert scan["src"] == "192.168.1.178"
    assert scan["evidence"]["pattern"] == "vertical"
    # The ports ndpiReader lists for this capture, in the order the probes ended.
    expected = {f.b[1] for f in ndpi_corpus.expected_flows("tcp_scan.pcapng")}
    assert set(scan["evidence"]["ports"]) <= expected
    assert len(scan["evidence"]["ports"]) >= 6


def test_malware_capture_matches_the_ndpi_malware_entries(tmp_path: Path) -> None:
    require_corpus()
    malware = [
        line.split("\t")[0]
        for line in CATEGORIES.read_text().splitlines()
        if line.endswith("\t100") and not line.startswith("#")
    ]
    assert "internetbadguys.com" in malware
    out = (ndpi_corpus.RESULTS / "malware.pcap.out").read_text()
    assert "internetbadguys.com" in out
    code, result, _ = analyze_with("malware.pcap", "--indicators", str(CATEGORIES))
    assert code == 0
    matches = [a for a in result["alerts"] if a["detector"] == "indicator_match"]
    values = {a["evidence"]["indicator"]["value"] for a in matches}
    assert {"internetbadguys.com", "144.139.247.220"} <= values
    assert all(a["severity"] == "high" for a in matches)
    # The same domain alone, as a plain one-line list named for what it is.
    feed = tmp_path / "malware-domains.txt"
    feed.write_text("internetbadguys.com\n")
    code, result, _ = analyze_with("malware.pcap", "--indicators", str(feed))
    hits = [a for a in result["alerts"] if a["detector"] == "indicator_match"]
    assert hits and all(
        a["evidence"]["matched_value"].endswith("internetbadguys.com") for a in hits
    )
    assert hits[0]["severity"] == "high"


def test_without_indicators_malware_capture_has_no_match() -> None:
    require_corpus()
    alerts = analyze("malware.pcap").result["alerts"]
    assert not [a for a in alerts if a["detector"] == "indicator_match"]


def test_unreadable_indicator_file_is_an_error(tmp_path: Path) -> None:
    require_corpus()
    code, _, err = analyze_with("malware.pcap", "--indicators", str(tmp_path / "missing.txt"))
    assert code == 2
    assert "cannot read the indicator file" in err


def test_bad_indicator_lines_are_reported_on_stderr(tmp_path: Path) -> None:
    require_corpus()
    feed = tmp_path / "list.txt"
    feed.write_text("internetbadguys.com\nnot valid!\n")
    code, result, err = analyze_with("malware.pcap", "--indicators", str(feed))
    assert code == 0
    assert "list.txt, line 2" in err
    assert any(a["detector"] == "indicator_match" for a in result["alerts"])


@pytest.mark.parametrize("capture", BENIGN)
def test_benign_captures_raise_no_high_alert(capture: str) -> None:
    require_corpus()
    code, result, _ = analyze_with(capture, "--indicators", str(CATEGORIES))
    assert code == 0
    assert [a for a in result["alerts"] if a["severity"] in ("high", "critical")] == []


def _user_from_ndpi(capture: str) -> str:
    """The user name ndpiReader printed for the capture's credentials."""
    out = (ndpi_corpus.RESULTS / f"{capture}.out").read_text()
    match = re.search(r"\[Username: ([^\]]+)\]", out)
    return match.group(1) if match else ""


@pytest.mark.parametrize(
    ("capture", "protocol"), [("http_auth.pcap", "http-basic"), ("telnet.pcap", "telnet")]
)
def test_clear_text_sign_ins_are_alerted(capture: str, protocol: str) -> None:
    require_corpus()
    code, result, _ = analyze_with(capture)
    assert code == 0
    found = [a for a in result["alerts"] if a["kind"] == "cleartext_credentials"]
    assert found, result["alerts"]
    assert {a["evidence"]["protocol"] for a in found} == {protocol}
    assert all(a["evidence"]["password"] == "not kept" for a in found)
    expected_user = _user_from_ndpi(capture)
    if expected_user:
        assert expected_user in {a["evidence"]["username"] for a in found}
    # Telnet is also a remote-control session.
    if capture == "telnet.pcap":
        assert any(a["kind"] == "remote_access" and a["app"] == "Telnet" for a in result["alerts"])
