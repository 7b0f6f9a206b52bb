"""Portal pages: dashboard parts, licenses, activation, renewals, email recovery."""

from __future__ import annotations

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from lanward.lib import ratelimit

from . import services
from .forms import ActivateForm, RecoverEmailForm, UpgradeForm
from .models import License


def _own_license(request: HttpRequest, pk: int) -> License:
    # Another user's license is "not found", never "forbidden".
    return get_object_or_404(
        License.objects.select_related("plan", "subscription"), pk=pk, owner=request.user
    )


@login_required
def license_list(request: HttpRequest) -> HttpResponse:
    licenses = License.objects.filter(owner=request.user).select_related("plan", "subscription")
    return render(
        request, "licensing/license_list.html", {"licenses": licenses, "form": ActivateForm()}
    )


@login_required
@require_http_methods(["GET", "POST"])
def activate(request: HttpRequest) -> HttpResponse:
    form = ActivateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            license = services.activate(
                request.user, form.cleaned_data["code"], ratelimit.client_ip(request)
            )  # type: ignore[arg-type]
        except services.LicensingError as exc:
            form.add_error("code", str(exc))
        else:
            messages.success(
                request,
                f"{license.plan.name} is active until {timezone.localtime(license.ends_at):%B %-d, %Y}.",
            )
            return redirect("licensing:licenses")
    return render(request, "licensing/activate.html", {"form": form})


@login_required
def license_detail(request: HttpRequest, pk: int) -> HttpResponse:
    license = _own_license(request, pk)
    return render(
        request,
        "licensing/license_detail.html",
        {
            "license": license,
            "invoices": license.invoices.all()[:20],
            "stations": license.stations.filter(removed_at__isnull=True),
            "upgrade_form": UpgradeForm(current=license.plan),
        },
    )


@login_required
@reauthentication_required  # the page shows the whole key: confirm who is asking, GET included
def license_key(request: HttpRequest, pk: int) -> HttpResponse:
    license = _own_license(request, pk)
    return render(request, "licensing/license_key.html", {"license": license})


@login_required
@require_POST
def auto_renew(request: HttpRequest, pk: int) -> HttpResponse:
    license = _own_license(request, pk)
    enabled = request.POST.get("enabled") == "1"
    try:
        services.set_auto_renew(license, enabled)
    except services.LicensingError as exc:
        messages.error(request, str(exc))
    else:
        if enabled:
            messages.success(
                request,
                f"Auto-renew is on: it renews on {timezone.localtime(license.ends_at):%B %-d, %Y}.",
            )
        else:
            messages.success(
                request,
                f"Subscription canceled. The license stays active until {timezone.localtime(license.ends_at):%B %-d, %Y}.",
            )
    return redirect(request.POST.get("next") or "licensing:licenses")


@login_required
@require_POST
def renew(request: HttpRequest, pk: int) -> HttpResponse:
    license = _own_license(request, pk)
    try:
        invoice = services.renew_now(license)
    except services.LicensingError as exc:
        messages.error(request, str(exc))
    else:
        license.refresh_from_db()
        note = " An invoice is on its way." if invoice.status == "open" else ""
        messages.success(
            request,
            f"Renewed: active until {timezone.localtime(license.ends_at):%B %-d, %Y}.{note}",
        )
    return redirect(request.POST.get("next") or "licensing:licenses")


@login_required
@require_POST
def upgrade(request: HttpRequest, pk: int) -> HttpResponse:
    license = _own_license(request, pk)
    form = UpgradeForm(request.POST, current=license.plan)
    if not form.is_valid():
        messages.error(request, "Choose one of the plans offered.")
        return redirect("licensing:license", pk=pk)
    try:
        services.upgrade(license, form.cleaned_data["plan"])
    except services.LicensingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Upgraded to {form.cleaned_data['plan'].name}.")
    return redirect("licensing:license", pk=pk)


@require_http_methods(["GET", "POST"])
def recover_email(request: HttpRequest) -> HttpResponse:
    form = RecoverEmailForm(request.POST or None)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            result = services.recover_email(form.cleaned_data["code"], request)
        except services.LicensingError as exc:
            form.add_error("code", str(exc))
    return render(request, "licensing/recover_email.html", {"form": form, "result": result})
