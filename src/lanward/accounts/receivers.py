"""Signal receivers: the activity log, lock clearing on password reset, the cache table."""

from __future__ import annotations

from typing import Any

from allauth.account import signals as account_signals
from allauth.mfa import signals as mfa_signals
from django.contrib.auth import signals as auth_signals
from django.core.management import call_command
from django.db.models.signals import post_migrate
from django.dispatch import receiver
from django.http import HttpRequest

from . import activity, lockout
from .models import AccountEvent, User

Kind = AccountEvent.Kind


@receiver(post_migrate)
def create_cache_table(sender: Any, **kwargs: Any) -> None:
    if getattr(sender, "label", "") == "accounts":
        call_command("createcachetable", verbosity=0, database=kwargs.get("using", "default"))


@receiver(auth_signals.user_logged_in)
def on_login(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    activity.record(user, Kind.LOGIN, request)


@receiver(auth_signals.user_logged_out)
def on_logout(sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    if user is not None and user.pk:
        activity.record(user, Kind.LOGOUT, request)


@receiver(account_signals.user_signed_up)
def on_signup(request: HttpRequest, user: User, **kwargs: Any) -> None:
    activity.record(user, Kind.SIGNUP, request)


@receiver(account_signals.password_changed)
def on_password_changed(request: HttpRequest, user: User, **kwargs: Any) -> None:
    activity.record(user, Kind.PASSWORD_CHANGED, request)


@receiver(account_signals.password_reset)
def on_password_reset(request: HttpRequest, user: User, **kwargs: Any) -> None:
    activity.record(user, Kind.PASSWORD_RESET, request)
    lockout.unlock(user, request, "password reset")


@receiver(account_signals.email_added)
def on_email_added(request: HttpRequest, user: User, email_address: Any, **kwargs: Any) -> None:
    activity.record(user, Kind.EMAIL_ADDED, request, email_address.email)


@receiver(account_signals.email_removed)
def on_email_removed(request: HttpRequest, user: User, email_address: Any, **kwargs: Any) -> None:
    activity.record(user, Kind.EMAIL_REMOVED, request, email_address.email)


@receiver(account_signals.email_confirmed)
def on_email_confirmed(request: HttpRequest, email_address: Any, **kwargs: Any) -> None:
    activity.record(email_address.user, Kind.EMAIL_CONFIRMED, request, email_address.email)


@receiver(account_signals.email_changed)
def on_email_changed(
    request: HttpRequest, user: User, from_email_address: Any, to_email_address: Any, **kw: Any
) -> None:
    old = from_email_address.email if from_email_address else ""
    new = to_email_address.email if to_email_address else ""
    # allauth keeps User.email in step with the primary address.
    activity.record(user, Kind.EMAIL_CHANGED, request, f"{old} -> {new}")


@receiver(mfa_signals.authenticator_added)
def on_mfa_added(request: HttpRequest, user: User, authenticator: Any, **kwargs: Any) -> None:
    activity.record(user, Kind.MFA_ADDED, request, authenticator.get_type_display())


@receiver(mfa_signals.authenticator_removed)
def on_mfa_removed(request: HttpRequest, user: User, authenticator: Any, **kwargs: Any) -> None:
    activity.record(user, Kind.MFA_REMOVED, request, authenticator.get_type_display())


@receiver(mfa_signals.authenticator_reset)
def on_mfa_reset(request: HttpRequest, user: User, authenticator: Any, **kwargs: Any) -> None:
    activity.record(user, Kind.MFA_RECOVERY_CODES, request)


@receiver(mfa_signals.authentication_failed)
def on_mfa_failed(request: HttpRequest, user: User, **kwargs: Any) -> None:
    activity.record(user, Kind.MFA_FAILED, request)
