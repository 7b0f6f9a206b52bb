"""`lanward scan` and `lanward vulns import`: the security check from the command line.

Exit codes of `lanward scan`: 0 the check ran (findings or not), 2 refused (a target outside
the protected networks, a bad address), 3 another check is running, 130 cancelled (Ctrl-C).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, TextIO

SEVERITY_LABEL = {"critical": "CRITICAL", "high": "HIGH", "medium": "MEDIUM", "low": "LOW"}


def add_parsers(sub: Any) -> None:
    scan = sub.add_parser(
        "scan",
        help="check home devices for default passwords and known vulnerabilities",
        description="Check the devices lanward knows on the protected networks (or the "
        "given targets) for default and weak passwords, risky settings and known "
        "vulnerabilities. Findings are kept in the console's Security check page too.",
    )
    scan.add_argument(
        "--target",
        action="append",
        metavar="ADDR|CIDR",
        help="an address, or a network whose known devices to check (repeatable); "
        "default: every known device on the protected networks",
    )
    scan.add_argument(
        "--home-net",
        action="append",
        metavar="CIDR",
        help="a protected network (repeatable); default: LANWARD_HOME_NETS, else private ranges",
    )
    scan.add_argument("--json", action="store_true", help="print the findings as a JSON list")
    scan.add_argument(
        "--ports", metavar="P,P,...", help="TCP ports to check instead of the default list"
    )
    scan.add_argument("--no-passwords", action="store_true", help="do not try any password")
    scan.add_argument(
        "--no-nmap",
        action="store_true",
        help="use only the built-in scanner, even with nmap installed",
    )

    vulns = sub.add_parser("vulns", help="the local vulnerability database")
    vulns_sub = vulns.add_subparsers(dest="vulns_command", required=True)
    imp = vulns_sub.add_parser(
        "import",
        help="import NVD CVE API 2.0 JSON, CVE JSON 5 records and the CISA KEV catalog",
    )
    imp.add_argument("paths", nargs="+", metavar="FILE", help="files or directories (.gz too)")
    imp.add_argument("--strict", action="store_true", help="skip a file with any bad record")


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lanward.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def _ports(text: str | None) -> tuple[int, ...] | None:
    if not text:
        return None
    try:
        ports = tuple(int(p) for p in text.split(",") if p.strip())
    except ValueError:
        raise ValueError(f"--ports takes numbers like 22,80,443, got {text!r}") from None
    if not ports or not all(0 < p < 65536 for p in ports):
        raise ValueError("ports are numbers from 1 to 65535")
    return ports


class ProgressBar:
    """One line on a terminal, redrawn in place: `[#####-----]  50% camera (192.168.1.20)`."""

    def __init__(self, stream: TextIO, width: int = 30) -> None:
        self.stream, self.width, self.shown = stream, width, False

    def __call__(self, fraction: float, current: str) -> None:
        filled = int(self.width * min(max(fraction, 0.0), 1.0))
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r[{bar}] {fraction * 100:3.0f}% {current[:40]:<40}")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self.stream.write("\r" + " " * (self.width + 48) + "\r")
            self.stream.flush()


def run_scan_command(opts: argparse.Namespace) -> int:
    try:
        ports = _ports(opts.ports)
    except ValueError as exc:
        print(f"lanward scan: {exc}", file=sys.stderr)
        return 2
    try:
        _setup()
    except KeyboardInterrupt:
        return 130
    from lanward.securitycheck import services
    from lanward.securitycheck.models import Finding, ScanRun
    from lanward.securitycheck.targets import ScanBusy, ScanRefused

    overrides: dict[str, Any] = {}
    if ports:
        overrides["ports"] = ports
    if opts.no_passwords:
        overrides["password_check"] = False
    if opts.no_nmap:
        overrides["use_nmap"] = False
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per probe is noise here
    bar = ProgressBar(sys.stderr) if sys.stderr.isatty() else None
    try:
        run = services.run_scan(
            opts.target or None,
            nets=tuple(opts.home_net or ()),
            origin="command line",
            progress=bar,
            options=overrides,
        )
    except ScanBusy as exc:
        print(f"lanward scan: {exc}", file=sys.stderr)
        return 3
    except ScanRefused as exc:
        print(f"lanward scan: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("lanward scan: cancelled", file=sys.stderr)
        return 130
    finally:
        if bar is not None:
            bar.close()
    findings = sorted(
        Finding.objects.filter(last_run=run, fixed_at__isnull=True).select_related("device"),
        key=lambda f: (-f.severity_rank, f.address, f.port or 0),
    )
    if opts.json:
        json.dump([f.as_dict() for f in findings], sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(_text(run, findings))
    for error in run.errors:
        print(f"note: {error}", file=sys.stderr)
    if run.status == ScanRun.Status.CANCELLED:
        print(
            "lanward scan: cancelled; the findings above are what it found so far", file=sys.stderr
        )
        return 130
    return 0 if run.status == ScanRun.Status.DONE else 1


def _text(run: Any, findings: list[Any]) -> str:
    s = run.summary
    lines = [
        f"Security check of {s.get('targets', 0)} device(s): {len(findings)} finding(s), "
        f"{s.get('new', 0)} new, {s.get('fixed', 0)} fixed since the last check."
    ]
    for f in findings:
        where = f"{f.address}:{f.port}" if f.port else f.address
        label = SEVERITY_LABEL.get(f.severity, f.severity.upper())
        lines.append(f"{label:<9} {where:<22} {f.service or '-':<10} {f.summary}")
        if f.fix:
            lines.append(f"{'':<9} fix: {f.fix}")
    return "\n".join(lines)


def run_vulns_command(opts: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lanward.settings")
    _setup()
    from django.core.management import call_command
    from django.core.management.base import CommandError

    try:
        call_command("import_vulns", *opts.paths, strict=opts.strict)
    except CommandError as exc:
        print(f"lanward vulns import: {exc}", file=sys.stderr)
        return 1
    return 0
