"""Mails the accounts app sends besides allauth's own."""

from __future__ import annotations

from typing import TYPE_CHECKING

from allauth.account.adapter import get_adapter
from django.http import HttpRequest
from django.urls import reverse

if TYPE_CHECKING:
    from .models import LockState, User


def _absolute(request: HttpRequest | None, path: str) -> str:
    if request is not None:
        return request.build_absolute_uri(path)
    return path


def send_lockout_mail(user: User, state: LockState, request: HttpRequest | None) -> None:
    get_adapter(request).send_mail(
        "account/email/lockout",
        user.email,
        {
            "user": user,
            "permanent": state.permanent,
            "locked_until": state.locked_until,
            "reset_url": _absolute(request, reverse("account_reset_password")),
        },
    )


def send_code_mail(user: User, code: str, purpose: str, request: HttpRequest | None) -> None:
    get_adapter(request).send_mail(
        "account/email/one_time_code",
        user.email,
        {"user": user, "code": code, "purpose": purpose},
    )


def send_merge_mail(target: User, source_email: str, request: HttpRequest | None) -> None:
    adapter = get_adapter(request)
    adapter.send_mail(
        "account/email/merged", target.email, {"user": target, "source_email": source_email}
    )
    adapter.send_mail(
        "account/email/merged_away",
        source_email,
        {"user": target, "source_email": source_email, "target_email": target.email},
    )
