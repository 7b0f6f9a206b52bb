"""publish(): one message to the household (or one person), fanned out to their channels.

The in-app notification is the row itself; each email or webhook channel that wants the message
(its rule for the kind and severity) gets a Delivery row, due now, after quiet hours, or at the
next digest. The job runner sends them (see delivery.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from lanward.inventory.models import Device

from . import schedule
from .models import KINDS, SEVERITIES, Channel, Delivery, Notification, Preferences


@dataclass
class Message:
    """What a source wants to say; publish() turns it into notifications."""

    kind: str
    severity: str
    title: str
    body: str = ""
    url: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    device: Device | None = None
    source_key: str = ""


def household_users() -> QuerySet[Any]:
    """Everyone who may see the station: active users with inventory.view_device."""
    users = get_user_model().objects.filter(is_active=True, merged_into__isnull=True)
    perm = Permission.objects.filter(
        content_type__app_label="inventory", codename="view_device"
    ).first()
    who = Q(is_superuser=True)
    if perm is not None:
        who |= Q(user_permissions=perm) | Q(groups__permissions=perm)
    return users.filter(who).distinct().order_by("pk")


def outward_allowed(channel_type: str) -> bool:
    """Whether the household's Privacy settings let notifications leave by email / webhook."""
    if channel_type == Channel.Type.INAPP or not apps.is_installed("lanward.privacy"):
        return True
    from lanward.privacy.models import PrivacySettings

    privacy = PrivacySettings.load()
    if channel_type == Channel.Type.EMAIL:
        return bool(privacy.notify_email)
    return bool(privacy.notify_webhooks)


def switched_off_types() -> list[str]:
    return [t for t in (Channel.Type.EMAIL, Channel.Type.WEBHOOK) if not outward_allowed(t)]


def channels_for(user: Any) -> list[Channel]:
    """The user's channels, creating the in-app and email ones on first use."""
    channels = list(Channel.objects.filter(owner=user))
    have = {c.type for c in channels}
    for kind in (Channel.Type.INAPP, Channel.Type.EMAIL):
        if kind not in have:
            channel, _ = Channel.objects.get_or_create(owner=user, type=kind)
            channels.append(channel)
    return channels


def preferences_for(user: Any) -> Preferences:
    prefs, _ = Preferences.objects.get_or_create(user=user)
    return prefs


def due_time(
    channel: Channel, prefs: Preferences, severity: str, now: datetime
) -> tuple[datetime, bool]:
    """(when, as part of a digest) for a message on an email or webhook channel."""
    tz = timezone.get_current_timezone()
    if severity == "critical":
        return now, False  # never waits for quiet hours or a digest
    if channel.type == Channel.Type.EMAIL and prefs.digest != Preferences.Digest.OFF:
        at = schedule.next_digest(now, prefs.digest, prefs.digest_hour, prefs.digest_weekday, tz)
        return schedule.quiet_end(at, prefs.quiet_start, prefs.quiet_end, tz), True
    return schedule.quiet_end(now, prefs.quiet_start, prefs.quiet_end, tz), False


def publish(
    kind: str,
    severity: str,
    title: str,
    body: str = "",
    url: str = "",
    data: dict[str, Any] | None = None,
    user: Any = None,
    device: Device | None = None,
    source_key: str = "",
    now: datetime | None = None,
) -> list[Notification]:
    """Tell the household (or only `user`). Returns the notifications created (one per person
    at least one of whose channels wants this kind and severity)."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}; one of {', '.join(KINDS)}")
    if severity not in SEVERITIES:
        raise ValueError(f"unknown severity {severity!r}; one of {', '.join(SEVERITIES)}")
    now = now or timezone.now()
    recipients = [user] if user is not None else list(household_users())
    off = switched_off_types()
    created: list[Notification] = []
    with transaction.atomic():
        for person in recipients:
            channels = [c for c in channels_for(person) if c.enabled and c.type not in off]
            in_app = any(c.type == Channel.Type.INAPP and c.wants(kind, severity) for c in channels)
            outward = [
                c for c in channels if c.type != Channel.Type.INAPP and c.wants(kind, severity)
            ]
            if not in_app and not outward:
                continue
            notification = Notification.objects.create(
                recipient=person,
                kind=kind,
                severity=severity,
                title=title[:200],
                body=body,
                url=url[:500],
                data=data or {},
                device=device,
                source_key=source_key[:64],
                in_app=in_app,
                created=now,
            )
            if outward:
                prefs = preferences_for(person)
                rows = []
                for channel in outward:
                    when, digest = due_time(channel, prefs, severity, now)
                    rows.append(
                        Delivery(
                            notification=notification,
                            channel=channel,
                            next_attempt=when,
                            digest=digest,
                            created=now,
                        )
                    )
                Delivery.objects.bulk_create(rows)
            created.append(notification)
    return created


def publish_message(message: Message, now: datetime | None = None) -> list[Notification]:
    return publish(
        message.kind,
        message.severity,
        message.title,
        message.body,
        message.url,
        message.data,
        device=message.device,
        source_key=message.source_key,
        now=now,
    )


def send_test(channel: Channel, now: datetime | None = None) -> Delivery:
    """A test message for one channel only, due now (quiet hours and digest don't apply)."""
    now = now or timezone.now()
    with transaction.atomic():
        notification = Notification.objects.create(
            recipient=channel.owner,
            kind="test",
            severity="info",
            title="Test message from lanward",
            body=f"This is a test of the channel “{channel.label}”. If you can read it, it works.",
            url="/notifications/settings/",
            in_app=False,
            created=now,
        )
        return Delivery.objects.create(
            notification=notification, channel=channel, next_attempt=now, created=now
        )


def absolute_url(path: str) -> str:
    """A console path as a link that works from a mail or a webhook receiver."""
    if not path or path.startswith(("http://", "https://")):
        return path
    scheme = settings.ACCOUNT_DEFAULT_HTTP_PROTOCOL
    return f"{scheme}://{settings.LANWARD_PUBLIC_HOST}{path}"


def unread_count(user: Any) -> int:
    return Notification.objects.filter(recipient=user, in_app=True, read_at__isnull=True).count()
