"""Console page: alerts, newest first, with what happened in plain words."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from lanward.inventory.decorators import console_edit_required, console_required

from .models import Alert


@console_required
def alert_list(request: HttpRequest) -> HttpResponse:
    alerts = Alert.objects.select_related("device")
    severity = request.GET.get("severity", "")
    if severity in Alert.Severity.values:
        alerts = alerts.filter(severity=severity)
    if request.GET.get("open") == "1":
        alerts = alerts.filter(acknowledged=False)
    page = Paginator(alerts, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "threats/alert_list.html",
        {
            "page": page,
            "severity": severity,
            "severities": Alert.Severity.choices,
            "open_only": request.GET.get("open") == "1",
        },
    )


@console_edit_required
@require_POST
def acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    alert = get_object_or_404(Alert, pk=pk)
    alert.acknowledged = True
    alert.save(update_fields=["acknowledged"])
    return redirect("threats:alerts")
