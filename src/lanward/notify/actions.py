"""Approve or block a new device, from its notification in the console or from the email.

The email carries signed links that expire (LANWARD_NOTIFY_LINK_SECONDS). A link only opens a
confirmation page that needs a signed-in household member; the change itself is a POST.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from lanward.inventory.access import ACTIONS, set_access
from lanward.inventory.models import Device

from .models import Notification

SALT = "lanward.notify.device-action"


class LinkError(ValueError):
    """The link can't be used; the message says why and what to do instead."""


@dataclass(frozen=True)
class LinkTarget:
    notification_id: int
    device_id: int
    action: str


def make_token(notification: Notification, action: str) -> str:
    if action not in ACTIONS or notification.device_id is None:
        raise ValueError(f"no {action!r} action for this notification")
    return signing.dumps(
        {"n": notification.pk, "d": notification.device_id, "a": action}, salt=SALT, compress=True
    )


def action_link(notification: Notification, action: str) -> str:
    from .services import absolute_url

    return absolute_url(reverse("notify:link", args=[make_token(notification, action)]))


def read_token(token: str) -> LinkTarget:
    try:
        raw = signing.loads(token, salt=SALT, max_age=settings.LANWARD_NOTIFY_LINK_SECONDS)
    except signing.SignatureExpired as exc:
        raise LinkError(
            "This link has expired. Open the device in the console to approve or block it."
        ) from exc
    except signing.BadSignature as exc:
        raise LinkError(
            "This link is not valid (it may have been cut short by your mail program). "
            "Open the device in the console to approve or block it."
        ) from exc
    try:
        target = LinkTarget(int(raw["n"]), int(raw["d"]), str(raw["a"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise LinkError("This link is not valid.") from exc
    if target.action not in ACTIONS:
        raise LinkError("This link is not valid.")
    return target


def apply(device: Device, action: str, user: Any, via: str) -> str:
    """Do it; returns what happened in plain words (for the page's message)."""
    with transaction.atomic():
        said = set_access(device, action, user, via)
        # The person who acted has read what the notification said.
        Notification.objects.filter(
            recipient=user, device=device, kind="new_device", read_at__isnull=True
        ).update(read_at=timezone.now())
    return said
