"""Console pages: the security check overview, one device's findings, scan now / cancel /
re-check (queued for the job runner, never run in the request), and a small status JSON."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from lanward.inventory.decorators import console_edit_required, console_required
from lanward.inventory.models import Device

from . import services
from .explain import KEV_NOTE, meaning
from .models import SEVERITY_ORDER, Finding, ScanRun
from .targets import ScanRefused, resolve

SEVERITIES = ["critical", "high", "medium", "low", "info"]


def _run_dict(run: ScanRun | None) -> dict[str, Any] | None:
    if run is None:
        return None
    return {
        "id": run.pk,
        "status": run.status,
        "status_label": run.get_status_display(),
        "trigger": run.get_trigger_display(),
        "progress": run.progress,
        "current_target": run.current_target,
        "cancel_requested": run.cancel_requested,
        "created": run.created.isoformat(),
        "started": run.started.isoformat() if run.started else None,
        "finished": run.finished.isoformat() if run.finished else None,
        "summary": run.summary,
    }


def _state() -> dict[str, Any]:
    active = list(
        ScanRun.objects.filter(status__in=[ScanRun.Status.RUNNING, ScanRun.Status.QUEUED])
    )
    # The one to show: the running scan, else the next to start (on-demand ones go first).
    active.sort(key=lambda r: (r.status != "running", r.trigger != "manual", r.created))
    return {
        "active": active[0] if active else None,
        "last": ScanRun.objects.exclude(finished__isnull=True).order_by("-finished").first(),
        "next_scheduled": services.next_scheduled(),
        "schedule_off": services.schedule_off_reason(),
    }


@console_required
def overview(request: HttpRequest) -> HttpResponse:
    open_findings = Finding.objects.filter(fixed_at__isnull=True)
    counts = (
        open_findings.values("device", "address", "severity").annotate(n=Count("id")).order_by()
    )
    rows: dict[Any, dict[str, Any]] = defaultdict(lambda: {"counts": {}, "total": 0, "worst": -1})
    for c in counts:
        row = rows[c["device"] or c["address"]]
        row["counts"][c["severity"]] = row["counts"].get(c["severity"], 0) + c["n"]
        row["total"] += c["n"]
        row["worst"] = max(row["worst"], SEVERITY_ORDER.get(c["severity"], 0))
        row["address"] = c["address"]
    devices = Device.objects.in_bulk([k for k in rows if isinstance(k, int)])
    table = []
    for key, row in rows.items():
        row["device"] = devices.get(key) if isinstance(key, int) else None
        row["cells"] = [row["counts"].get(s, 0) for s in SEVERITIES]
        table.append(row)
    table.sort(key=lambda r: (-r["worst"], -r["total"]))
    state = _state()
    return render(
        request,
        "securitycheck/overview.html",
        {
            "table": table,
            "severities": SEVERITIES,
            "kev_open": open_findings.filter(kev=True).count(),
            "fixed_recently": Finding.objects.filter(fixed_at__isnull=False).order_by("-fixed_at")[
                :10
            ],
            "runs": ScanRun.objects.all()[:10],
            "manual_active": ScanRun.objects.filter(
                trigger=ScanRun.Trigger.MANUAL,
                status__in=[ScanRun.Status.QUEUED, ScanRun.Status.RUNNING],
            ).exists(),
            "min_interval_minutes": settings.LANWARD_SCAN_MIN_INTERVAL_MINUTES,
            "now": timezone.now(),
            **state,
        },
    )


@console_required
def device_findings(request: HttpRequest, pk: int) -> HttpResponse:
    device = get_object_or_404(Device, pk=pk)
    findings = list(Finding.objects.filter(device=device))
    findings.sort(key=lambda f: (f.fixed_at is not None, -f.severity_rank, -(f.cvss or 0)))
    for f in findings:
        f.meaning = meaning(f.kind)  # type: ignore[attr-defined]
    active = ScanRun.objects.filter(
        Q(status=ScanRun.Status.RUNNING) | Q(status=ScanRun.Status.QUEUED)
    ).first()
    return render(
        request,
        "securitycheck/device.html",
        {"device": device, "findings": findings, "kev_note": KEV_NOTE, "active": active},
    )


@console_required
def status(request: HttpRequest) -> JsonResponse:
    state = _state()
    return JsonResponse(
        {
            "active": _run_dict(state["active"]),
            "last": _run_dict(state["last"]),
            "next_scheduled": state["next_scheduled"].isoformat()
            if state["next_scheduled"]
            else None,
            "open_findings": Finding.objects.filter(fixed_at__isnull=True).count(),
        }
    )


def _queue(request: HttpRequest, **kwargs: Any) -> None:
    try:
        run = services.request_scan(
            ScanRun.Trigger.MANUAL, user=request.user, origin="console", **kwargs
        )
    except ScanRefused as exc:
        messages.error(request, str(exc))
        return
    messages.success(
        request,
        f"Security check {run.pk} is queued; it starts within a few seconds and this page "
        "shows its progress.",
    )


@console_edit_required
@require_POST
def scan_now(request: HttpRequest) -> HttpResponse:
    _queue(request)
    return redirect("securitycheck:overview")


@console_edit_required
@require_POST
def recheck(request: HttpRequest, pk: int) -> HttpResponse:
    device = get_object_or_404(Device, pk=pk)
    planned, notes = resolve(device_ids=[device.pk])
    if not planned:
        messages.error(
            request,
            f"{notes[0]}. lanward checks only devices on the networks this station protects "
            "(LANWARD_HOME_NETS).",
        )
    else:
        _queue(request, device_ids=[device.pk])
    return redirect("securitycheck:device", pk=device.pk)


@console_edit_required
@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(ScanRun, pk=pk)
    if run.active:
        services.cancel(run)
        messages.success(request, f"Security check {run.pk} is being cancelled.")
    else:
        messages.error(request, f"Security check {run.pk} has already ended.")
    return redirect("securitycheck:overview")
