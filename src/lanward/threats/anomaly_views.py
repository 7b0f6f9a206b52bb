"""Console action on a smart alert: "this is normal, learn it"."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from lanward.inventory.decorators import console_edit_required
from lanward.lib.redirects import back

from .baselines import LearnError, learn_from_alert
from .models import Alert


def _back(request: HttpRequest, pk: int) -> HttpResponse:
    return back(request, "threats:alert", pk)


@console_edit_required
@require_POST
def learn_normal(request: HttpRequest, pk: int) -> HttpResponse:
    """Fold the alert's evidence into the device's baseline and mark the alert as seen."""
    alert = get_object_or_404(Alert.objects.select_related("device"), pk=pk)
    try:
        learned = learn_from_alert(alert, request.user)
    except LearnError as exc:
        messages.error(request, str(exc))
        return _back(request, pk)
    what = "; ".join(learned[:5]) + (f" and {len(learned) - 5} more" if len(learned) > 5 else "")
    messages.success(
        request,
        f"Learned as normal for {alert.device}: {what}. lanward will not alert on this again.",
    )
    return _back(request, pk)
