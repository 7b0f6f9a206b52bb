"""Console pages: alerts (newest first, folded repeats), the owner's allowances, EVE export."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from lanward.inventory.decorators import console_edit_required, console_required
from lanward.inventory.models import Device
from lanward.lib.redirects import back
from lanward.lib.uploads import save_upload

from .advice import eve, recommendation
from .forms import FeedForm
from .models import Alert, RemoteAccessAllowance, RouterApproval, ThreatFeed

CONSOLE_MAX_AGE = 6 * 3600  # the console reads local copies younger than this
DURATIONS = {"hour": timedelta(hours=1), "day": timedelta(days=1), "forever": None}


def _filtered(request: HttpRequest) -> tuple[QuerySet[Alert], dict[str, object]]:
    alerts = Alert.objects.select_related("device")
    severity = request.GET.get("severity", "")
    kind = request.GET.get("kind", "")
    if severity in Alert.Severity.values:
        alerts = alerts.filter(severity=severity)
    else:
        severity = ""
    if kind in Alert.Kind.values:
        alerts = alerts.filter(kind=kind)
    else:
        kind = ""
    open_only = request.GET.get("open") == "1"
    if open_only:
        alerts = alerts.filter(acknowledged=False)
    device = None
    wanted = request.GET.get("device", "")
    if wanted.isdigit():
        device = Device.objects.filter(pk=int(wanted)).first()
        alerts = alerts.filter(device=device) if device is not None else alerts.none()
    filters = {"severity": severity, "kind": kind, "open_only": open_only, "device": device}
    return alerts, filters


@console_required
def alert_list(request: HttpRequest) -> HttpResponse:
    alerts, filters = _filtered(request)
    page = Paginator(alerts, 50).get_page(request.GET.get("page"))
    for a in page:
        a.advice = recommendation(a)  # type: ignore[attr-defined]
    return render(
        request,
        "threats/alert_list.html",
        {
            "page": page,
            "severities": Alert.Severity.choices,
            "kinds": Alert.Kind.choices,
            "query": request.GET.urlencode(),
            **filters,
        },
    )


@console_required
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    alert = get_object_or_404(Alert.objects.select_related("device"), pk=pk)
    evidence = alert.evidence if isinstance(alert.evidence, dict) else {}
    return render(
        request,
        "threats/alert_detail.html",
        {
            "a": alert,
            "advice": recommendation(alert),
            "evidence": sorted(evidence.items()),
            "evidence_json": json.dumps(evidence, indent=2, sort_keys=True, default=str),
        },
    )


@console_required
def export_eve(request: HttpRequest) -> StreamingHttpResponse:
    """EVE-JSON `alert` lines (one JSON object per line) for SIEM tools."""
    alerts, _ = _filtered(request)

    def lines() -> object:
        for a in alerts.iterator(chunk_size=500):
            yield json.dumps(eve(a), default=str) + "\n"

    response = StreamingHttpResponse(lines(), content_type="application/x-ndjson")
    response["Content-Disposition"] = 'attachment; filename="lanward-alerts.eve.json"'
    return response


def _back(request: HttpRequest) -> HttpResponse:
    return back(request, "threats:alerts")


def _duration(request: HttpRequest) -> tuple[str, timedelta | None] | None:
    choice = request.POST.get("duration", "")
    if choice not in DURATIONS:
        return None
    return choice, DURATIONS[choice]


@console_edit_required
@require_POST
def acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    alert = get_object_or_404(Alert, pk=pk)
    alert.acknowledged = True
    alert.save(update_fields=["acknowledged"])
    return _back(request)


@console_edit_required
@require_POST
def allow_from_alert(request: HttpRequest, pk: int) -> HttpResponse:
    """Remote access: allow this program on this device. Router access: approve the device."""
    alert = get_object_or_404(Alert.objects.select_related("device"), pk=pk)
    picked = _duration(request)
    if alert.device is None or picked is None:
        messages.error(
            request,
            "That alert has no device lanward knows, or the time was not one of the choices; "
            "add the allowance on the Allowances page instead.",
        )
        return _back(request)
    until = timezone.now() + picked[1] if picked[1] else None
    if alert.kind == Alert.Kind.REMOTE_ACCESS and alert.app:
        RemoteAccessAllowance.objects.update_or_create(
            device=alert.device,
            app=alert.app,
            defaults={"until": until, "created_by": request.user},
        )
        what = f"{alert.app} is allowed on {alert.device}"
    elif alert.kind == Alert.Kind.ROUTER_ACCESS:
        RouterApproval.objects.update_or_create(
            device=alert.device, defaults={"until": until, "created_by": request.user}
        )
        what = f"{alert.device} may manage the router"
    else:
        messages.error(request, "Only remote-access and router-access alerts can be allowed.")
        return _back(request)
    Alert.objects.filter(pk=alert.pk).update(acknowledged=True)
    messages.success(request, f"{what} {'for good' if until is None else f'until {until:%H:%M}'}.")
    return _back(request)


@console_required
def allowances(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "threats/allowances.html",
        {
            "remote": RemoteAccessAllowance.objects.select_related("device").order_by(
                "device__name", "app"
            ),
            "router": RouterApproval.objects.select_related("device").order_by("device__name"),
            "devices": Device.objects.order_by("name", "mac"),
            "now": timezone.now(),
        },
    )


@console_edit_required
@require_POST
def add_allowance(request: HttpRequest) -> HttpResponse:
    raw = request.POST.get("device", "")
    device = Device.objects.filter(pk=int(raw)).first() if raw.isdigit() else None
    picked = _duration(request)
    what = request.POST.get("what", "")
    app = request.POST.get("app", "").strip()
    if device is None or picked is None or what not in ("remote", "router"):
        messages.error(request, "Choose a device, what to allow and for how long.")
        return redirect("threats:allowances")
    until = timezone.now() + picked[1] if picked[1] else None
    if what == "router":
        RouterApproval.objects.update_or_create(
            device=device, defaults={"until": until, "created_by": request.user}
        )
    else:
        if not app or len(app) > 64:
            messages.error(request, "Name the remote-control program (e.g. RDP, VNC, SSH) or *.")
            return redirect("threats:allowances")
        RemoteAccessAllowance.objects.update_or_create(
            device=device, app=app, defaults={"until": until, "created_by": request.user}
        )
    messages.success(request, "Saved. The station applies it within seconds.")
    return redirect("threats:allowances")


@console_edit_required
@require_POST
def revoke(request: HttpRequest, what: str, pk: int) -> HttpResponse:
    model = {"remote": RemoteAccessAllowance, "router": RouterApproval}.get(what)
    if model is None:
        return redirect("threats:allowances")
    get_object_or_404(model, pk=pk).delete()
    messages.success(request, "Removed.")
    return redirect("threats:allowances")


@console_required
def feeds(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "threats/feeds.html",
        {"feeds": ThreatFeed.objects.all(), "form": FeedForm()},
    )


def _refresh_feeds() -> None:
    from .feeds import load_feeds

    load_feeds(max_age=CONSOLE_MAX_AGE)  # parse now so the page shows counts and problems


@console_edit_required
@require_POST
def add_feed(request: HttpRequest) -> HttpResponse:
    form = FeedForm(request.POST, request.FILES)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{field}: {' '.join(errors)}")
        return redirect("threats:feeds")
    feed = form.save(commit=False)
    upload = form.cleaned_data.get("upload")
    if upload:
        feed.source = str(save_upload(upload, Path(settings.DATA_DIR) / "feeds" / "uploads"))
    feed.save()
    _refresh_feeds()
    messages.success(request, f"{feed.name} added. The station uses it within a minute.")
    return redirect("threats:feeds")


@console_edit_required
@require_POST
def change_feed(request: HttpRequest, pk: int) -> HttpResponse:
    feed = get_object_or_404(ThreatFeed, pk=pk)
    action = request.POST.get("action", "")
    if action == "delete":
        feed.delete()
        messages.success(request, f"{feed.name} removed.")
    elif action == "toggle":
        feed.enabled = not feed.enabled
        feed.save(update_fields=["enabled"])
        if feed.enabled:
            _refresh_feeds()
    elif action == "refresh":
        from .feeds import load_feeds

        load_feeds(max_age=0)
        messages.success(request, "Feeds refreshed.")
    return redirect("threats:feeds")
