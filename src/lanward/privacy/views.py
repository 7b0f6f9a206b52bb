"""Console pages: the privacy disclosure, Privacy settings, export and delete all household data,
and troubleshooting logs (reviewed before anything is written or sent)."""

from __future__ import annotations

from typing import Any

from allauth.account.decorators import reauthentication_required
from django.conf import settings
from django.contrib import messages
from django.core.files.base import ContentFile
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from lanward.accounts import activity
from lanward.accounts.models import AccountEvent
from lanward.inventory.decorators import console_edit_required, console_required

from . import bundle, disclosure, household, switches
from .forms import BundleTicketForm, EraseHouseholdForm, PrivacySettingsForm
from .models import PrivacySettings

BUNDLE_SESSION_KEY = "lanward_bundle"


@console_required
def overview(request: HttpRequest) -> HttpResponse:
    return render(request, "privacy/overview.html", {"disclosure": disclosure.build()})


@console_edit_required
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    prefs = PrivacySettings.load()
    before = {f: getattr(prefs, f) for f in PrivacySettingsForm.Meta.fields}
    form = PrivacySettingsForm(request.POST or None, instance=prefs)
    if request.method == "POST" and form.is_valid():
        prefs = form.save()
        for note in switches.apply(before, prefs):
            messages.info(request, note)
        messages.success(
            request, "Privacy settings saved. The station follows them within a minute."
        )
        return redirect("privacy:settings")
    return render(request, "privacy/settings.html", {"form": form})


@console_required
@require_POST
def export(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    activity.record(user, AccountEvent.Kind.EXPORTED, request, "household data")
    response = StreamingHttpResponse(
        household.export_chunks(user.email), content_type="application/json; charset=utf-8"
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="lanward-household-{stamp}.json"'
    return response  # type: ignore[return-value]  # streamed: the decorators don't mind


@console_edit_required
@reauthentication_required(allow_get=True)
@require_http_methods(["GET", "POST"])
def erase(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not user.has_perm("inventory.delete_device"):
        return render(request, "privacy/erase_not_allowed.html", status=403)
    form = EraseHouseholdForm(request.POST or None, user=user, request=request)
    if request.method == "POST" and form.is_valid():
        deleted = household.erase(done_by=user.email)
        messages.success(
            request, f"All household data is deleted: {sum(deleted.values())} records."
        )
        return redirect("privacy:overview")
    return render(request, "privacy/erase.html", {"form": form, "counts": household.counts()})


# --- Troubleshooting logs -----------------------------------------------------------------


@console_required
def troubleshooting(request: HttpRequest) -> HttpResponse:
    """Build the bundle in memory and show it, masked, for review. Nothing is written or sent."""
    built = bundle.build()
    assert built.cut is not None
    request.session[BUNDLE_SESSION_KEY] = {"cut": built.cut.as_dict(), "digest": built.digest}
    return render(
        request,
        "privacy/troubleshooting.html",
        {
            "bundle": built,
            "files": sorted(built.files.items()),
            "masked": sorted(built.masked.items()),
            "ticket_form": BundleTicketForm(),
        },
    )


def _reviewed(request: HttpRequest) -> bundle.Bundle | None:
    """The bundle the person reviewed, built again from the same cut; None if it changed."""
    state = request.session.get(BUNDLE_SESSION_KEY) or {}
    try:
        cut = bundle.Cut.from_dict(state.get("cut"))
    except ValueError:
        messages.error(request, "Review the troubleshooting logs first.")
        return None
    built = bundle.build(cut)
    if built.digest != state.get("digest"):
        messages.warning(
            request,
            "The logs or settings changed since you reviewed them. Review them again.",
        )
        return None
    return built


@console_required
@require_POST
def troubleshooting_send(request: HttpRequest) -> HttpResponse:
    action = request.POST.get("action")
    if action not in ("download", "ticket"):
        messages.error(request, "Choose Download or Attach to a support ticket.")
        return redirect("privacy:troubleshooting")
    form = BundleTicketForm(request.POST)
    if action == "ticket" and not form.is_valid():
        messages.error(request, "Say in a few words what went wrong, then attach the logs.")
        return redirect("privacy:troubleshooting")
    built = _reviewed(request)
    if built is None:
        return redirect("privacy:troubleshooting")
    data = built.zip_bytes()
    if action == "ticket" and len(data) > settings.LANWARD_TICKET_ATTACHMENT_MAX_BYTES:
        messages.error(request, "The logs are too big to attach. Download them instead.")
        return redirect("privacy:troubleshooting")
    del request.session[BUNDLE_SESSION_KEY]
    if action == "download":
        response = HttpResponse(data, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{built.filename}"'
        return response
    from lanward.support.services import open_ticket

    ticket = open_ticket(
        request.user,
        form.cleaned_data["subject"],
        form.cleaned_data["body"],
        ContentFile(data, name=built.filename),
    )
    messages.success(
        request, f"Ticket #{ticket.pk} is open with the troubleshooting logs attached."
    )
    return redirect("support:ticket", pk=ticket.pk)
