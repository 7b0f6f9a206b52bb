"""Console pages: the network usage report and its exports."""

from __future__ import annotations

import csv
import json

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from lanward.inventory.decorators import console_required
from lanward.inventory.models import Member

from . import services


@console_required
def overview(request: HttpRequest) -> HttpResponse:
    period = services.period_from(request.GET.get("period"))
    return render(
        request,
        "usage/overview.html",
        {
            "period": period,
            "periods": services.PERIODS,
            "devices": services.top_devices(period),
            "apps": services.top_apps(period),
            "members": [m for m in services.per_member(period) if m["device__owner"]],
            "days": services.daily_series(period),
        },
    )


@console_required
def member(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(Member, pk=pk)
    period = services.period_from(request.GET.get("period"))
    return render(
        request,
        "usage/member.html",
        {
            "member": person,
            "period": period,
            "periods": services.PERIODS,
            "devices": services.top_devices(period, member_id=person.pk),
            "apps": services.top_apps(period, member_id=person.pk),
            "days": services.daily_series(period, member_id=person.pk),
        },
    )


@console_required
def export(request: HttpRequest, fmt: str) -> HttpResponse:
    if fmt not in {"csv", "json"}:
        raise Http404("export as .csv or .json")
    period = services.period_from(request.GET.get("period"))
    rows = services.export_rows(period)
    stamp = f"{period.since:%Y%m%d}-{period.until:%Y%m%d}"
    if fmt == "json":
        body = {"since": period.since.isoformat(), "until": period.until.isoformat(), "usage": rows}
        response = HttpResponse(json.dumps(body, indent=2), content_type="application/json")
    else:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        writer = csv.DictWriter(
            response,
            fieldnames=[
                "mac",
                "device",
                "app",
                "category",
                "bytes_up",
                "bytes_down",
                "active_seconds",
            ],
        )
        writer.writeheader()
        writer.writerows({k: _csv_cell(v) for k, v in row.items()} for row in rows)
    response["Content-Disposition"] = f'attachment; filename="lanward-usage-{stamp}.{fmt}"'
    return response


def _csv_cell(value: object) -> object:
    """Hostnames come from any device on the network: keep spreadsheets from running them."""
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@", "\t", "\r")):
        return "'" + value
    return value
