"""Time to scan 20 home devices: lanward's security-check scanner next to `nmap -sV`.

    .venv/bin/python bench/seccheck_scan.py [--devices 20] [--runs 1]

What it does, in one run (as root: it builds network namespaces):

1. builds an isolated LAN of network namespaces (tests/net/seccheck_devices.py) with
   `--devices` (20) test devices cycling through the test catalogue: IP cameras (HTTP Basic,
   TLS, RTSP), router login forms with UPnP, FTP servers, Telnet, SSH, RTSP cameras, NAS with
   old vsFTPd/lighttpd banners, and their hardened twins;
2. from inside the LAN's namespace, times
   - `nmap -sV -Pn -n -p <lanward's DEFAULT_PORTS> <all devices>` (service and version
     detection, nmap's defaults otherwise);
   - lanward's `scan_hosts` on the same devices and ports with the password check off
     (discovery, banners, HTTP/TLS/RTSP/UPnP probes and configuration checks: the same job);
   - lanward's `scan_hosts` with the password check on, default options (30 attempts per
     device, 0.2 s apart), for information: nmap -sV does no password check;
3. prints wall times, the open ports each found (they should agree) and

       ratio lanward_s/nmap_s = 0.25

Exit status: 0 when both ran (or, with a message, when not root or nmap is missing); 1 when
a scan failed. The namespaces and the devices are removed whatever happens.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from lanward.daemons.scanner import DEFAULT_PORTS, ScanOptions, Target, scan_hosts  # noqa: E402
from lanward.engine.seccheck import nmapxml  # noqa: E402
from tests.net import netns  # noqa: E402
from tests.net import seccheck_devices as sd  # noqa: E402


def catalogue(n: int) -> list[dict[str, Any]]:
    base = sd.weak_devices() + sd.hardened_devices() + sd.cve_devices()
    out = []
    for i in range(n):
        spec = dict(base[i % len(base)])
        spec["name"] = f"{spec['name']}-{i}"
        spec["ip"] = f"192.168.77.{100 + i}"
        spec["mac"] = f"02:00:00:00:01:{i:02x}"
        if spec["services"] and any(s["type"] == "ssdp" for s in spec["services"]):
            spec["services"] = [dict(s) for s in spec["services"]]
        out.append(spec)
    return out


def open_ports_ours(result: Any) -> set[tuple[str, int]]:
    return {(s.address, s.port) for s in result.services if s.transport == "tcp"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=20)
    parser.add_argument("--runs", type=int, default=1, help="runs of each; the fastest counts")
    args = parser.parse_args()
    reason = netns.unavailable_reason()
    if reason:
        print(f"seccheck_scan: skipped: {reason}")
        return 0
    if shutil.which("nmap") is None:
        print("seccheck_scan: skipped: nmap is not installed (apt-get install -y nmap)")
        return 0
    devices = catalogue(args.devices)
    lan = sd.SecLan(devices)
    addresses = [d["ip"] for d in devices]
    targets = [Target(d["ip"], d["mac"]) for d in devices]
    ports = ",".join(str(p) for p in DEFAULT_PORTS)
    try:
        lan.start(timeout=60)
        load_before = os.getloadavg()
        nmap_s, ours_s, full_s = [], [], []
        nmap_ports: set[tuple[str, int]] = set()
        ours_ports: set[tuple[str, int]] = set()
        for _ in range(args.runs):
            start = time.monotonic()
            run = lan.exec_in_lan(
                ["nmap", "-sV", "-Pn", "-n", "-p", ports, "-oX", "-", *addresses], timeout=1800
            )
            nmap_s.append(time.monotonic() - start)
            if run.returncode != 0:
                print(f"nmap failed: {run.stderr[-500:]}")
                return 1
            nmap_ports = {(s.address, s.port) for s in nmapxml.parse(run.stdout)}

            options = ScanOptions(protected_nets=(sd.SUBNET,), password_check=False, use_nmap=False)
            start = time.monotonic()
            result = lan.run_in_lan(lambda: scan_hosts(targets, options))  # noqa: B023
            ours_s.append(time.monotonic() - start)
            ours_ports = open_ports_ours(result)

            full = ScanOptions(protected_nets=(sd.SUBNET,), use_nmap=False)
            start = time.monotonic()
            with_passwords = lan.run_in_lan(lambda: scan_hosts(targets, full))  # noqa: B023
            full_s.append(time.monotonic() - start)
        load_after = os.getloadavg()
    except (RuntimeError, subprocess.SubprocessError, OSError) as exc:
        print(f"seccheck_scan: failed: {exc}")
        return 1
    finally:
        lan.destroy()
    asyncio.set_event_loop(None)
    passwords = sum(1 for f in with_passwords.findings if f["kind"] != "configuration")
    print(f"devices: {len(devices)}, ports each: {len(DEFAULT_PORTS)}, runs: {args.runs}")
    print(f"load average before/after: {load_before[0]:.2f} / {load_after[0]:.2f}")
    print(f"nmap -sV:                         {min(nmap_s):8.2f} s, {len(nmap_ports)} open ports")
    print(f"lanward scan (no password check): {min(ours_s):8.2f} s, {len(ours_ports)} open ports")
    print(
        f"lanward scan (password check):    {min(full_s):8.2f} s, "
        f"{sum(with_passwords.attempts.values())} login attempts, {passwords} password findings"
    )
    if nmap_ports != ours_ports:
        print(
            f"open ports differ: only nmap {sorted(nmap_ports - ours_ports)}, only lanward {sorted(ours_ports - nmap_ports)}"
        )
    print(f"ratio lanward_s/nmap_s = {min(ours_s) / min(nmap_s):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
