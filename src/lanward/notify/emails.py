"""The notification mails: one per notification, or a digest. Sent through Django's mail settings
(LANWARD_EMAIL_URL); errors propagate to delivery.py, which records and retries them."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse

from .actions import action_link
from .models import Channel, Notification
from .services import absolute_url

SUBJECT_PREFIX = "[lanward] "


def _entry(notification: Notification) -> dict[str, Any]:
    actions = []
    if notification.has_device_actions:
        actions = [
            ("Approve it (a known device)", action_link(notification, "approve")),
            ("Block it (no DNS answers)", action_link(notification, "block")),
        ]
    return {
        "n": notification,
        "link": absolute_url(notification.url),
        "actions": actions,
    }


def _send(channel: Channel, subject: str, body: str) -> None:
    message = EmailMessage(
        subject=SUBJECT_PREFIX + subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[channel.email_to],
    )
    message.send(fail_silently=False)


def send_one(channel: Channel, notification: Notification) -> None:
    context = {
        **_entry(notification),
        "settings_link": absolute_url(reverse("notify:settings")),
        "link_days": settings.LANWARD_NOTIFY_LINK_SECONDS // 86400,
    }
    subject = notification.title
    if notification.severity in ("high", "critical"):
        subject = f"{notification.get_severity_display()}: {subject}"
    _send(channel, subject, render_to_string("notify/email/notification.txt", context))


def send_digest(channel: Channel, notifications: list[Notification]) -> None:
    context = {
        "entries": [_entry(n) for n in notifications],
        "count": len(notifications),
        "list_link": absolute_url(reverse("notify:list")),
        "settings_link": absolute_url(reverse("notify:settings")),
        "link_days": settings.LANWARD_NOTIFY_LINK_SECONDS // 86400,
    }
    noun = "notification" if len(notifications) == 1 else "notifications"
    subject = f"Your digest: {len(notifications)} {noun}"
    _send(channel, subject, render_to_string("notify/email/digest.txt", context))
