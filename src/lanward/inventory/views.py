"""Console pages: devices and members."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from lanward.lib.redirects import back
from lanward.usage import services as usage

from . import access
from .decorators import console_edit_required, console_required
from .forms import DeviceForm, MemberForm
from .models import (
    DEVICE_TYPES,
    Device,
    DeviceEvent,
    DeviceLink,
    Member,
    StationNotice,
    UnlinkedMac,
)


def _online_cutoff():  # type: ignore[no-untyped-def]
    return timezone.now() - timedelta(seconds=settings.LANWARD_OFFLINE_AFTER_SECONDS)


@console_required
def device_list(request: HttpRequest) -> HttpResponse:
    devices = Device.objects.select_related("owner")
    q = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    kind = request.GET.get("type", "")
    member = request.GET.get("member", "")
    if q:
        devices = devices.filter(
            Q(name__icontains=q)
            | Q(hostname__icontains=q)
            | Q(mac__icontains=q)
            | Q(ips__icontains=q)
            | Q(vendor__icontains=q)
            | Q(brand__icontains=q)
            | Q(model__icontains=q)
            | Q(user_brand__icontains=q)
            | Q(user_model__icontains=q)
        )
    cutoff = _online_cutoff()
    if status == "online":
        devices = devices.filter(last_seen__gte=cutoff)
    elif status == "offline":
        devices = devices.filter(last_seen__lt=cutoff)
    elif status == "new":
        devices = devices.filter(is_new=True)
    if kind:
        devices = devices.filter(Q(user_type=kind) | (Q(user_type="") & Q(type=kind)))
    if member == "none":
        devices = devices.filter(owner__isnull=True)
    elif member.isdigit():
        devices = devices.filter(owner_id=int(member))
    page = Paginator(devices.order_by("-last_seen", "mac"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "inventory/device_list.html",
        {
            "page": page,
            "q": q,
            "status": status,
            "type": kind,
            "member": member,
            "types": DEVICE_TYPES,
            "members": Member.objects.all(),
            "cutoff": cutoff,
            "counts": {
                "all": Device.objects.count(),
                "online": Device.objects.filter(last_seen__gte=cutoff).count(),
                "new": Device.objects.filter(is_new=True).count(),
            },
            "notices": StationNotice.objects.all()[:3],
        },
    )


@console_required
@require_http_methods(["GET", "POST"])
def device_detail(request: HttpRequest, pk: int) -> HttpResponse:
    device = get_object_or_404(Device.objects.select_related("owner"), pk=pk)
    form = DeviceForm(instance=device)
    if request.method == "POST":
        if not request.user.has_perm("inventory.change_device"):
            return render(request, "inventory/no_access.html", status=403)
        form = DeviceForm(request.POST, instance=device)
        if form.is_valid():
            changed = ", ".join(form.changed_data)
            device = form.save(commit=False)
            device.is_new = False
            # Only what the user edits: the station may have updated the rest meanwhile.
            device.save(update_fields=[*DeviceForm.Meta.fields, "is_new"])
            if changed:
                DeviceEvent.objects.create(
                    device=device, kind=DeviceEvent.Kind.EDITED, detail=f"changed {changed}"
                )
            messages.success(request, "Saved. lanward will not overwrite what you set.")
            return redirect("inventory:device", pk=device.pk)
    period = usage.period_from(request.GET.get("period") or "7d")
    evidence = sorted(
        device.evidence, key=lambda e: (-float(e.get("confidence", 0)), e.get("source", ""))
    )
    return render(
        request,
        "inventory/device_detail.html",
        {
            "device": device,
            "form": form,
            "online": device.last_seen >= _online_cutoff(),
            "evidence": evidence,
            "events": device.events.all()[:50],
            "links": device.links.all(),
            "period": period,
            "periods": usage.PERIODS,
            "days": usage.daily_series(period, device=device),
            "apps": usage.top_apps(period, device=device),
        },
    )


@console_edit_required
@require_POST
def device_access(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Approve, block or unblock the device (a POST from its page)."""
    device = get_object_or_404(Device, pk=pk)
    if action not in access.ACTIONS:
        messages.error(request, "Unknown action: approve, block or unblock a device.")
    else:
        via = "from an alert" if request.POST.get("from") == "alert" else "on its page"
        messages.success(request, access.set_access(device, action, request.user, via))
    return back(request, "inventory:device", pk)


@console_edit_required
@require_POST
def device_unlink(request: HttpRequest, pk: int, link_pk: int) -> HttpResponse:
    link = get_object_or_404(DeviceLink, pk=link_pk, device_id=pk)
    with transaction.atomic():
        UnlinkedMac.objects.get_or_create(mac=link.mac)
        DeviceEvent.objects.create(
            device=link.device, kind=DeviceEvent.Kind.UNLINKED, detail=link.mac
        )
        link.delete()
    messages.success(
        request, f"{link.mac} is no longer treated as this device; it will show up on its own."
    )
    return redirect("inventory:device", pk=pk)


# --- Members --------------------------------------------------------------------------------


@console_required
def member_list(request: HttpRequest) -> HttpResponse:
    period = usage.period_from(request.GET.get("period") or "7d")
    totals = {r["device__owner"]: r for r in usage.per_member(period)}
    members = list(Member.objects.annotate(n_devices=Count("devices")))
    for m in members:
        m.usage = totals.get(m.pk, {"up": 0, "down": 0, "total": 0})  # type: ignore[attr-defined]
    return render(
        request,
        "inventory/member_list.html",
        {
            "members": members,
            "period": period,
            "unassigned": Device.objects.filter(owner__isnull=True).count(),
        },
    )


@console_edit_required
@require_http_methods(["GET", "POST"])
def member_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    member = get_object_or_404(Member, pk=pk) if pk else Member()
    form = (
        MemberForm(request.POST, request.FILES, instance=member)
        if request.method == "POST"
        else MemberForm(instance=member)
    )
    if request.method == "POST" and form.is_valid():
        member = form.save()
        messages.success(request, f"{member.name} is saved.")
        return redirect("inventory:members")
    return render(request, "inventory/member_form.html", {"form": form, "member": member})


@console_edit_required
@require_http_methods(["GET", "POST"])
def member_delete(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_object_or_404(Member, pk=pk)
    if request.method == "POST":
        name = member.name
        member.picture.delete(save=False)
        member.delete()
        messages.success(request, f"{name} is removed; their devices are kept, with no owner.")
        return redirect("inventory:members")
    return render(request, "inventory/member_delete.html", {"member": member})


@console_required
def member_picture(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_object_or_404(Member, pk=pk)
    if not member.picture:
        raise Http404("no picture")
    try:
        handle = member.picture.open("rb")
    except FileNotFoundError:
        raise Http404("picture file missing") from None
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=300"
    return response
