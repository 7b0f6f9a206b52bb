"""`lanward analyze --store` puts the detectors' alerts where the console shows them."""

from __future__ import annotations

import os
import sqlite3
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
    / "tcp_scan.pcapng"
)


def test_scan_and_remote_access_alerts_are_stored(tmp_path):
    if not CAPTURE.exists():
        pytest.skip("../shared/corpus is absent: the nDPI captures are needed")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["LANWARD_DATA_DIR"] = str(tmp_path)
    subprocess.run(
        [sys.executable, "-m", "lanward.cli", "analyze", str(CAPTURE), "--store"],
        env=env,
        check=True,
        capture_output=True,
        timeout=180,
    )
    with sqlite3.connect(tmp_path / "lanward.sqlite3") as db:
        kinds = sorted(row[0] for row in db.execute("SELECT kind FROM threats_alert"))
        linked = db.execute(
            "SELECT COUNT(*) FROM threats_alert WHERE device_id IS NOT NULL"
        ).fetchone()[0]
    assert kinds == ["internal_attack", "remote_access"]
    assert linked == 2
