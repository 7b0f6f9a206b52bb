"""The security check's SMBv1 check against Debian's samba (smbd) in network namespaces.

Two NAS devices run a real smbd each (tests/net/seccheck_devices.py, `smb_devices()`), with
an smb.conf of their own: `nas-smb1` has `server min protocol = NT1`, so it still takes SMBv1;
its twin `nas-smb2` keeps samba's default minimum (SMB2_02). samba's own client, smbclient,
first proves which one speaks SMBv1 (an NT1-only session works on one and is refused by the
other, while a default session works on both); then the scanner, running in the LAN's
namespace as the station would, must report `smb1-enabled` on the first and nothing on the
second, and still see port 445 of the second as SMB.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lanward.daemons.scanner import ScanOptions, ScanResult, Target, scan_hosts
from tests.net import netns
from tests.net import seccheck_devices as sd

pytestmark = [pytest.mark.xdist_group("netns")]

DEVICES = sd.smb_devices()
NAS, TWIN = (next(d for d in DEVICES if d["name"] == n) for n in ("nas-smb1", "nas-smb2"))
NT1_ONLY = ["--option=client min protocol=NT1", "--option=client max protocol=NT1"]
INSTALL = "bash scripts/test-services.sh installs it"


def installed(name: str) -> bool:
    return shutil.which(name) is not None or os.access(f"/usr/sbin/{name}", os.X_OK)


@pytest.fixture(scope="module")
def lan() -> Iterator[sd.SecLan]:
    if not installed("smbd"):
        pytest.skip(f"Debian's samba (smbd) is not installed: {INSTALL}")
    reason = netns.unavailable_reason()
    if reason:
        pytest.skip(reason)
    seclan = sd.SecLan(DEVICES)
    try:
        seclan.start()
        yield seclan
    finally:
        seclan.destroy()


@pytest.fixture(scope="module")
def scan(lan: sd.SecLan) -> ScanResult:
    options = ScanOptions(
        protected_nets=(sd.SUBNET,), delay_s=0.02, connect_timeout_s=1.0, use_nmap=False
    )
    targets = [Target(d["ip"], d["mac"]) for d in DEVICES]
    result: ScanResult = lan.run_in_lan(lambda: scan_hosts(targets, options))
    return result


def smbclient(lan: sd.SecLan, *args: str) -> tuple[int, str]:
    if not installed("smbclient"):
        pytest.skip(f"Debian's smbclient is not installed: {INSTALL}")
    done = lan.exec_in_lan(["smbclient", *args], timeout=60)
    return done.returncode, done.stdout + done.stderr


def findings_of(result: ScanResult, ip: str) -> set[tuple[Any, ...]]:
    return {
        (f["port"], f["kind"], f["check"], f["service"], f["severity"])
        for f in result.findings
        if f["address"] == ip
    }


def test_smbclient_confirms_which_nas_speaks_smb1(lan: sd.SecLan) -> None:
    """The oracle: samba's own client, from the station's namespace."""
    code, out = smbclient(lan, "-L", f"//{NAS['ip']}", "-N", *NT1_ONLY)
    assert code == 0, out
    assert "media" in out and "Disk" in out

    code, out = smbclient(lan, "-L", f"//{TWIN['ip']}", "-N", *NT1_ONLY)
    assert code != 0, out
    assert "protocol negotiation failed" in out
    assert "media" not in out

    # Both are working file servers over SMB2+ (the twin is not merely down).
    for device in (NAS, TWIN):
        code, out = smbclient(lan, f"//{device['ip']}/media", "-N", "-c", "ls")
        assert code == 0, out
        assert "readme.txt" in out


def test_scanner_reports_smb1_on_the_nt1_nas_only(scan: ScanResult) -> None:
    assert scan.errors == []
    assert findings_of(scan, NAS["ip"]) == {(445, "configuration", "smb1-enabled", "smb", "high")}
    assert findings_of(scan, TWIN["ip"]) == set()

    services = {(s.address, s.port): s for s in scan.services}
    for device, speaks_smb1 in ((NAS, True), (TWIN, False)):
        smb = services[(device["ip"], 445)]
        assert smb.name == "smb"
        assert smb.evidence.get("smb1") is speaks_smb1
        assert "probe_error" not in smb.evidence
    # Only 445 is open: NetBIOS (139) is off on both.
    assert {(a, p) for a, p in services if a in (NAS["ip"], TWIN["ip"])} == {
        (NAS["ip"], 445),
        (TWIN["ip"], 445),
    }


def smbd_alive(conf: Path) -> list[int]:
    """Running (not zombie) processes whose command line names this smb.conf."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if str(conf).encode() in cmdline and state != "Z":
            pids.append(int(proc.name))
    return pids


def test_smbd_stops_with_its_device(lan: sd.SecLan, scan: ScanResult) -> None:
    """Killing the device (SIGKILL, no clean-up of its own) takes its smbd down too."""
    conf = lan.work / f"{TWIN['name']}-smbd" / "smb.conf"
    assert smbd_alive(conf), "the twin's smbd should be running before its device is killed"
    lan.kill(TWIN["name"])
    deadline = time.monotonic() + 10
    while smbd_alive(conf) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert smbd_alive(conf) == []
