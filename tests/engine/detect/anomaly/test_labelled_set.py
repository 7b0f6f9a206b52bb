"""The smart-alert bench (bench/smart_alerts.py) run as a person would, on a smaller set."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]


def test_bench_reports_precision_and_recall_and_meets_the_targets() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "smart_alerts.py")],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    rows = {
        m["kind"]: (float(m["recall"]), float(m["precision"]))
        for m in re.finditer(
            r"^(?P<kind>\w+)\s+(?P<recall>[\d.]+) \(\d+/\d+\)\s+(?P<precision>[\d.]+)", out, re.M
        )
    }
    assert set(rows) == {"beacon", "exfiltration", "dga", "overall"}
    assert rows["beacon"][0] >= 0.9 and rows["exfiltration"][0] >= 0.9
    assert rows["dga"][0] >= 0.9  # dictionary-word DGAs too: their lookups fail (nxdomain)
    assert rows["overall"][1] >= 0.9
    assert "'nxdomain':" in out
    assert "targets (recall >= 0.9 beacon, exfiltration and dga, precision >= 0.9): met" in out


def test_bench_refuses_incidents_inside_the_learning_period() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "smart_alerts.py"), "--days", "7"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "--days must be more than --learning-days" in done.stdout
