"""Writing to the account activity log."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from .models import AccountEvent, User


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    from allauth.account.adapter import get_adapter

    try:
        return get_adapter(request).get_client_ip(request) or None
    except Exception:  # noqa: BLE001 - a missing header must never break the log
        return request.META.get("REMOTE_ADDR") or None


def record(
    user: User,
    kind: str,
    request: HttpRequest | None = None,
    detail: str = "",
) -> AccountEvent:
    ua = ""
    if request is not None:
        ua = request.META.get("HTTP_USER_AGENT", "")[:300]
    return AccountEvent.objects.create(
        user=user, kind=kind, ip=client_ip(request), user_agent=ua, detail=detail[:300]
    )


def prune(now: datetime | None = None, days: int | None = None) -> int:
    """Delete events older than `days` (default: the station's retention). Returns how many went."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=days or settings.LANWARD_ACTIVITY_RETENTION_DAYS)
    deleted, _ = AccountEvent.objects.filter(created__lt=cutoff).delete()
    return deleted
