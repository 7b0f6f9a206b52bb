"""Mails the accounts app sends besides allauth's own."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from allauth.account.adapter import get_adapter
from allauth.core import context
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

if TYPE_CHECKING:
    from .models import LockState, User


@contextmanager
def mail_context(request: HttpRequest | None) -> Iterator[HttpRequest]:
    """allauth renders mails against the current request; jobs and signals may have none."""
    if request is None:
        request = HttpRequest()
        request.META["SERVER_NAME"], _, port = settings.LANWARD_PUBLIC_HOST.partition(":")
        request.META["SERVER_PORT"] = port or "80"
    with context.request_context(request):
        yield request


def _absolute(request: HttpRequest | None, path: str) -> str:
    if request is not None:
        return request.build_absolute_uri(path)
    return path


def send_lockout_mail(user: User, state: LockState, request: HttpRequest | None) -> None:
    with mail_context(request) as req:
        get_adapter(req).send_mail(
            "account/email/lockout",
            user.email,
            {
                "user": user,
                "permanent": state.permanent,
                "locked_until": state.locked_until,
                "reset_url": _absolute(req, reverse("account_reset_password")),
            },
        )


def send_code_mail(user: User, code: str, purpose: str, request: HttpRequest | None) -> None:
    with mail_context(request) as req:
        get_adapter(req).send_mail(
            "account/email/one_time_code",
            user.email,
            {"user": user, "code": code, "purpose": purpose},
        )


def send_merge_mail(target: User, source_email: str, request: HttpRequest | None) -> None:
    with mail_context(request) as req:
        adapter = get_adapter(req)
        adapter.send_mail(
            "account/email/merged", target.email, {"user": target, "source_email": source_email}
        )
        adapter.send_mail(
            "account/email/merged_away",
            source_email,
            {"user": target, "source_email": source_email, "target_email": target.email},
        )
