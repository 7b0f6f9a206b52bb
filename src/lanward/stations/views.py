"""Portal pages: the account's stations, pairing codes, removal."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from lanward.licensing.models import License

from . import services
from .models import PairingCode, Station


@login_required
def station_list(request: HttpRequest) -> HttpResponse:
    stations = Station.objects.filter(owner=request.user, removed_at__isnull=True).select_related(
        "license__plan"
    )
    licenses = [
        lic
        for lic in License.objects.filter(owner=request.user).select_related("plan")
        if lic.is_usable()
    ]
    seats = sum(lic.plan.seats for lic in licenses)
    code = (
        PairingCode.objects.filter(
            owner=request.user, used_at__isnull=True, expires_at__gt=timezone.now()
        )
        .order_by("-created")
        .first()
    )
    return render(
        request,
        "stations/station_list.html",
        {
            "stations": stations,
            "seats": seats,
            "used": stations.count(),
            "code": code,
            "has_license": bool(licenses),
        },
    )


@login_required
@require_POST
def new_pairing_code(request: HttpRequest) -> HttpResponse:
    PairingCode.objects.filter(owner=request.user, used_at__isnull=True).update(
        expires_at=timezone.now()
    )
    code = PairingCode.issue(request.user)
    messages.info(request, f"Pairing code {code.pretty} works once, for 15 minutes.")
    return redirect("stations:stations")


@login_required
@require_http_methods(["GET", "POST"])
def remove_station(request: HttpRequest, pk: str) -> HttpResponse:
    station = get_object_or_404(Station, pk=pk, owner=request.user, removed_at__isnull=True)
    if request.method == "POST":
        services.remove(station)
        messages.success(request, f"{station.name} is removed; its seat is free.")
        return redirect("stations:stations")
    return render(request, "stations/remove.html", {"station": station})
