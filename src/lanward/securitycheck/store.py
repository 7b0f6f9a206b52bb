"""Findings into the database: known vulnerabilities from the services, upserts by finding key,
`fixed_at` for what a re-scan no longer finds, and a notice for new high-severity problems."""

from __future__ import annotations

import hashlib
import textwrap
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from lanward.inventory.models import Device, StationNotice

from .models import SEVERITY_ORDER, Finding, ScanRun, Vulnerability, severity_from_cvss
from .vulndb import kev_ids, match_report

PASSWORD_KINDS = (Finding.Kind.DEFAULT_PASSWORD, Finding.Kind.WEAK_PASSWORD)
NOTIFY_SEVERITIES = ("high", "critical")


def vulnerability_findings(services: Iterable[Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """A finding per (service, CVE) the local database knows for the service's product and
    version; and a note per CVE whose range could not be compared with the version."""
    found: list[dict[str, Any]] = []
    notes: list[str] = []
    for service in services:
        product = service.cpe or service.product
        if not product or not service.version and not service.cpe:
            continue
        try:
            report = match_report(
                product, service.version, service.vendor if not service.cpe else ""
            )
        except ValueError as exc:  # a CPE the scanner built that does not parse
            notes.append(f"{service.address}:{service.port}: {exc}")
            continue
        for m in report.undecided:
            notes.append(f"{service.address}:{service.port}: {m.cve} not checked: {m.why}")
        if not report.matches:
            continue
        vulns = {
            v.cve_id: v
            for v in Vulnerability.objects.filter(cve_id__in=[m.cve for m in report.matches])
        }
        kev = kev_ids(vulns)
        for m in report.matches:
            found.append(_vuln_finding(service, vulns[m.cve], kev.get(m.cve), m.why))
    return found, notes


def _vuln_finding(service: Any, vuln: Vulnerability, kev: Any, why: str) -> dict[str, Any]:
    name = " ".join(x for x in (service.product, service.version) if x) or service.cpe
    where = f"{service.address} port {service.port}"
    summary = f"{name} on {where} has a known vulnerability, {vuln.cve_id}"
    if kev is not None:
        summary += ", which attackers are known to exploit in the wild"
    summary += ". " + textwrap.shorten(vuln.description or "", 300, placeholder=" …")
    fix = (
        f"Update the device's firmware (or the {service.product or 'software'}) to a version "
        f"the maker lists as fixed for {vuln.cve_id}. If no update exists, keep the service "
        "off the network or replace the device."
    )
    if kev is not None and kev.required_action:
        fix += f" CISA's advice: {kev.required_action}"
    severity = severity_from_cvss(vuln.cvss)
    if kev is not None and SEVERITY_ORDER[severity] < SEVERITY_ORDER["high"]:
        severity = "high"  # exploited in the wild outranks its score
    return {
        "kind": "vulnerability",
        "severity": severity,
        "address": service.address,
        "port": service.port,
        "service": service.name,
        "check": f"cve-{vuln.cve_id}",
        "summary": summary[:500],
        "fix": fix,
        "cve": vuln.cve_id,
        "cvss": vuln.cvss,
        "kev": kev is not None,
        "evidence": {
            "why": why,
            "product": service.product,
            "version": service.version,
            "cpe": service.cpe,
            "banner": (service.banner or "")[:200],
            "cwes": vuln.cwes,
            "kev_added": kev.date_added.isoformat() if kev is not None and kev.date_added else None,
        },
    }


def finding_key(device: Device | None, address: str, f: dict[str, Any]) -> str:
    who = f"device:{device.pk}" if device is not None else f"address:{address}"
    check = f.get("check") or f.get("cve") or f.get("summary", "")
    text = f"{who}|{f.get('kind')}|{f.get('port')}|{f.get('transport', 'tcp')}|{check}"
    return hashlib.sha256(text.encode()).hexdigest()[:64]


def store_findings(
    run: ScanRun,
    findings: list[dict[str, Any]],
    devices: dict[str, Device | None],
    complete: set[str],
    password_check: bool,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Upsert the run's findings; close what complete targets no longer show. Returns counts
    and the new findings (for notices)."""
    now = now or timezone.now()
    new: list[Finding] = []
    seen_keys: set[str] = set()
    with transaction.atomic():
        for f in findings:
            address = str(f.get("address", ""))
            device = devices.get(address)
            key = finding_key(device, address, f)
            if key in seen_keys:
                continue
            seen_keys.add(key)
            values = _values(f)
            row = Finding.objects.select_for_update().filter(key=key).first()
            if row is None:
                row = Finding.objects.create(
                    key=key,
                    device=device,
                    address=address,
                    first_seen=now,
                    last_seen=now,
                    first_run=run,
                    last_run=run,
                    **values,
                )
                new.append(row)
            else:
                reopened = row.fixed_at is not None
                for name, value in values.items():
                    setattr(row, name, value)
                row.address, row.last_seen, row.last_run, row.fixed_at = address, now, run, None
                row.save()
                if reopened:
                    new.append(row)
        fixed = 0
        for address in complete:
            device = devices.get(address)
            still_open = Finding.objects.filter(fixed_at__isnull=True).exclude(key__in=seen_keys)
            still_open = (
                still_open.filter(device=device)
                if device
                else still_open.filter(device__isnull=True, address=address)
            )
            if not password_check:
                still_open = still_open.exclude(kind__in=PASSWORD_KINDS)
            fixed += still_open.update(fixed_at=now)
    return {"findings": len(seen_keys), "new": len(new), "fixed": fixed, "new_rows": new}


def _values(f: dict[str, Any]) -> dict[str, Any]:
    severity = str(f.get("severity", "info")).lower()
    credential = f.get("credential") or {}
    port = f.get("port")
    return {
        "kind": f.get("kind", Finding.Kind.CONFIGURATION)
        if f.get("kind") in Finding.Kind.values
        else Finding.Kind.CONFIGURATION,
        "severity": severity if severity in Finding.Severity.values else "info",
        "cvss": f.get("cvss"),
        "service": str(f.get("service", ""))[:64],
        "port": port if isinstance(port, int) and 0 < port < 65536 else None,
        "cve": str(f.get("cve", ""))[:32],
        "kev": bool(f.get("kev")),
        "summary": str(f.get("summary", ""))[:500],
        "fix": str(f.get("fix", "")),
        "evidence": f.get("evidence") or {},
        "credential_list": str(credential.get("list", ""))[:64],
        "credential_vendor": str(credential.get("vendor", ""))[:100],
        "credential_username": str(credential.get("username", ""))[:100],
    }


def notify_new(new: list[Finding]) -> int:
    """One station notice per device with new high or critical findings."""
    by_device: dict[str, list[Finding]] = defaultdict(list)
    for f in new:
        if f.severity in NOTIFY_SEVERITIES:
            by_device[f.device.display_name if f.device else f.address].append(f)
    for name, items in by_device.items():
        items.sort(key=lambda f: -f.severity_rank)
        what = "; ".join(_short(f) for f in items[:3])
        more = f" and {len(items) - 3} more" if len(items) > 3 else ""
        message = (
            f"Security check: {name} has {len(items)} new serious problem"
            f"{'s' if len(items) > 1 else ''}: {what}{more}. See Security check for how to fix."
        )
        StationNotice.objects.create(kind="security_check", message=message[:500])
    return len(by_device)


def _short(f: Finding) -> str:
    if f.kind == Finding.Kind.VULNERABILITY:
        return f"{f.cve}{' (exploited in the wild)' if f.kev else ''} on port {f.port}"
    label = Finding.Kind(f.kind).label.lower()
    return f"{label} on {f.service or 'port'} {f.port or ''}".strip()
