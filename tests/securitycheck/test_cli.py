"""`lanward scan` and `lanward vulns import`, run as real commands against loopback servers."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from . import devices
from .conftest import CVE5_DIR, KEV_JSON, NVD_FILE

LOOPBACK = ["--home-net", "127.0.0.0/8"]


@pytest.fixture
def lanward(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LANWARD_")}
    env.pop("DATABASE_URL", None)  # a database of its own, in the data dir
    env.update(
        {
            "LANWARD_DATA_DIR": str(tmp_path),
            "LANWARD_SECRET_KEY": "cli-test",
            "LANWARD_SCAN_NMAP": "off",
            "LANWARD_SCAN_NEW_DEVICES": "0",
            "PYTHONUNBUFFERED": "1",
        }
    )

    def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "lanward.cli", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def start(*args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "lanward.cli", *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    run.start = start  # type: ignore[attr-defined]
    run.db = tmp_path / "lanward.sqlite3"  # type: ignore[attr-defined]
    return run


def test_vulns_import_reports_counts_and_refuses_bad_files(lanward, tmp_path):
    done = lanward("vulns", "import", str(NVD_FILE), str(CVE5_DIR), str(KEV_JSON))
    assert done.returncode == 0, done.stderr
    assert "7 CVE records new, 4 updated" in done.stdout
    again = lanward("vulns", "import", str(NVD_FILE))
    assert "0 CVE records new, 0 updated, 7 unchanged" in again.stdout
    broken = tmp_path / "broken.json"
    broken.write_text('{"vulnerabilities": [')
    bad = lanward("vulns", "import", str(broken))
    assert bad.returncode == 1 and "not valid JSON" in bad.stdout
    assert "database is unchanged" in bad.stderr and "Traceback" not in bad.stderr


def test_scan_json_lists_findings_with_the_documented_fields(lanward):
    assert lanward("vulns", "import", str(NVD_FILE)).returncode == 0
    with (
        devices.ftp("2.3.4") as ftp,
        devices.web("lighttpd/1.4.35") as web,
        devices.telnet() as tel,
    ):
        ports = f"{ftp},{web},{tel}"
        done = lanward(
            "scan", "--target", "127.0.0.1", *LOOPBACK, "--ports", ports, "--no-passwords", "--json"
        )
    assert done.returncode == 0, done.stderr
    findings = json.loads(done.stdout)
    assert isinstance(findings, list) and findings
    for f in findings:
        assert {"kind", "severity", "address", "port", "service", "summary"} <= set(f)
        assert f["kind"] in ("default_password", "weak_password", "vulnerability", "configuration")
        assert f["severity"] in ("info", "low", "medium", "high", "critical")
        assert f["address"] == "127.0.0.1"
    cves = sorted(f["cve"] for f in findings if f["kind"] == "vulnerability")
    assert cves == ["CVE-2011-2523", "CVE-2015-3200", "CVE-2018-19052"]
    telnet = [f for f in findings if f["kind"] == "configuration" and f["service"] == "telnet"]
    assert telnet and telnet[0]["port"] == tel
    order = [f["severity"] for f in findings]
    assert order[0] == "critical"  # most serious first


def test_scan_text_output(lanward):
    lanward("vulns", "import", str(NVD_FILE))
    with devices.ftp("2.3.4") as ftp:
        done = lanward(
            "scan", "--target", "127.0.0.1", *LOOPBACK, "--ports", str(ftp), "--no-passwords"
        )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Security check of 1 device(s): 1 finding(s), 1 new")
    assert "CRITICAL  127.0.0.1:" in done.stdout and "CVE-2011-2523" in done.stdout
    assert "fix: Update" in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--target", "192.168.1.5", *LOOPBACK], "192.168.1.5 is outside the networks"),
        (["--target", "10.0.0.0/8", *LOOPBACK], "10.0.0.0/8 is outside"),
        (["--target", "printer", *LOOPBACK], "is not an address or network"),
        (["--target", "127.0.0.1", "--home-net", "home"], "is not a network"),
        (["--ports", "telnet", *LOOPBACK], "--ports takes numbers"),
    ],
)
def test_refusals_exit_2_with_a_clear_message(lanward, args, message):
    done = lanward("scan", *args)
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert message in done.stderr and done.stdout == ""
    assert "Traceback" not in done.stderr


def _wait_for_running(db: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if db.exists():
            try:
                with sqlite3.connect(db, timeout=1) as conn:
                    rows = conn.execute(
                        "SELECT count(*) FROM securitycheck_scanrun WHERE status='running'"
                    ).fetchone()
                if rows and rows[0]:
                    return
            except sqlite3.OperationalError:
                pass  # not migrated yet
        time.sleep(0.2)
    raise AssertionError("the scan never started")


def test_ctrl_c_cancels_cleanly_and_a_second_scan_is_refused_meanwhile(lanward):
    with devices.tarpit() as a, devices.tarpit() as b:
        proc = lanward.start("scan", "--target", "127.0.0.1", *LOOPBACK, "--ports", f"{a},{b}")
        try:
            _wait_for_running(lanward.db)
            busy = lanward("scan", "--target", "127.0.0.1", *LOOPBACK, "--ports", str(a))
            assert busy.returncode == 3 and "another security check is running" in busy.stderr
            started = time.monotonic()
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 130, err
    assert time.monotonic() - started < 15
    assert "cancelled" in err and "Traceback" not in err
    with sqlite3.connect(lanward.db) as conn:
        statuses = [r[0] for r in conn.execute("SELECT status FROM securitycheck_scanrun")]
    assert statuses == ["cancelled"]
