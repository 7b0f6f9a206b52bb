"""Console pages: web threat protection (lists, allowlist, member policy, query log, statistics)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from lanward.inventory.decorators import console_edit_required, console_required
from lanward.inventory.models import Device, Member
from lanward.lib.uploads import save_upload

from . import services
from .forms import AllowForm, DevicePolicyForm, ListForm, LookupForm, MemberPolicyForm
from .models import (
    DEFAULT_BLOCKED,
    AllowEntry,
    BlockListSource,
    DevicePolicy,
    MemberPolicy,
    QueryLog,
)


@console_required
def overview(request: HttpRequest) -> HttpResponse:
    since = timezone.now() - timedelta(hours=24)
    recent = QueryLog.objects.filter(time__gte=since)
    lookup = LookupForm(request.GET or None)
    decision = None
    if request.GET and lookup.is_valid():
        decision = services.why(lookup.cleaned_data["domain"])
    return render(
        request,
        "dnsfilter/overview.html",
        {
            "total": recent.count(),
            "blocked": recent.exclude(action__in=["allowed", "failed"]).count(),
            "top_blocked": recent.exclude(action__in=["allowed", "failed"])
            .exclude(name="")
            .values("name", "category")
            .annotate(n=Count("id"))
            .order_by("-n")[:10],
            "per_device": recent.values("device__name", "device__hostname", "client")
            .annotate(
                n=Count("id"), blocked=Count("id", filter=~Q(action__in=["allowed", "failed"]))
            )
            .order_by("-n")[:10],
            "lists": BlockListSource.objects.all(),
            "allow": AllowEntry.objects.select_related("device"),
            "members": Member.objects.select_related("dns_policy"),
            "device_policies": DevicePolicy.objects.select_related("device"),
            "all_devices": Device.objects.order_by("name", "hostname"),
            "list_form": ListForm(),
            "allow_form": AllowForm(),
            "lookup": lookup,
            "decision": decision,
            "default_blocked": DEFAULT_BLOCKED,
            "hours": _hourly(since),
        },
    )


def _hourly(since):  # type: ignore[no-untyped-def]
    """Lookups per hour of the last day, blocked vs allowed, for the chart."""
    from django.db.models.functions import TruncHour

    rows = (
        QueryLog.objects.filter(time__gte=since)
        .annotate(hour=TruncHour("time"))
        .values("hour")
        .annotate(
            total=Count("id"), blocked=Count("id", filter=~Q(action__in=["allowed", "failed"]))
        )
        .order_by("hour")
    )
    return [
        {
            "label": timezone.localtime(r["hour"]).strftime("%H:00"),
            "up": r["blocked"],
            "down": r["total"] - r["blocked"],
        }
        for r in rows
    ]


@console_edit_required
@require_POST
def add_list(request: HttpRequest) -> HttpResponse:
    form = ListForm(request.POST, request.FILES)
    if form.is_valid():
        source = form.save(commit=False)
        upload = form.cleaned_data.get("upload")
        if upload:
            source.source = str(save_upload(upload, Path(settings.DATA_DIR) / "lists" / "uploads"))
        source.save()
        services.build_policy(
            max_age=services.CONSOLE_MAX_AGE
        )  # parse now so the page shows its size and any rejected lines
        messages.success(request, f"{source.name} added. The resolver uses it within seconds.")
    else:
        for field, errors in form.errors.items():
            messages.error(request, f"{field}: {' '.join(errors)}")
    return redirect("dnsfilter:overview")


@console_edit_required
@require_POST
def toggle_list(request: HttpRequest, pk: int) -> HttpResponse:
    source = get_object_or_404(BlockListSource, pk=pk)
    if request.POST.get("action") == "delete":
        source.delete()
        messages.success(request, f"{source.name} removed.")
    else:
        source.enabled = not source.enabled
        source.save(update_fields=["enabled"])
    return redirect("dnsfilter:overview")


@console_edit_required
@require_POST
def allow(request: HttpRequest) -> HttpResponse:
    if request.POST.get("action") == "delete":
        pk = request.POST.get("pk", "")
        if pk.isdigit():  # anything else names no entry (and must not be a server error)
            AllowEntry.objects.filter(pk=pk).delete()
        return redirect("dnsfilter:overview")
    form = AllowForm(request.POST)
    if form.is_valid():
        device = form.cleaned_data.get("device")
        AllowEntry.objects.get_or_create(domain=form.cleaned_data["domain"], device=device)
        where = f" on {device}" if device else ""
        messages.success(request, f"{form.cleaned_data['domain']} is never blocked{where} now.")
    else:
        messages.error(request, " ".join(form.errors.get("domain", [])))
    return redirect("dnsfilter:overview")


@console_edit_required
@require_http_methods(["GET", "POST"])
def member_policy(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_object_or_404(Member, pk=pk)
    policy = MemberPolicy.objects.filter(member=member).first() or MemberPolicy(
        member=member, blocked_categories=list(DEFAULT_BLOCKED)
    )
    form = MemberPolicyForm(request.POST if request.method == "POST" else None, instance=policy)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Protection for {member.name} is saved.")
        return redirect("dnsfilter:overview")
    return render(request, "dnsfilter/member_policy.html", {"member": member, "form": form})


@console_edit_required
@require_http_methods(["GET", "POST"])
def device_policy(request: HttpRequest, pk: int) -> HttpResponse:
    device = get_object_or_404(Device, pk=pk)
    policy = DevicePolicy.objects.filter(device=device).first() or DevicePolicy(
        device=device, blocked_categories=list(DEFAULT_BLOCKED)
    )
    form = DevicePolicyForm(request.POST if request.method == "POST" else None, instance=policy)
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data.get("use_owner"):
            DevicePolicy.objects.filter(device=device).delete()
            messages.success(request, f"{device} follows its owner's protection again.")
        else:
            form.save()
            messages.success(request, f"Protection for {device} is saved.")
        return redirect("dnsfilter:overview")
    return render(request, "dnsfilter/device_policy.html", {"device": device, "form": form})


@console_required
def query_log(request: HttpRequest) -> HttpResponse:
    entries = QueryLog.objects.select_related("device", "member")
    q = request.GET.get("q", "").strip()
    action = request.GET.get("action", "")
    if q:
        entries = entries.filter(
            Q(name__icontains=q)
            | Q(client__icontains=q)
            | Q(device__name__icontains=q)
            | Q(device__hostname__icontains=q)
        )
    if action == "blocked":
        entries = entries.exclude(action__in=["allowed", "failed"])
    elif action == "allowed":
        entries = entries.filter(action="allowed")
    page = Paginator(entries, 100).get_page(request.GET.get("page"))
    return render(request, "dnsfilter/log.html", {"page": page, "q": q, "action": action})
