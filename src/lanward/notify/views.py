"""Console pages: the notification list, the settings (channels, rules, quiet hours, digest) and
the approve / block actions, in the console and behind the signed links of the emails."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from lanward.inventory.decorators import console_edit_required, console_required
from lanward.inventory.models import Device
from lanward.lib import webhook
from lanward.lib.redirects import back

from . import actions, delivery
from .forms import PreferencesForm, RulesForm, WebhookForm
from .models import Channel, Delivery, Notification
from .services import channels_for, preferences_for, send_test

SECRET_SESSION_KEY = "notify-new-webhook-secret"


def _back(request: HttpRequest) -> HttpResponse:
    return back(request, "notify:list")


def _me(request: HttpRequest) -> Any:
    """The signed-in user (the decorators have checked that there is one)."""
    return request.user


def _mine(request: HttpRequest) -> Any:
    return Notification.objects.filter(recipient=_me(request), in_app=True)


@console_required
def notification_list(request: HttpRequest) -> HttpResponse:
    items = _mine(request).select_related("device")
    unread_only = request.GET.get("unread") == "1"
    if unread_only:
        items = items.filter(read_at__isnull=True)
    page = Paginator(items, 50).get_page(request.GET.get("page"))
    failing = Channel.objects.filter(owner=_me(request), failing_since__isnull=False)
    return render(
        request,
        "notify/list.html",
        {"page": page, "unread_only": unread_only, "failing": failing},
    )


@console_required
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = get_object_or_404(_mine(request), pk=pk)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return _back(request)


@console_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = _mine(request).filter(read_at__isnull=True).update(read_at=timezone.now())
    messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} as read.")
    return _back(request)


# --- Approve / block --------------------------------------------------------------------------


@console_edit_required
@require_POST
def device_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    notification = get_object_or_404(_mine(request).filter(device__isnull=False), pk=pk)
    if action not in actions.ACTIONS:
        messages.error(request, "Choose Approve, Block or Unblock.")
        return _back(request)
    assert notification.device is not None
    said = actions.apply(notification.device, action, request.user, "from a notification")
    messages.success(request, said)
    return _back(request)


@console_edit_required
@require_http_methods(["GET", "POST"])
def link_action(request: HttpRequest, token: str) -> HttpResponse:
    """An emailed link: GET shows what would happen, only the POST does it."""
    try:
        target = actions.read_token(token)
    except actions.LinkError as exc:
        return render(request, "notify/link_invalid.html", {"error": str(exc)}, status=400)
    device = Device.objects.filter(pk=target.device_id).first()
    if device is None:
        return render(
            request,
            "notify/link_invalid.html",
            {"error": "This device is no longer in the inventory (it was removed)."},
            status=404,
        )
    if request.method == "POST":
        said = actions.apply(device, target.action, request.user, "from an email link")
        messages.success(request, said)
        return redirect("inventory:device", pk=device.pk)
    return render(
        request,
        "notify/link_confirm.html",
        {"device": device, "action": target.action, "label": actions.ACTIONS[target.action]},
    )


# --- Settings ---------------------------------------------------------------------------------


def _channel_rows(user: Any, bound: dict[int, RulesForm] | None = None) -> list[dict[str, Any]]:
    counts = {
        row["channel"]: row
        for row in Delivery.objects.filter(channel__owner=user)
        .values("channel")
        .annotate(
            waiting=Count("pk", filter=Q(status__in=["pending", "sending"])),
            failed=Count("pk", filter=Q(status="failed")),
        )
    }
    rows = []
    for channel in sorted(channels_for(user), key=lambda c: (c.type != "inapp", c.type, c.pk)):
        form = (bound or {}).get(channel.pk) or RulesForm(channel=channel)
        stats = counts.get(channel.pk, {})
        rows.append(
            {
                "channel": channel,
                "form": form,
                "waiting": stats.get("waiting", 0),
                "failed": stats.get("failed", 0),
            }
        )
    return rows


def _settings_page(
    request: HttpRequest,
    prefs_form: PreferencesForm | None = None,
    webhook_form: WebhookForm | None = None,
    bound: dict[int, RulesForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    return render(
        request,
        "notify/settings.html",
        {
            "prefs_form": prefs_form or PreferencesForm(instance=preferences_for(user)),
            "webhook_form": webhook_form or WebhookForm(),
            "channels": _channel_rows(user, bound),
            "new_secret": request.session.pop(SECRET_SESSION_KEY, None),
            "allowed_nets": ", ".join(_allowed_nets()),
        },
        status=status,
    )


def _allowed_nets() -> list[str]:
    from django.conf import settings

    return list(settings.LANWARD_WEBHOOK_ALLOWED_NETS)


@console_required
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = PreferencesForm(request.POST, instance=preferences_for(request.user))
        if form.is_valid():
            form.save()
            messages.success(request, "Quiet hours and digest saved.")
            return redirect("notify:settings")
        return _settings_page(request, prefs_form=form, status=400)
    return _settings_page(request)


def _my_channel(request: HttpRequest, pk: int) -> Channel:
    return get_object_or_404(Channel, pk=pk, owner=_me(request))


@console_required
@require_POST
def channel_rules(request: HttpRequest, pk: int) -> HttpResponse:
    channel = _my_channel(request, pk)
    form = RulesForm(request.POST, channel=channel)
    if form.is_valid():
        form.save()
        messages.success(request, f"Saved what goes to “{channel.label}”.")
        return redirect(reverse("notify:settings") + f"#channel-{channel.pk}")
    return _settings_page(request, bound={channel.pk: form}, status=400)


@console_required
@require_POST
def add_webhook(request: HttpRequest) -> HttpResponse:
    form = WebhookForm(request.POST)
    if not form.is_valid():
        return _settings_page(request, webhook_form=form, status=400)
    secret = webhook.new_secret()
    channel = Channel.objects.create(
        owner=_me(request),
        type=Channel.Type.WEBHOOK,
        name=form.cleaned_data["name"],
        url=form.cleaned_data["url"],
        secret=secret,
    )
    # Shown once, on the next page; only its holder and the station know it from then on.
    request.session[SECRET_SESSION_KEY] = {"channel": channel.label, "secret": secret}
    return redirect(reverse("notify:settings") + "#new-secret")


@console_required
@require_POST
def toggle_channel(request: HttpRequest, pk: int) -> HttpResponse:
    channel = _my_channel(request, pk)
    channel.enabled = not channel.enabled
    channel.save(update_fields=["enabled"])
    state = "on" if channel.enabled else "off (what comes meanwhile waits for it)"
    messages.success(request, f"“{channel.label}” is {state}.")
    return redirect(reverse("notify:settings") + f"#channel-{channel.pk}")


@console_required
@require_POST
def delete_channel(request: HttpRequest, pk: int) -> HttpResponse:
    channel = _my_channel(request, pk)
    if channel.type != Channel.Type.WEBHOOK:
        messages.error(request, "The console and email channels can be turned off, not removed.")
        return redirect("notify:settings")
    label = channel.label
    channel.delete()
    messages.success(request, f"Removed “{label}”.")
    return redirect("notify:settings")


@console_required
@require_POST
def test_channel(request: HttpRequest, pk: int) -> HttpResponse:
    channel = _my_channel(request, pk)
    if channel.type == Channel.Type.INAPP:
        messages.error(request, "Console notifications need no test: they show under the bell.")
        return redirect("notify:settings")
    row = send_test(channel)
    delivery.deliver_one(row.pk)
    row.refresh_from_db()
    if row.status == Delivery.Status.SENT:
        messages.success(request, f"Sent a test message to “{channel.label}”.")
    else:
        messages.error(
            request,
            f"The test message to “{channel.label}” failed: {row.last_error}. "
            + (
                "lanward will try again."
                if row.status == Delivery.Status.PENDING
                else "Check the address and try again."
            ),
        )
    return redirect(reverse("notify:settings") + f"#channel-{channel.pk}")


@console_required
@require_POST
def retry_channel(request: HttpRequest, pk: int) -> HttpResponse:
    channel = _my_channel(request, pk)
    count = delivery.retry_failed(channel)
    messages.success(
        request, f"{count} message{'s' if count != 1 else ''} will be sent again within a minute."
    )
    return redirect(reverse("notify:settings") + f"#channel-{channel.pk}")
