"""The flow table is bounded: past the maximum the idlest flows are dropped, and the analysis
says so (a notice with the count) instead of growing without limit."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

CAPTURE = (
    Path(__file__).resolve().parents[2]
    / ".."
    / "shared"
    / "corpus"
    / "ndpi"
    / "pcap"
    / "alexa-app.pcapng"
)


def analyze(*extra: str) -> dict:
    if not CAPTURE.exists():
        pytest.skip("../shared/corpus is absent: the nDPI captures are needed")
    result = subprocess.run(
        [sys.executable, "-m", "lanward.cli", "analyze", str(CAPTURE), "--json", *extra],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout)


def test_a_small_flow_table_drops_and_reports():
    full = analyze()
    capped = analyze("--max-flows", "20")
    assert not [n for n in full["notices"] if n["kind"] == "flows_dropped"]
    dropped = [n for n in capped["notices"] if n["kind"] == "flows_dropped"]
    assert len(dropped) == 1
    assert "20 flows" in dropped[0]["message"]
    # Dropped flows are lost: fewer bytes reach the usage report than without the cap.
    total = lambda r: sum(u["bytes_up"] + u["bytes_down"] for u in r["usage"])  # noqa: E731
    assert total(capped) < total(full)
